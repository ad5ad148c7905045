"""The invariants of the routing state, checked by the property tests after every step and by
the service after it rebuilds the engine from the durable record.

:func:`violations` reads the router's internals on purpose (it belongs to the engine) and
returns a message per broken rule rather than raising, so a live process can log and count them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from ccokit.plugins.routing.engine.matching import admits, can_take, ready
from ccokit.plugins.routing.engine.model import ConvState, Presence
from ccokit.plugins.routing.engine.router import Router

__all__ = ["over_capacity", "violations"]

_LIVE = (ConvState.QUEUED, ConvState.OFFERED, ConvState.ASSIGNED, ConvState.WRAP_UP)


def violations(router: Router, now: float) -> list[str]:
    """What is wrong with the state at ``now`` (right after an operation at ``now``):

    - a conversation is with at most one agent, and names that agent;
    - an agent's seats in use, per channel, are exactly what they hold and ring (that a grant
      never exceeds capacity is :func:`over_capacity`'s, since lowering an agent's seats below
      what they hold takes nothing away);
    - only online agents ring, with one offer at a time;
    - every live conversation is in exactly one place: its queue, or with its agent;
    - the ready set is up to date, and no ready agent is left beside a waiting conversation
      they may take (the engine is work-conserving).
    """
    found: list[str] = []
    for tenant, t in router._tenants.items():  # the engine's own check
        holders: dict[Hashable, Hashable] = {}
        for agent in t.agents.values():
            counted: dict[str, int] = {}
            held = set(agent.holding)
            if agent.offer is not None:
                held.add(agent.offer)
            for conv_id in held:
                conv = t.conversations.get(conv_id)
                if conv is None:
                    found.append(f"{tenant}: agent {agent.id} holds {conv_id}, which is not live")
                    continue
                if conv.agent != agent.id:
                    found.append(f"{conv_id} is held by {agent.id} but names {conv.agent}")
                if conv_id in holders:
                    found.append(f"{conv_id} is with two agents: {holders[conv_id]} and {agent.id}")
                holders[conv_id] = agent.id
                counted[conv.channel] = counted.get(conv.channel, 0) + 1
            if counted != {k: v for k, v in agent.load.items() if v}:
                found.append(f"agent {agent.id}: load {agent.load} but holds {counted}")
            if agent.offer is not None:
                conv = t.conversations.get(agent.offer)
                if conv is None or conv.state is not ConvState.OFFERED:
                    found.append(f"agent {agent.id} rings with {agent.offer}, which is not offered")
                if agent.presence is not Presence.ONLINE:
                    found.append(f"agent {agent.id} rings while {agent.presence}")
            if (agent.id in t.ready) != ready(agent, now):
                found.append(f"agent {agent.id}: ready set out of date")
        queued = 0
        for queue in t.queues.values():
            if len(queue.waiting) != len(queue.entries):
                found.append(f"queue {queue.policy.id}: order and entries differ")
            if sum(len(keys) for keys in queue.by_channel.values()) != len(queue.waiting) or any(
                    queue.entries[key[2]].channel != channel
                    for channel, keys in queue.by_channel.items() for key in keys):
                found.append(f"queue {queue.policy.id}: the channels' order differs from the queue's")
            for conv in queue.entries.values():
                if conv.state is not ConvState.QUEUED or conv.queue != queue.policy.id:
                    found.append(f"{conv.id} waits in {queue.policy.id} as {conv.state} of {conv.queue}")
                if t.conversations.get(conv.id) is not conv:
                    found.append(f"{conv.id} waits in {queue.policy.id} but is not live")
            queued += len(queue.entries)
        for conv in t.conversations.values():
            if conv.state not in _LIVE:
                found.append(f"{conv.id} is {conv.state} but still live")
            elif conv.state is ConvState.QUEUED:
                if conv.agent is not None:
                    found.append(f"{conv.id} waits but names agent {conv.agent}")
            elif holders.get(conv.id) != conv.agent:
                found.append(f"{conv.id} is {conv.state} without its agent {conv.agent}")
        if queued + len(holders) != len(t.conversations):
            found.append(f"{tenant}: {len(t.conversations)} live, {queued} waiting, {len(holders)} held")
        for agent in t.ready.values():
            for queue in t.queues.values():
                for conv in queue.entries.values():
                    if can_take(agent, conv, now) and admits(agent, conv, queue.policy):
                        found.append(f"agent {agent.id} is ready beside {conv.id}, which they may take")
    return found


def over_capacity(router: Router, granted: Iterable[tuple[Hashable, Hashable, str]]) -> list[str]:
    """Grants (``(tenant, agent id, channel)``) just made (an offer or an assignment) that left
    the agent holding more of that channel than their seats: a grant must fit. (An agent whose
    seats were lowered may hold more of another channel; that takes nothing away.)"""
    found = []
    for tenant, agent_id, channel in granted:
        agent = router.agent(tenant, agent_id)
        if agent is None:
            continue
        used = agent.load.get(channel, 0)
        if used > agent.capacity.get(channel, 0):
            found.append(f"agent {agent_id} was given {channel} work holding {used} of {agent.capacity}")
    return found
