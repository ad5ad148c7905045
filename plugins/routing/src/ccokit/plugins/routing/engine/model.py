"""What the routing engine reasons about: queues and their policies, agents, conversations.

These are in-memory records of the engine, not database rows: the service layer builds them
from the durable record (and rebuilds them after a restart), the engine changes them, and the
changes come back out as effects (:mod:`.effects`). Times are seconds on one clock (the
caller's; UTC epoch seconds in the service), so the engine can be driven by a test's clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CHANNELS",
    "STRATEGIES",
    "Agent",
    "ConvState",
    "Conversation",
    "OverflowStage",
    "Presence",
    "QueuePolicy",
]


class Presence(StrEnum):
    """An agent's availability. Only ``online`` agents get offers; the others keep what they hold."""

    ONLINE = "online"
    BUSY = "busy"
    AWAY = "away"
    OFFLINE = "offline"


class ConvState(StrEnum):
    """Where a conversation is: waiting, ringing one agent, with an agent, finishing, or over."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    WRAP_UP = "wrap_up"
    ENDED = "ended"
    ABANDONED = "abandoned"


#: Contacts that wait for a human: a chat, a video call, a phone callback, a ticket.
CHANNELS = ("chat", "video", "phone", "ticket")
#: How a queue chooses among the agents who could take a conversation.
STRATEGIES = ("longest_idle", "least_occupied", "round_robin", "best_skill")


@dataclass(frozen=True, slots=True)
class OverflowStage:
    """After ``after_s`` seconds of waiting, ``groups`` may take the conversation too (``None``:
    any agent of the workspace); ``keep_skills=False`` also drops the skill requirement."""

    after_s: float
    groups: frozenset[Hashable] | None
    keep_skills: bool = True


@dataclass(slots=True)
class QueuePolicy:
    """One queue of a workspace and the ordered policy that routes its conversations.

    Priority of a waiting conversation at time ``t``: its base priority (tier boost, channel
    weight and customer value, computed when it arrives) plus ``aging_per_s`` per second waited,
    so nobody starves. ``groups`` empty means every agent of the workspace.
    """

    id: Hashable
    tenant: Hashable
    groups: frozenset[Hashable] = frozenset()
    skills: Mapping[str, int] = field(default_factory=dict)
    strategy: str = "longest_idle"
    aging_per_s: float = 1.0
    overflow: tuple[OverflowStage, ...] = ()
    #: A returning customer goes to the agent who last served them, if that was at most this
    #: many seconds ago and the agent can take it now (老客). 0: off.
    sticky_s: float = 0.0
    max_length: int | None = None
    max_wait_s: float | None = None
    ring_s: float = 20.0
    wrapup_s: float = 0.0
    #: Assign without ringing (a chat seat that takes whatever comes, as shop chat often does).
    auto_accept: bool = False
    #: What "answered in time" means in the service level (the share offered within it).
    service_level_s: float = 20.0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; expected one of {STRATEGIES}")
        if any(b.after_s < a.after_s for a, b in zip(self.overflow, self.overflow[1:], strict=False)):
            raise ValueError("overflow stages must be ordered by their waiting time")


@dataclass(slots=True, eq=False)
class Agent:
    """An agent of one workspace as the engine sees them.

    ``load`` counts, per channel, the conversations that hold a seat: ringing, assigned and in
    wrap-up; it never exceeds ``capacity`` (a channel missing there has no seat).
    """

    id: Hashable
    tenant: Hashable
    skills: Mapping[str, int] = field(default_factory=dict)
    #: Languages spoken; empty means the agent takes any.
    languages: frozenset[str] = frozenset()
    capacity: Mapping[str, int] = field(default_factory=dict)
    groups: frozenset[Hashable] = frozenset()
    presence: Presence = Presence.OFFLINE
    load: dict[str, int] = field(default_factory=dict)
    #: Conversations assigned or in wrap-up with this agent.
    holding: set[Hashable] = field(default_factory=set)
    #: The conversation ringing this agent, if any (one at a time).
    offer: Hashable | None = None
    #: No new offer before this time (wrap-up after a conversation).
    wrapup_until: float = 0.0
    #: When the agent last got work or came online: "longest idle" picks the earliest.
    idle_since: float = 0.0
    missed_offers: int = 0

    def free_seats(self, channel: str) -> int:
        return self.capacity.get(channel, 0) - self.load.get(channel, 0)


@dataclass(slots=True, eq=False)
class Conversation:
    """A contact waiting for (or served by) a human: chat, video, phone callback or ticket."""

    id: Hashable
    tenant: Hashable
    queue: Hashable
    channel: str
    arrived_at: float
    #: Base priority: tier boost, channel weight, customer value (aging is added while it waits).
    priority: float = 0.0
    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    customer: Hashable | None = None
    state: ConvState = ConvState.QUEUED
    agent: Hashable | None = None
    #: How many overflow stages have opened for it.
    stage: int = 0
    declined_by: set[Hashable] = field(default_factory=set)
    #: When it entered its current queue (overflow stages and the maximum wait count from here).
    queued_at: float | None = None
    #: The ring's deadline while offered; the end of wrap-up while in wrap-up.
    until: float | None = None
    #: When its current agent took it (handle time runs from here).
    assigned_at: float | None = None
    #: A transfer to one agent: where it goes back to if that agent does not take it.
    return_queue: Hashable | None = None
    #: The wait estimated on arrival, to report how far estimates were off.
    estimate_s: float | None = None
    #: When an agent first took it: its answer time, for the service level.
    answered_at: float | None = None
    #: Its place in its queue's order while waiting.
    key: tuple[float, float, int] | None = None
    #: Bumped on every change of state, so a stale timer knows it is stale.
    epoch: int = 0
