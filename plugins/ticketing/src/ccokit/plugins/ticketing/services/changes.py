"""Who changes tickets, and the hook that lets ticketing's own rules react in the same transaction.

Every write to a ticket goes through :func:`ccokit.plugins.ticketing.services.tickets.create_ticket`,
:func:`~ccokit.plugins.ticketing.services.tickets.update_ticket` or
:func:`~ccokit.plugins.ticketing.services.comments.add_comment`, whoever asks: a view, bulk
update, merge, a macro, a trigger or an automation (``via`` says which). At the end of each,
after the ticket and its history rows are flushed and its events published, every function in
:data:`on_ticket_changed` is called with a :class:`TicketWrite`, inside the same transaction.

That is where the rules engine runs triggers: a listener may call ``update_ticket`` again (with
``via="trigger"``), which calls the listeners again; the listener, not this module, is
responsible for stopping (e.g. by ignoring writes whose ``via`` is ``"trigger"`` or by tracking
which triggers already fired on this ticket in this transaction). A listener must not commit; an
exception it raises aborts the whole write.

Listeners are plain functions appended at import or ``setup`` time::

    from ccokit.plugins.ticketing.services import changes

    def run_triggers(write: changes.TicketWrite) -> None:
        if write.via != "trigger" and "status" in write.changes: ...

    changes.on_ticket_changed.append(run_triggers)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from ccokit.plugins.ticketing.models.tickets import Comment, Ticket

__all__ = ["SYSTEM", "Actor", "Publish", "TicketWrite", "notify", "on_ticket_changed"]

#: ``current().publish`` or a handler's ``ctx.publish``: records an event in the transaction.
Publish = Callable[[str, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Actor:
    """Who made a change: ``kind`` is one of ``models.tickets.ACTOR_KINDS`` (``agent`` with the
    member's id, ``app`` for an API client acting on its own, ``customer``, ``bot``, ``system``)."""

    kind: str
    id: uuid.UUID | None = None
    name: str = ""


SYSTEM = Actor("system")


@dataclass
class TicketWrite:
    """One write to one ticket, as the listeners see it.

    ``changes`` maps API field names (``status``, ``assignee_id``, ``custom_fields.order_amount``…)
    to ``(old, new)`` in their API form (public ids, ISO times); it is empty for a comment that
    changed no field. ``created`` is true for a new ticket (then ``changes`` holds every field
    that was set); ``comment`` is the comment added, if the write added one.
    """

    session: Session
    ticket: Ticket
    changes: Mapping[str, tuple[Any, Any]]
    actor: Actor
    via: str
    publish: Publish
    created: bool = False
    comment: Comment | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: Called with every :class:`TicketWrite`, in order, inside the write's transaction.
on_ticket_changed: list[Callable[[TicketWrite], None]] = []


def notify(write: TicketWrite) -> None:
    """Run every listener on ``write`` (the last step of each ticket write)."""
    for listener in list(on_ticket_changed):
        listener(write)
