"""Payload schemas of the events ticketing publishes (see ``docs/events.md``).

Ids are public ids (``tkt_…``, ``mem_…``, ``grp_…``, ``cus_…``, ``cmt_…``), times ISO 8601
strings. Every ticket event carries the ticket's summary, ``via`` (``api``, ``macro``,
``trigger``, ``automation``, ``merge``, ``bulk``, ``system``) and the ``actor``.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

__all__ = [
    "CommentAddedEvent",
    "TicketAssignedEvent",
    "TicketClosedEvent",
    "TicketEvent",
    "TicketMergedEvent",
    "TicketUpdatedEvent",
]


class TicketSummary(ma.Schema):
    id = fields.String(required=True)
    number = fields.Integer(required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    category = fields.String(required=True)
    channel = fields.String(required=True)
    assignee_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    due_at = fields.String(allow_none=True)


class Actor(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "agent, app, customer, bot or system"})
    id = fields.String(allow_none=True, metadata={"description": "mem_… for agents, cus_… for customers"})


class TicketEvent(ma.Schema):
    """Payload of ``ticket.created``, ``ticket.solved`` and ``ticket.reopened``."""

    ticket = fields.Nested(TicketSummary, required=True)
    via = fields.String(required=True)
    actor = fields.Nested(Actor, required=True)


class TicketUpdatedEvent(TicketEvent):
    """``ticket.updated``: ``changes`` maps each changed field to ``{"old": …, "new": …}``."""

    changes = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)


class TicketClosedEvent(TicketEvent):
    merged_into_id = fields.String(allow_none=True)


class TicketAssignedEvent(TicketEvent):
    assignee_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    previous_assignee_id = fields.String(allow_none=True)
    previous_group_id = fields.String(allow_none=True)


class TicketMergedEvent(TicketEvent):
    """``ticket.merged``: ``ticket`` is the surviving ticket, ``source_ids`` the closed ones."""

    source_ids = fields.List(fields.String(), required=True)


class CommentPayload(ma.Schema):
    id = fields.String(required=True)
    ticket_id = fields.String(required=True)
    author_kind = fields.String(required=True)
    author_id = fields.String(allow_none=True)
    author_name = fields.String()
    public = fields.Boolean(required=True)
    body = fields.String(required=True)


class CommentAddedEvent(ma.Schema):
    comment = fields.Nested(CommentPayload, required=True)
    ticket_number = fields.Integer(required=True)
