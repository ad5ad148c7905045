"""What the customers plugin tells ticketing: profiles merged, a person erased.

:func:`on_customer_merged` moves tickets to the surviving profile (through the ticket write path,
so history and ``ticket.updated`` follow); :func:`on_customer_erased` removes the erased person's
name and contacts from their tickets, comments and history while keeping the tickets themselves.
Both run in the handler's transaction, never commit, and give the same result when run twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket, TicketChange
from ccokit.plugins.ticketing.services import tickets
from ccokit.plugins.ticketing.services.changes import SYSTEM
from ccokit_sdk.events import Event, HandlerContext
from ccokit_sdk.ids import InvalidPublicId, decode_public_id

__all__ = ["on_customer_erased", "on_customer_merged"]

_PERSONAL = ("requester_name", "requester_email", "requester_phone")


def _customer(payload: Mapping[str, Any], key: str) -> uuid.UUID | None:
    try:
        return decode_public_id("cus", payload.get(key))
    except InvalidPublicId:
        return None


def on_customer_merged(event: Event, ctx: HandlerContext) -> None:
    """``customer.merged``: the merged profile's tickets now belong to the surviving one."""
    target, source = _customer(event.payload, "customer_id"), _customer(event.payload, "merged_id")
    if target is None or source is None or target == source:
        return
    session: Session = ctx.session
    for ticket in session.scalars(select(Ticket).where(Ticket.customer_id == source)):
        tickets.write_fields(
            session, ticket, {"customer_id": target}, actor=SYSTEM, via="system", publish=ctx.publish
        )


def on_customer_erased(event: Event, ctx: HandlerContext) -> None:
    """``customer.erased``: blank the person's name and contacts on their tickets, their
    comments' author names and the history rows that held them. Tickets stay; no event
    repeats the erased values."""
    customer = _customer(event.payload, "customer_id")
    if customer is None:
        return
    session: Session = ctx.session
    theirs = select(Ticket.id).where(Ticket.customer_id == customer).scalar_subquery()
    quiet = {"synchronize_session": False}
    still_personal = or_(
        Ticket.requester_name.is_not(None), Ticket.requester_email.is_not(None),
        Ticket.requester_phone.is_not(None),
    )
    session.execute(
        update(Ticket).where(Ticket.customer_id == customer, still_personal)
        .values(requester_name=None, requester_email=None, requester_phone=None, version=Ticket.version + 1)
        .execution_options(**quiet)
    )
    session.execute(
        update(Comment)
        .where(Comment.ticket_id.in_(theirs), Comment.author_kind == "customer")
        .values(author_name="")
        .execution_options(**quiet)
    )
    session.execute(
        update(TicketChange)
        .where(TicketChange.ticket_id.in_(theirs), TicketChange.field.in_(_PERSONAL))
        .values(old=None, new=None)
        .execution_options(**quiet)
    )
