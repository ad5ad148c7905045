"""Transport schemas of conversations, agents' actions and presence, and live queue figures."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.routing.engine.model import CHANNELS, ConvState, Presence
from ccokit.plugins.routing.schemas.config import LANGUAGE, Skills
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import AttributeSchema, PublicIdField

__all__ = [
    "AgentActionSchema",
    "AgentWorkSchema",
    "ConversationCreateSchema",
    "ConversationListArgsSchema",
    "ConversationPageSchema",
    "ConversationSchema",
    "PresenceSchema",
    "QueueStatsSchema",
    "RoutingStatsSchema",
    "TransferSchema",
    "WorkspaceStatsSchema",
]


class ConversationCreateSchema(ma.Schema):
    """A customer asks for a human: which queue, on which channel, with what needs."""

    queue_id = PublicIdField("que", required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    #: Skills this conversation needs beyond the queue's (``{"refund": 2}``).
    skills = Skills(load_default=dict)
    language = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(LANGUAGE))
    customer_id = PublicIdField("cus", load_default=None, allow_none=True)
    #: The customer's value to the merchant (an order amount, a lifetime value), in the queue's unit.
    value = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 1e9))
    #: The caller's own priority points, added to the tier's, the channel's and the value's.
    priority = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 100))
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))


class HandedSchema(ma.Schema):
    """Work a decision gave an agent: an offer ringing them or a conversation now theirs."""

    conversation_id = PublicIdField("conv")
    agent_id = PublicIdField("mem")
    state = fields.String(metadata={"description": "offered or assigned"})
    channel = fields.String()
    offer_expires_at = fields.AwareDateTime(allow_none=True)


class ConversationSchema(AttributeSchema):
    id = PublicIdField("conv", dump_only=True)
    queue_id = PublicIdField("que")
    channel = fields.String()
    state = fields.String()
    skills = fields.Dict()
    language = fields.String(allow_none=True)
    customer_id = PublicIdField("cus", allow_none=True)
    tier = fields.String(allow_none=True)
    value = fields.Float(allow_none=True)
    priority = fields.Float()
    external_ref = fields.String(allow_none=True)
    agent_id = PublicIdField("mem", allow_none=True)
    stage = fields.Integer()
    arrived_at = fields.AwareDateTime()
    offered_at = fields.AwareDateTime(allow_none=True)
    offer_expires_at = fields.AwareDateTime(allow_none=True)
    assigned_at = fields.AwareDateTime(allow_none=True)
    wrapup_until = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    waited_s = fields.Float(allow_none=True)
    #: What the customer was told on arrival.
    position_told = fields.Integer(allow_none=True)
    estimate_s = fields.Float(allow_none=True)
    #: Where it stands now: 1 is next, 0 once an agent has it (null when over).
    position = fields.Integer(allow_none=True)
    estimated_wait_s = fields.Float(allow_none=True)
    #: What to offer the customer instead when it was refused or waited too long.
    alternatives = fields.List(fields.String())
    #: In the answer to a decision (arrival, accept, decline, complete, end of wrap-up,
    #: transfer, abandon): every offer and assignment it made, to this conversation or to
    #: others (a completion hands the agent their next one; a decline rings someone else), so an
    #: agent desk learns of new work without asking again. Empty elsewhere.
    handed = fields.List(fields.Nested(HandedSchema))


class ConversationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ConversationSchema))
    next_cursor = fields.String(allow_none=True)


class ConversationListArgsSchema(CursorArgsSchema):
    state = fields.String(validate=validate.OneOf([s.value for s in ConvState]))
    queue_id = PublicIdField("que")
    agent_id = PublicIdField("mem")


class AgentActionSchema(ma.Schema):
    """Who acts: the member behind the token, or (for a token of an application acting for its
    agents) the agent named here."""

    agent_id = PublicIdField("mem", load_default=None, allow_none=True)


class TransferSchema(AgentActionSchema):
    to_queue_id = PublicIdField("que", load_default=None, allow_none=True)
    to_agent_id = PublicIdField("mem", load_default=None, allow_none=True)

    @ma.validates_schema(skip_on_field_errors=True)
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("to_queue_id") is None) == (data.get("to_agent_id") is None):
            raise ma.ValidationError("Name one target: to_queue_id or to_agent_id.", "to_queue_id")


class PresenceSchema(ma.Schema):
    presence = fields.String(required=True, validate=validate.OneOf([p.value for p in Presence]))


class AgentWorkSchema(ma.Schema):
    """What an agent has now: the conversation ringing them, and those they hold."""

    presence = fields.String()
    offer = fields.Nested(ConversationSchema, allow_none=True)
    holding = fields.List(fields.Nested(ConversationSchema))


class _Estimates(ma.Schema):
    samples = fields.Integer()
    median_abs_s = fields.Float(allow_none=True)
    mean_s = fields.Float(allow_none=True)


class WorkspaceStatsSchema(ma.Schema):
    """Live figures over a workspace's queues and agents (rates per minute, times in seconds,
    shares 0-1; counts since the engine's statistics began)."""

    waiting = fields.Integer()
    longest_wait_s = fields.Float()
    agents = fields.Dict(keys=fields.String(), values=fields.Integer())
    occupancy = fields.Float(allow_none=True)
    admitted = fields.Integer()
    refused = fields.Integer()
    answered = fields.Integer()
    abandoned = fields.Integer()
    ended_max_wait = fields.Integer()
    arrivals_per_min = fields.Float()
    answers_per_min = fields.Float()
    service_level = fields.Float(allow_none=True)
    abandonment = fields.Float(allow_none=True)
    mean_wait_s = fields.Float(allow_none=True)


class QueueStatsSchema(WorkspaceStatsSchema):
    """A queue's live figures, with how far its wait estimates were off."""

    queue_id = PublicIdField("que")
    name = fields.String()
    mean_handle_s = fields.Float(allow_none=True)
    estimate_error = fields.Nested(_Estimates)


class RoutingStatsSchema(ma.Schema):
    """The workspace's live figures in all and queue by queue."""

    workspace = fields.Nested(WorkspaceStatsSchema)
    queues = fields.List(fields.Nested(QueueStatsSchema))
