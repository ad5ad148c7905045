"""A queue's running statistics: what the supervisor watches and what wait estimates stand on.

Counters are totals since the engine (re)started for the queue; rates decay over the last
couple of minutes (:class:`~.estimates.Rate`). Estimate errors compare the wait each customer
was told on arrival with the wait they had until an agent took the conversation, so the console
can show how far to trust the estimates.
"""

from __future__ import annotations

from collections import deque
from statistics import median
from typing import Any

from ccokit.plugins.routing.engine.estimates import Rate

__all__ = ["QueueStats"]


class QueueStats:
    """Counters and rates of one queue (see the module's docstring)."""

    __slots__ = (
        "abandoned",
        "admitted",
        "answered",
        "answered_in_time",
        "arrivals",
        "departures",
        "errors",
        "handle_s",
        "handled",
        "max_wait_ended",
        "refused",
        "wait_s",
    )

    def __init__(self, now: float) -> None:
        self.arrivals = Rate(since=now)
        #: Conversations leaving the queue for an agent (offered or assigned), the queue's pace.
        self.departures = Rate(since=now)
        self.admitted = self.refused = self.answered = self.answered_in_time = 0
        self.abandoned = self.max_wait_ended = self.handled = 0
        self.wait_s = 0.0
        #: Mean handle time (assigned to completed), decayed toward recent conversations.
        self.handle_s: float | None = None
        #: Signed errors (told minus actual, seconds) of the latest estimates.
        self.errors: deque[float] = deque(maxlen=200)

    _COUNTERS = ("admitted", "refused", "answered", "answered_in_time", "abandoned", "max_wait_ended",
                 "handled", "wait_s", "handle_s")

    def to_json(self) -> dict[str, Any]:
        """The statistics as JSON values, to survive a rebuild of the engine."""
        return {
            **{name: getattr(self, name) for name in self._COUNTERS},
            "arrivals": self.arrivals.to_json(), "departures": self.departures.to_json(),
            "errors": [round(e, 3) for e in self.errors],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any], fresh: QueueStats) -> QueueStats:
        """Statistics saved by :meth:`to_json`; ``fresh`` (a new queue's) when there are none."""
        if not value:
            return fresh
        stats = cls.__new__(cls)
        for name in cls._COUNTERS:
            setattr(stats, name, value.get(name, getattr(fresh, name)))
        stats.arrivals = Rate.from_json(value["arrivals"])
        stats.departures = Rate.from_json(value["departures"])
        stats.errors = deque(value.get("errors") or (), maxlen=200)
        return stats

    def on_answer(self, waited_s: float, within_s: float, estimate_s: float | None) -> None:
        self.answered += 1
        self.wait_s += waited_s
        if waited_s <= within_s:
            self.answered_in_time += 1
        if estimate_s is not None:
            self.errors.append(estimate_s - waited_s)

    def on_handled(self, handle_s: float) -> None:
        self.handled += 1
        self.handle_s = handle_s if self.handle_s is None else 0.9 * self.handle_s + 0.1 * handle_s

    def snapshot(self, now: float) -> dict[str, Any]:
        """The figures a supervisor sees (rates per minute, times in seconds, shares 0-1)."""
        settled = self.answered + self.abandoned
        abs_errors = [abs(e) for e in self.errors]
        return {
            "admitted": self.admitted,
            "refused": self.refused,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "ended_max_wait": self.max_wait_ended,
            "arrivals_per_min": round(self.arrivals.per_s(now) * 60, 3),
            "answers_per_min": round(self.departures.per_s(now) * 60, 3),
            "service_level": round(self.answered_in_time / self.answered, 4) if self.answered else None,
            "abandonment": round(self.abandoned / settled, 4) if settled else None,
            "mean_wait_s": round(self.wait_s / self.answered, 3) if self.answered else None,
            "mean_handle_s": round(self.handle_s, 3) if self.handle_s is not None else None,
            "estimate_error": {
                "samples": len(self.errors),
                "median_abs_s": round(median(abs_errors), 3) if abs_errors else None,
                "mean_s": round(sum(self.errors) / len(self.errors), 3) if self.errors else None,
            },
        }
