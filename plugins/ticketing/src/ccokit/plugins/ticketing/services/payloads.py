"""Tickets and comments as the outside world sees them: in events, history and exports.

Inside, a ticket holds UUIDs and datetimes; outside (API, events, history rows, CSV) they are
prefixed public ids and ISO 8601 times. One function per direction keeps every surface in step.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit_sdk.ids import encode_public_id

__all__ = [
    "API_FIELDS",
    "PREFIXES",
    "api_value",
    "comment_payload",
    "public",
    "ticket_summary",
]

#: Prefixes of the public ids ticketing shows.
PREFIXES = {
    "ticket": "tkt", "comment": "cmt", "group": "grp", "member": "mem", "customer": "cus",
    "field": "fld", "view": "view", "change": "chg",
}

#: API field name -> model attribute, for every field a write may change.
API_FIELDS = {
    "subject": "subject",
    "description": "description",
    "channel": "channel",
    "category": "category",
    "priority": "priority",
    "status": "status",
    "assignee_id": "assignee_member_id",
    "group_id": "group_id",
    "followers": "followers",
    "tags": "tags",
    "due_at": "due_at",
    "customer_id": "customer_id",
    "requester_name": "requester_name",
    "requester_email": "requester_email",
    "requester_phone": "requester_phone",
    "first_replied_at": "first_replied_at",
    "merged_into_id": "merged_into_id",
}
_ID_FIELDS = {
    "assignee_id": "mem", "group_id": "grp", "customer_id": "cus", "merged_into_id": "tkt",
}


def public(kind: str, value: uuid.UUID | None) -> str | None:
    """``value`` as a public id of ``kind`` (a key of :data:`PREFIXES`), ``None`` stays ``None``."""
    return None if value is None else encode_public_id(PREFIXES[kind], value)


def api_value(field: str, value: Any) -> Any:
    """A stored value of API field ``field`` in its JSON form (public ids, ISO times)."""
    if value is None:
        return None
    if field in _ID_FIELDS:
        return encode_public_id(_ID_FIELDS[field], value)
    if field == "followers":
        return [encode_public_id("mem", uuid.UUID(str(v))) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """The part of a ticket every ticket event carries."""
    return {
        "id": public("ticket", ticket.id),
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "channel": ticket.channel,
        "assignee_id": public("member", ticket.assignee_member_id),
        "group_id": public("group", ticket.group_id),
        "customer_id": public("customer", ticket.customer_id),
        "tags": list(ticket.tags or []),
        "due_at": api_value("due_at", ticket.due_at),
    }


def comment_payload(comment: Comment) -> dict[str, Any]:
    """A comment as ``comment.added`` carries it."""
    author_prefix = {"agent": "mem", "customer": "cus"}.get(comment.author_kind)
    return {
        "id": public("comment", comment.id),
        "ticket_id": public("ticket", comment.ticket_id),
        "author_kind": comment.author_kind,
        "author_id": (
            encode_public_id(author_prefix, comment.author_id)
            if author_prefix and comment.author_id else None
        ),
        "author_name": comment.author_name,
        "public": comment.public,
        "body": comment.body,
    }
