"""Comments: public replies the customer sees and internal notes only agents see.

A comment is part of the ticket write path: adding one moves the ticket's ``updated_at`` and
``version``, and may change its status the way a service desk expects:

- the first public reply by an agent sets ``first_replied_at`` (the first-reply clock stops)
  and moves a ``new`` ticket to ``open``;
- a public reply by the customer on a ``pending`` or ``solved`` ticket opens it again (for a
  solved one that is a reopen, with ``ticket.reopened``).

``comment.added`` is published in the same transaction, then the ticket's listeners run with the
comment attached (:class:`~.changes.TicketWrite`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.services.changes import Actor, Publish
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit.plugins.ticketing.services.payloads import comment_payload
from ccokit.plugins.ticketing.services.tickets import write_fields
from ccokit_sdk.models import utcnow

__all__ = ["add_comment", "comments_query"]


def comments_query(ticket_id: uuid.UUID) -> Select[Any]:
    """A ticket's comments, for :func:`ccokit_sdk.pagination.page_of` (oldest first)."""
    return select(Comment).where(Comment.ticket_id == ticket_id)


def add_comment(
    session: Session,
    ticket: Ticket,
    data: Mapping[str, Any],
    *,
    actor: Actor,
    via: str,
    publish: Publish,
) -> Comment:
    """Add a comment (``body``, ``public``, ``author_kind``, optional ``author_id`` and
    ``author_name``) and apply what it means for the ticket; returns it flushed."""
    if ticket.status == "closed":
        raise Invalid.one("body", "closed")
    kind = data.get("author_kind") or ("agent" if actor.kind in ("agent", "app") else actor.kind)
    author_id = data.get("author_id")
    if author_id is None and kind == "agent" and actor.kind == "agent":
        author_id = actor.id
    elif author_id is None and kind == "customer":
        author_id = ticket.customer_id
    name = data.get("author_name")
    if name is None:
        name = (ticket.requester_name or "") if kind == "customer" else ""
    comment = Comment(
        ticket_id=ticket.id, author_kind=kind, author_id=author_id, author_name=name or "",
        public=data.get("public", True), body=data["body"], created_at=utcnow(),
    )
    session.add(comment)
    session.flush()
    publish("comment.added", {"comment": comment_payload(comment), "ticket_number": ticket.number})

    target: dict[str, Any] = {}
    if comment.public and kind == "agent":
        if ticket.first_replied_at is None:
            target["first_replied_at"] = comment.created_at
        if ticket.status == "new":
            target["status"] = "open"
    elif comment.public and kind == "customer" and ticket.status in ("pending", "solved"):
        target["status"] = "open"
    write_fields(session, ticket, target, actor=actor, via=via, publish=publish, comment=comment)
    return comment
