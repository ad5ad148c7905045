"""Wait estimates a waiting customer can trust: Erlang C, and the queue's observed pace.

A customer at position ``k`` waits for the ``k`` conversations ahead of them and their own to
reach an agent. While the queue has been moving, its observed service rate (conversations
leaving the queue for an agent, per second, decayed over the last minutes) says how fast that
happens; before it has, Erlang C's M/M/n model gives the expected wait from the arrival rate,
the mean handle time and the seats. :class:`Rate` keeps the decayed rates; the queue's statistics
(:mod:`.stats`) also record how far each estimate was from the wait that followed.
"""

from __future__ import annotations

import math

__all__ = ["Rate", "erlang_c", "expected_wait", "position_wait", "service_level"]


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits, with ``servers`` seats and ``load`` Erlangs offered
    (arrival rate over service rate). 1.0 when the load reaches the seats (the queue grows)."""
    if load <= 0:
        return 0.0
    if servers <= 0 or load >= servers:
        return 1.0
    blocking = 1.0  # Erlang B by its recurrence: stable for thousands of seats
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return servers * blocking / (servers - load * (1 - blocking))


def expected_wait(servers: int, arrival_rate: float, service_rate: float) -> float | None:
    """Mean wait in seconds of an arrival (M/M/n); ``None`` when the queue cannot keep up."""
    if arrival_rate <= 0:
        return 0.0
    if service_rate <= 0 or servers <= 0:
        return None
    load = arrival_rate / service_rate
    if load >= servers:
        return None
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def service_level(servers: int, arrival_rate: float, service_rate: float, within_s: float) -> float:
    """Share of arrivals answered within ``within_s`` seconds, by Erlang C."""
    if arrival_rate <= 0:
        return 1.0
    if service_rate <= 0 or servers <= 0 or arrival_rate / service_rate >= servers:
        return 0.0
    waits = erlang_c(servers, arrival_rate / service_rate)
    return 1.0 - waits * math.exp(-(servers * service_rate - arrival_rate) * within_s)


def position_wait(position: int, departure_rate: float, free_seats: int) -> float | None:
    """Seconds until the conversation at ``position`` (1 = next) reaches an agent, when
    conversations leave the queue at ``departure_rate`` per second; 0 with a free seat and
    nobody ahead; ``None`` when nothing has left the queue lately to judge by."""
    if position <= free_seats:
        return 0.0
    if departure_rate <= 0:
        return None
    return (position - free_seats) / departure_rate


class Rate:
    """Events per second, decayed exponentially with time constant ``tau_s``.

    Each event adds 1 to a sum that decays by ``exp(-dt / tau)``; the rate is the sum over the
    window it has had time to fill (``tau`` once observed for long, less at first, so a young
    queue is not judged slow). Cheap: three floats, no list of timestamps.
    """

    __slots__ = ("_at", "_since", "_sum", "tau_s")

    def __init__(self, tau_s: float = 120.0, since: float | None = None) -> None:
        self.tau_s = tau_s
        self._sum = 0.0
        self._at = since
        self._since = since

    def _decay(self, now: float) -> None:
        if self._at is None:
            self._at = self._since = now
        elif now > self._at:
            self._sum *= math.exp((self._at - now) / self.tau_s)
            self._at = now

    def add(self, now: float, count: float = 1.0) -> None:
        self._decay(now)
        self._sum += count

    def to_json(self) -> list[float | None]:
        return [self._sum, self._at, self._since]

    @classmethod
    def from_json(cls, value: list[float | None], tau_s: float = 120.0) -> Rate:
        rate = cls(tau_s)
        total, rate._at, rate._since = value
        rate._sum = float(total or 0.0)
        return rate

    def per_s(self, now: float) -> float:
        self._decay(now)
        observed = now - (self._since if self._since is not None else now)
        window = self.tau_s * -math.expm1(-observed / self.tau_s)
        return self._sum / max(window, 1.0)
