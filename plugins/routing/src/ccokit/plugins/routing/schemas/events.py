"""Payload schemas of routing's events (what subscribers and webhooks receive)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from ccokit.plugins.routing.schemas.conversations import RoutingStatsSchema

__all__ = ["EVENT_SCHEMAS"]


class ConversationSummarySchema(ma.Schema):
    id = fields.String(required=True)
    queue_id = fields.String(allow_none=True)
    channel = fields.String()
    state = fields.String()
    agent_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    arrived_at = fields.String(allow_none=True)


class _ConversationEvent(ma.Schema):
    conversation = fields.Nested(ConversationSummarySchema, required=True)


class QueuedSchema(_ConversationEvent):
    position = fields.Integer(required=True)
    estimated_wait_s = fields.Float(allow_none=True)


class RefusedSchema(_ConversationEvent):
    reason = fields.String(required=True)
    alternatives = fields.List(fields.String())


class OfferedSchema(_ConversationEvent):
    agent_id = fields.String(required=True)
    expires_at = fields.String(required=True)


class AssignedSchema(_ConversationEvent):
    agent_id = fields.String(required=True)
    waited_s = fields.Float(required=True)


class RequeuedSchema(_ConversationEvent):
    reason = fields.String(required=True)
    previous_agent_id = fields.String(allow_none=True)


class OverflowedSchema(_ConversationEvent):
    stage = fields.Integer(required=True)


class WrapUpSchema(_ConversationEvent):
    agent_id = fields.String(required=True)
    until = fields.String(required=True)


class EndedSchema(_ConversationEvent):
    reason = fields.String(required=True)
    agent_id = fields.String(allow_none=True)
    alternatives = fields.List(fields.String())


class AbandonedSchema(_ConversationEvent):
    waited_s = fields.Float(required=True)


class PresenceChangedSchema(ma.Schema):
    agent_id = fields.String(required=True)
    presence = fields.String(required=True)
    reason = fields.String(required=True)


#: Event type -> (payload schema, description).

EVENT_SCHEMAS: dict[str, tuple[type[ma.Schema], str]] = {
    "conversation.queued": (QueuedSchema, "A conversation joined its queue; position and estimated wait."),
    "conversation.refused": (
        RefusedSchema, "A conversation was not queued (closed or full); offer a callback or a ticket."),
    "conversation.offered": (OfferedSchema, "A conversation rings an agent until expires_at."),
    "conversation.assigned": (AssignedSchema, "An agent took the conversation."),
    "conversation.requeued": (
        RequeuedSchema, "A conversation went back to its queue (declined, missed, transferred)."),
    "conversation.overflowed": (
        OverflowedSchema, "An overflow stage opened: more agents may take the conversation."),
    "conversation.wrap_up": (
        WrapUpSchema, "The agent completed the conversation and wraps up until `until`."),
    "conversation.ended": (
        EndedSchema, "A conversation is over (completed, or waited longer than the queue allows)."),
    "conversation.abandoned": (AbandonedSchema, "The customer left before an agent took the conversation."),
    "agent.presence_changed": (
        PresenceChangedSchema, "The system changed an agent's presence (away after a missed offer)."),
    "routing.stats": (
        RoutingStatsSchema, "Every minute while a workspace has routing going on: its live figures."),
}
