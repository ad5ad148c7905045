"""When the client tries a call again, and how long it waits first.

A call is tried again after a connection error or timeout, after a 429 or 5xx answer, and after a
409 that says when to try again (``Retry-After``: an ``Idempotency-Key`` still in use by the
call's first try), up to ``max_retries`` more times. Any other 409 is a conflict with the data (a
name taken, an offer that went to someone else) that trying again does not change: it is raised
at once. Every POST carries an ``Idempotency-Key`` that stays the same
across the tries of one call, so a retry of a request whose answer was lost is answered by the
server from its record instead of acting twice.

The wait doubles from ``initial_delay`` up to ``max_delay``, times a random factor between 0.5
and 1 so that many clients failing together do not come back together. When the server says how
long to wait (``Retry-After``, in seconds or as an HTTP date), the client waits that long instead;
if that is longer than ``max_retry_after``, the error is raised at once rather than blocking the
caller.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after", "worth_retrying"]

#: Answers worth another try: a conflict with a concurrent request (an idempotency key still in
#: use; a 409 only with ``Retry-After``, see :func:`worth_retrying`), a spent rate budget, and
#: server or proxy failures.
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


def worth_retrying(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an answer may be tried again: a status of :data:`RETRY_STATUSES`, and for a 409
    only when the server says it passes (``Retry-After``)."""
    return status in RETRY_STATUSES and (status != 409 or "retry-after" in headers)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a call is tried again, and the bounds of the waits in between (seconds)."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError("delays must satisfy 0 <= initial_delay <= max_delay")

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0 for the first): capped, doubling, jittered."""
        return min(self.max_delay, self.initial_delay * (2**retry)) * random.uniform(0.5, 1.0)

    def delay_for(self, retry: int, headers: Mapping[str, str] | None) -> float | None:
        """The wait before this retry, or ``None`` when the server asks for longer than we allow."""
        asked = parse_retry_after(headers.get("retry-after")) if headers is not None else None
        if asked is None:
            return self.backoff(retry)
        if asked > self.max_retry_after:
            return None
        return asked


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
