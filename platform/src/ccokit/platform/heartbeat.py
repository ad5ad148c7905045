"""Liveness for the processes that serve no HTTP: workers, the relay and the scheduler.

A web pod answers ``/healthz``; a worker has no port to ask. Each long-running loop therefore
touches a heartbeat file when it makes progress (a relay or scheduler round, an rq worker's
heartbeat), and ``ccokit probe --heartbeat-file PATH --max-age S`` fails when the file is older
than ``S`` seconds, so Kubernetes restarts a process that is stuck rather than one that is
merely idle. The file lives on a writable scratch volume (``/tmp`` in the Helm chart, whose root
filesystem is read-only); only its modification time matters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["Heartbeat", "heartbeat_age", "stale_reason"]


class Heartbeat:
    """Touches ``path`` at most every ``interval`` seconds; a no-op without a path."""

    def __init__(self, path: str | os.PathLike[str] | None, interval: float = 5.0) -> None:
        self.path = Path(path) if path else None
        self.interval = interval
        self._last = float("-inf")

    def beat(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()  # sets the modification time of an existing file too


def heartbeat_age(path: str | os.PathLike[str], now: float | None = None) -> float | None:
    """Seconds since ``path`` was last touched, or ``None`` when it does not exist."""
    try:
        mtime = Path(path).stat().st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - mtime


def stale_reason(path: str | os.PathLike[str], max_age: float, now: float | None = None) -> str | None:
    """Why the process behind ``path`` counts as stuck, or ``None`` when it is alive."""
    age = heartbeat_age(path, now)
    if age is None:
        return f"no heartbeat at {os.fspath(path)}"
    if age > max_age:
        return f"last heartbeat {age:.0f}s ago at {os.fspath(path)} (more than {max_age:g}s)"
    return None
