"""Who may take a conversation, and which of them a queue's strategy picks.

An agent may take a conversation when they are online, not ringing with another offer, past
their wrap-up, have a free seat on its channel, have not declined it, speak its language (if it
names one), and the queue reaches them: through its groups (no groups: everyone), or through an
overflow stage that has opened for the conversation. The skills (the queue's and the
conversation's own, each at least its level) are required unless every route that reaches the
agent is an overflow stage that drops them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from ccokit.plugins.routing.engine.model import Agent, Conversation, Presence, QueuePolicy

__all__ = ["admits", "can_take", "choose", "reaches_queue", "ready"]


def ready(agent: Agent, now: float) -> bool:
    """Whether the agent could take some conversation now (online, free, with a seat left)."""
    if agent.presence is not Presence.ONLINE or agent.offer is not None or agent.wrapup_until > now:
        return False
    load = agent.load
    return any(seats > load.get(channel, 0) for channel, seats in agent.capacity.items())


def can_take(agent: Agent, conversation: Conversation, now: float) -> bool:
    """Ready, with a seat on the conversation's channel, and not one who declined it."""
    return (
        agent.presence is Presence.ONLINE
        and agent.offer is None
        and agent.wrapup_until <= now
        and agent.capacity.get(conversation.channel, 0) > agent.load.get(conversation.channel, 0)
        and agent.id not in conversation.declined_by
    )


def _has_skills(agent: Agent, required: Mapping[str, int]) -> bool:
    skills = agent.skills
    return all(skills.get(name, 0) >= level for name, level in required.items())


def reaches_queue(agent: Agent, policy: QueuePolicy) -> bool:
    """Whether the queue could ever reach this agent (its groups, or any overflow stage's)."""
    if not policy.groups or agent.groups & policy.groups:
        return True
    return any(stage.groups is None or agent.groups & stage.groups for stage in policy.overflow)


def admits(agent: Agent, conversation: Conversation, policy: QueuePolicy) -> bool:
    """Whether the queue, at the conversation's overflow stage, lets this agent take it
    (groups, skills, language; seats and presence are :func:`can_take`'s)."""
    language = conversation.language
    if language is not None and agent.languages and language not in agent.languages:
        return False
    reached = keep_skills = False
    if not policy.groups or agent.groups & policy.groups:
        reached = keep_skills = True
    for stage in policy.overflow[: conversation.stage]:
        if stage.groups is None or agent.groups & stage.groups:
            if reached and not stage.keep_skills:
                keep_skills = False
            elif not reached:
                reached, keep_skills = True, stage.keep_skills
    if not reached:
        return False
    if not keep_skills:
        return True
    return _has_skills(agent, policy.skills) and _has_skills(agent, conversation.skills)


def _skill_score(agent: Agent, policy: QueuePolicy, conversation: Conversation) -> int:
    skills = agent.skills
    names = set(policy.skills) | set(conversation.skills)
    return sum(skills.get(name, 0) for name in names)


def _occupancy(agent: Agent) -> float:
    seats = sum(agent.capacity.values())
    return sum(agent.load.values()) / seats if seats else 1.0


def choose(
    candidates: Iterable[Agent],
    policy: QueuePolicy,
    conversation: Conversation,
    order: Mapping[Hashable, int],
    last_picked: Hashable | None,
) -> Agent | None:
    """The candidate the queue's strategy picks; ties go to the longest idle, then the oldest
    member of the workspace's agent list (``order``), so the choice is deterministic."""
    pool = list(candidates)
    if not pool:
        return None
    strategy = policy.strategy
    if strategy == "longest_idle":
        return min(pool, key=lambda a: (a.idle_since, order[a.id]))
    if strategy == "least_occupied":
        return min(pool, key=lambda a: (_occupancy(a), a.idle_since, order[a.id]))
    if strategy == "best_skill":
        return min(pool, key=lambda a: (-_skill_score(a, policy, conversation), a.idle_since, order[a.id]))
    # round_robin: the next agent after the last one picked, in the workspace's agent order
    after = order.get(last_picked, -1) if last_picked is not None else -1
    later = [a for a in pool if order[a.id] > after]
    return min(later or pool, key=lambda a: order[a.id])
