"""What an engine operation did, in order: the service layer writes each to the durable record
and publishes it as an event (``conversation.offered``, ``agent.presence_changed``, …).

Effects name conversations and agents by id and carry the values the record needs, so that they
can be applied after the engine has moved on.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

__all__ = [
    "Abandoned",
    "Admitted",
    "Assigned",
    "Effect",
    "Ended",
    "Offered",
    "Overflowed",
    "PresenceChanged",
    "Refused",
    "Requeued",
    "WrapUp",
]


@dataclass(frozen=True, slots=True)
class Admitted:
    conversation: Hashable
    queue: Hashable
    position: int
    estimate_s: float | None


@dataclass(frozen=True, slots=True)
class Refused:
    """Not queued: ``queue_full`` or ``closed``; the customer is offered a callback or a ticket."""

    conversation: Hashable
    queue: Hashable
    reason: str


@dataclass(frozen=True, slots=True)
class Offered:
    conversation: Hashable
    agent: Hashable
    deadline: float


@dataclass(frozen=True, slots=True)
class Assigned:
    conversation: Hashable
    agent: Hashable
    waited_s: float


@dataclass(frozen=True, slots=True)
class Requeued:
    """Back in its queue: ``declined``, ``ring_timeout``, ``presence`` (the agent left),
    ``capacity`` (the agent's seats were lowered while it rang),
    ``transferred`` (to a queue) or ``transfer_refused`` (the agent it was sent to did not take it)."""

    conversation: Hashable
    queue: Hashable
    reason: str
    agent: Hashable | None


@dataclass(frozen=True, slots=True)
class Overflowed:
    """An overflow stage opened: more agents may take the conversation."""

    conversation: Hashable
    stage: int


@dataclass(frozen=True, slots=True)
class WrapUp:
    conversation: Hashable
    agent: Hashable
    until: float


@dataclass(frozen=True, slots=True)
class Ended:
    """Over: ``completed`` (after wrap-up, if any) or ``max_wait`` (waited longer than the queue
    allows; the customer is offered a callback or a ticket)."""

    conversation: Hashable
    agent: Hashable | None
    reason: str


@dataclass(frozen=True, slots=True)
class Abandoned:
    """The customer left before an agent took the conversation."""

    conversation: Hashable
    waited_s: float


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """The engine changed an agent's presence (``missed_offer``: away after a ring timeout)."""

    agent: Hashable
    presence: str
    reason: str


Effect = (
    Admitted | Refused | Offered | Assigned | Requeued | Overflowed | WrapUp | Ended | Abandoned
    | PresenceChanged
)
