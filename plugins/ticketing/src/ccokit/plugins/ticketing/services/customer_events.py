"""What the customers plugin tells ticketing: profiles merged, a person erased.

:func:`on_customer_merged` moves tickets to the surviving profile (through the ticket write path,
so history and ``ticket.updated`` follow); :func:`on_customer_erased` removes the erased person's
name and contacts from their tickets, comments and history, and the same name, e-mail addresses
and phone numbers wherever they were written into a subject, a description or a comment, while
keeping the tickets themselves. Both run in the handler's transaction, never commit, and give
the same result when run twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
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
    comments' author names and the history rows that held them, and replace the same values
    where they were written into the tickets' text. Tickets stay; no event repeats the erased
    values."""
    customer = _customer(event.payload, "customer_id")
    if customer is None:
        return
    session: Session = ctx.session
    theirs = select(Ticket.id).where(Ticket.customer_id == customer).scalar_subquery()
    _scrub_text(session, customer, theirs)
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


#: What stands where an erased name, e-mail address or phone number was written.
ERASED = "[erased]"
_TEXT_FIELDS = ("subject", "description")
_PHONE_GAP = r"[\s\-.()]?"


def _phone_patterns(phone: str) -> set[str]:
    """Patterns of ``phone`` as people write it: digits with or without spaces, dashes or dots,
    with or without the country code 86 or a trunk 0 (at least six digits, so no short number
    matches by chance)."""
    digits = re.sub(r"\D", "", phone)
    forms = {digits}
    if digits.startswith("86") and len(digits) > 10:
        forms |= {digits[2:], "0" + digits[2:]}
    plus = r"\+?" if digits.startswith("86") else ""  # +86 138… goes whole, sign included
    return {
        r"(?<!\d)" + (plus if form == digits else "") + _PHONE_GAP.join(form) + r"(?!\d)"
        for form in forms if len(form) >= 6
    }


def _pattern(names: Iterable[str], emails: Iterable[str], phones: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for everything to erase; longest first, so an address wins over a name in it."""
    parts: set[str] = {re.escape(email) for email in emails if email}
    for phone in phones:
        parts |= _phone_patterns(phone)
    for name in (n.strip() for n in names):
        if len(name) >= 2:  # a one-letter "name" would erase that letter everywhere
            parts.add(rf"\b{re.escape(name)}\b" if name.isascii() else re.escape(name))
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE) if parts else None


def _scrub_text(session: Session, customer: uuid.UUID, theirs: Any) -> None:
    """Replace the person's name, e-mail addresses and phone numbers in their tickets' subjects,
    descriptions, comments and the history of those texts. Tickets are changed through the ORM
    (blanking the requester in the same change, so a ticket's version moves once and the search
    index follows); a ticket already erased holds nothing to look for, so a second run changes
    nothing."""
    rows = list(session.scalars(select(Ticket).where(Ticket.customer_id == customer)))
    pattern = _pattern(
        {t.requester_name for t in rows if t.requester_name},
        {t.requester_email for t in rows if t.requester_email},
        {t.requester_phone for t in rows if t.requester_phone},
    )
    if pattern is None:
        return
    for ticket in rows:
        changed = False
        for name in _TEXT_FIELDS:
            text = getattr(ticket, name) or ""
            scrubbed = pattern.sub(ERASED, text)
            if scrubbed != text:
                setattr(ticket, name, scrubbed)
                changed = True
        if changed:
            ticket.requester_name = ticket.requester_email = ticket.requester_phone = None
    for comment in session.scalars(select(Comment).where(Comment.ticket_id.in_(theirs))):
        scrubbed = pattern.sub(ERASED, comment.body)
        if scrubbed != comment.body:
            comment.body = scrubbed
    for change in session.scalars(
        select(TicketChange).where(TicketChange.ticket_id.in_(theirs), TicketChange.field.in_(_TEXT_FIELDS))
    ):
        for side in ("old", "new"):
            value = getattr(change, side)
            if isinstance(value, str) and pattern.search(value):
                setattr(change, side, pattern.sub(ERASED, value))
    session.flush()
