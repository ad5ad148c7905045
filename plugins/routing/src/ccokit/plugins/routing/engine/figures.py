"""What a supervisor and a waiting customer read of the engine: a queue's and a workspace's
live figures, and a waiting conversation's place and estimated wait. Reading only."""

from __future__ import annotations

from typing import Any

from ccokit.plugins.routing.engine.estimates import position_wait
from ccokit.plugins.routing.engine.matching import reaches_queue
from ccokit.plugins.routing.engine.model import Agent, Conversation, ConvState, Presence
from ccokit.plugins.routing.engine.state import QueueState, TenantState

__all__ = ["position", "queue_figures", "workspace_figures"]


def _waiting_and_agents(queues: list[QueueState], agents: list[Agent], now: float) -> dict[str, Any]:
    """Waiting and longest wait over ``queues``; ``agents`` by presence and their occupancy."""
    longest = max((now - c.queued_at for q in queues for c in q.entries.values() if c.queued_at is not None),
                  default=0.0)
    presence = {p.value: 0 for p in Presence}
    seats = held = 0
    for agent in agents:
        presence[agent.presence.value] += 1
        if agent.presence is not Presence.OFFLINE:
            seats += sum(agent.capacity.values())
            held += sum(agent.load.values())
    return {
        "waiting": sum(len(q.waiting) for q in queues),
        "longest_wait_s": round(longest, 3),
        "agents": presence,
        "occupancy": round(held / seats, 4) if seats else None,
    }


def queue_figures(t: TenantState, queue: QueueState, now: float) -> dict[str, Any]:
    """Live figures of one queue: waiting, longest wait, service level, abandonment, agents
    by presence and their occupancy, and the accuracy of the wait estimates."""
    agents = [a for a in t.agents.values() if reaches_queue(a, queue.policy)]
    return {**_waiting_and_agents([queue], agents, now), **queue.stats.snapshot(now)}


def workspace_figures(t: TenantState, now: float) -> dict[str, Any]:
    """The workspace's figures over all its queues and agents (rates and counts summed,
    shares weighted by what they count)."""
    queues = list(t.queues.values())
    totals = {name: sum(getattr(q.stats, name) for q in queues)
              for name in ("admitted", "refused", "answered", "answered_in_time", "abandoned",
                           "max_wait_ended", "wait_s")}
    settled = totals["answered"] + totals["abandoned"]
    answered = totals["answered"]
    return {
        **_waiting_and_agents(queues, list(t.agents.values()), now),
        "admitted": totals["admitted"], "refused": totals["refused"], "answered": answered,
        "abandoned": totals["abandoned"], "ended_max_wait": totals["max_wait_ended"],
        "arrivals_per_min": round(sum(q.stats.arrivals.per_s(now) for q in queues) * 60, 3),
        "answers_per_min": round(sum(q.stats.departures.per_s(now) for q in queues) * 60, 3),
        "service_level": round(totals["answered_in_time"] / answered, 4) if answered else None,
        "abandonment": round(totals["abandoned"] / settled, 4) if settled else None,
        "mean_wait_s": round(totals["wait_s"] / answered, 3) if answered else None,
    }


def position(t: TenantState, queue: QueueState, conv: Conversation, now: float) -> tuple[int, float | None]:
    """A conversation's place in its queue (1 = next) and its estimated seconds to an agent:
    by the queue's pace, or, before it has one, place x mean handle time / online seats;
    ``(0, 0.0)`` once an agent has it."""
    if conv.state is not ConvState.QUEUED:
        return 0, 0.0
    assert conv.key is not None
    place = queue.waiting.index(conv.key) + 1
    estimate = position_wait(place, queue.stats.departures.per_s(now), 0)
    if estimate is None:
        handle = queue.stats.handle_s
        seats = sum(a.capacity.get(conv.channel, 0) for a in t.agents.values()
                    if a.presence is Presence.ONLINE and reaches_queue(a, queue.policy))
        if handle and seats:
            estimate = place * handle / seats
    return place, None if estimate is None else round(estimate, 3)
