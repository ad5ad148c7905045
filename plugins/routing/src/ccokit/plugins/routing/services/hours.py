"""Whether a queue is open: its business hours, in its time zone, with whole dates closed."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

__all__ = ["is_open"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def is_open(hours: dict[str, Any] | None, now: float) -> bool:
    """``True`` without hours (always open); else whether ``now`` (epoch seconds) falls in one of
    the day's periods in the queue's time zone, on a date not closed. A period ending at 24:00
    runs to midnight."""
    if not hours:
        return True
    local = datetime.fromtimestamp(now, UTC).astimezone(_zone(hours["timezone"]))
    if local.date().isoformat() in set(hours.get("closed_dates") or ()):
        return False
    clock = local.strftime("%H:%M")
    periods = (hours.get("weekly") or {}).get(_DAYS[local.weekday()]) or ()
    return any(start <= clock < end for start, end in periods)
