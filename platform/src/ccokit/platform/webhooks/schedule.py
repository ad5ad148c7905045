"""When a failed delivery is tried again: about three days of backoff, and ``Retry-After``.

After the first try fails, a delivery is tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h, 12 h, 14 h and 18 h (each ±20 % at random, so that the deliveries of an outage do not all
return at the same second): eleven tries over about three days. Then it is ``failed``.
``CCOKIT_WEBHOOK_RETRY_SCALE`` multiplies every delay (tests compress three days into seconds).

A receiver that answers with ``Retry-After`` (seconds or an HTTP date) is not tried before that
time, up to a day away; the schedule's own delay still applies when it is longer.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = [
    "MAX_ATTEMPTS", "RETRY_AFTER_CAP", "RETRY_DELAYS", "next_delay", "retry_after_seconds", "total_schedule",
]

RETRY_DELAYS: tuple[float, ...] = (
    5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 12 * 3600, 14 * 3600, 18 * 3600,
)
#: The first try and one per delay.
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
RETRY_AFTER_CAP = 24 * 3600.0
JITTER = 0.2


def next_delay(attempts: int, scale: float = 1.0) -> float | None:
    """Seconds until the next try after ``attempts`` failed tries; ``None`` when none is left."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[attempts - 1] * scale
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """The wait a ``Retry-After`` header asks for, capped at a day; ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, RETRY_AFTER_CAP))


def total_schedule(scale: float = 1.0) -> timedelta:
    """How long the whole schedule lasts without jitter (for the documentation and tests)."""
    return timedelta(seconds=sum(RETRY_DELAYS) * scale)
