"""Operations on many tickets in one transaction: merge and bulk update.

Both go through the one write path (:func:`.tickets.update_ticket`, with ``via="merge"`` or
``via="bulk"``), so each ticket gets its history, events and listeners as if changed alone.
Neither commits; a refusal raises before the caller commits, and the caller rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.services import comments
from ccokit.plugins.ticketing.services.changes import SYSTEM, Actor, Publish
from ccokit.plugins.ticketing.services.messages import Invalid, Message
from ccokit.plugins.ticketing.services.payloads import public, ticket_summary
from ccokit.plugins.ticketing.services.tickets import actor_payload, update_ticket

__all__ = ["BulkInvalid", "bulk_update", "load_many", "merge_tickets"]


class BulkInvalid(Exception):
    """Some tickets refused the changes; ``errors`` maps their public ids to field errors."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)


def load_many(session: Session, ids: Sequence[uuid.UUID], field_name: str) -> list[Ticket]:
    """The tickets with ``ids`` in the given order, locked for update, in one statement;
    raises ``Invalid`` on ``field_name`` for any id the tenant does not have."""
    wanted = list(dict.fromkeys(ids))
    found = {
        t.id: t for t in session.scalars(
            select(Ticket).where(Ticket.id.in_(wanted)).order_by(Ticket.id).with_for_update()
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid({field_name: [
            Message("unknown_ticket", {"id": public("ticket", i)}) for i in missing
        ]})
    return [found[i] for i in wanted]


def merge_tickets(
    session: Session, target: Ticket, sources: Sequence[Ticket], *, actor: Actor, publish: Publish
) -> Ticket:
    """Fold ``sources`` into ``target``: their comments move to it, their tags and followers
    join its own, each source gets an internal note and is closed with ``merged_into_id``, the
    target gets a note listing them; ``ticket.merged`` is published."""
    errors: list[Message] = []
    for ticket in (target, *sources):
        if ticket.status == "closed":
            errors.append(Message("merge_closed", {"number": ticket.number}))
    if any(s.id == target.id for s in sources):
        errors.append(Message("merge_self"))
    if errors:
        raise Invalid({"source_ids": errors})

    source_ids = [s.id for s in sources]
    session.execute(
        update(Comment).where(Comment.ticket_id.in_(source_ids)).values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    )
    numbers = ", ".join(f"#{s.number}" for s in sources)
    for source in sources:
        comments.add_comment(session, source, {
            "body": f"Merged into #{target.number}. / 已合并到工单 #{target.number}。",
            "public": False, "author_kind": "system",
        }, actor=SYSTEM, via="merge", publish=publish)
        update_ticket(
            session, source, {"status": "closed", "merged_into_id": target.id},
            actor=actor, via="merge", publish=publish, enforce_transitions=False,
        )
    comments.add_comment(session, target, {
        "body": f"Merged {numbers} into this ticket. / 已将 {numbers} 合并到本工单。",
        "public": False, "author_kind": "system",
    }, actor=SYSTEM, via="merge", publish=publish)
    update_ticket(session, target, {
        "add_tags": [t for s in sources for t in s.tags or []],
        "add_followers": [uuid.UUID(f) for s in sources for f in s.followers or []],
    }, actor=actor, via="merge", publish=publish)
    publish("ticket.merged", {
        "ticket": ticket_summary(target),
        "source_ids": [public("ticket", i) for i in source_ids],
        "via": "merge",
        "actor": actor_payload(actor),
    })
    return target


def bulk_update(
    session: Session, tickets: Sequence[Ticket], changes: Mapping[str, Any], *, actor: Actor, publish: Publish
) -> list[Ticket]:
    """Apply the same ``changes`` to every ticket; raises :class:`BulkInvalid` listing every
    ticket that refused (the caller rolls back what the others did)."""
    if not changes:
        raise Invalid.one("changes", "nothing_to_change")
    errors: dict[str, Any] = {}
    for ticket in tickets:
        try:
            update_ticket(session, ticket, changes, actor=actor, via="bulk", publish=publish)
        except Invalid as exc:
            errors[str(public("ticket", ticket.id))] = exc.errors
    if errors:
        raise BulkInvalid(errors)
    return list(tickets)
