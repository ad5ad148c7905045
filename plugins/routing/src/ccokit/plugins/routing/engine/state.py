"""The engine's state of one workspace: its queues (in waiting order, also by channel), its
agents and who of them is ready, its live conversations, and who last served each customer.

Only :class:`~.router.Router` changes these; :mod:`.figures` and :mod:`.invariants` read them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from sortedcontainers import SortedList

from ccokit.plugins.routing.engine.model import Agent, Conversation, QueuePolicy
from ccokit.plugins.routing.engine.stats import QueueStats

__all__ = ["QueueState", "TenantState"]


@dataclass(slots=True)
class QueueState:
    policy: QueuePolicy
    stats: QueueStats
    waiting: SortedList = field(default_factory=SortedList)  # of Conversation.key
    #: The same keys by channel: an agent with only a video seat free looks at video
    #: conversations, however many chats wait ahead of them.
    by_channel: dict[str, SortedList] = field(default_factory=dict)
    entries: dict[int, Conversation] = field(default_factory=dict)  # by the key's sequence number
    last_picked: Hashable | None = None  # round robin's cursor


@dataclass(slots=True)
class TenantState:
    queues: dict[Hashable, QueueState] = field(default_factory=dict)
    agents: dict[Hashable, Agent] = field(default_factory=dict)
    order: dict[Hashable, int] = field(default_factory=dict)  # agents in the order they joined
    joined: int = 0  # agents that ever joined: the next one's place in ``order``
    ready: dict[Hashable, Agent] = field(default_factory=dict)
    conversations: dict[Hashable, Conversation] = field(default_factory=dict)  # live ones
    recent: dict[Hashable, tuple[Hashable, float]] = field(default_factory=dict)  # customer -> agent, when
