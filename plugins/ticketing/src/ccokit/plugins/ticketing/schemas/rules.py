"""Transport schemas of macros, triggers and automations.

Conditions and actions pass through as JSON here: the rules service checks them against the
workspace's custom fields and reports each problem at its exact path (``conditions.all.2.value``),
which a nested schema could not do for fields that are only known per workspace.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

MACRO, TRIGGER, AUTOMATION = "mac", "trg", "aut"

_CONDITIONS_DOC = {
    "type": "object",
    "description": 'Conditions: {"all": [...], "any": [...]}, each {"field", "operator", "value"}. '
    "See docs/ticketing.md (Rules) for fields and operators.",
    "example": {"all": [{"field": "status", "operator": "is", "value": "solved"},
                        {"field": "hours_since.solved", "operator": "gt", "value": 96}], "any": []},
}
_ACTIONS_DOC = {
    "type": "array",
    "items": {"type": "object"},
    "description": 'Actions: [{"action": "set", "field": "status", "value": "closed"}, '
    '{"action": "add_tags", "value": ["x"]}, {"action": "reply", "value": "Hello {{requester.name}}"}, …]',
    "example": [{"action": "set", "field": "status", "value": "closed"}],
}
TITLE = validate.Length(1, 200)
DESCRIPTION = validate.Length(max=2000)


class _RuleBase(ma.Schema):
    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=DESCRIPTION)
    actions = fields.Raw(required=True, metadata=_ACTIONS_DOC)
    active = fields.Boolean(load_default=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class MacroSchema(_RuleBase):
    """A macro: a named list of actions an agent applies in one click."""

    id = PublicIdField(MACRO, dump_only=True)
    usage_count = fields.Integer(dump_only=True)


class TriggerSchema(_RuleBase):
    """A trigger: conditions checked after every ticket change, actions when they hold."""

    id = PublicIdField(TRIGGER, dump_only=True)
    position = fields.Integer(
        validate=validate.Range(0, 100_000),
        metadata={"description": "Run order, lowest first; new triggers go last."},
    )
    conditions = fields.Raw(required=True, metadata=_CONDITIONS_DOC)


class AutomationSchema(TriggerSchema):
    """An automation: time-based conditions checked periodically, actions when they hold."""

    id = PublicIdField(AUTOMATION, dump_only=True)


class _Patch(ma.Schema):
    title = fields.String(validate=TITLE)
    description = fields.String(validate=DESCRIPTION)
    actions = fields.Raw(metadata=_ACTIONS_DOC)
    active = fields.Boolean()


class MacroPatchSchema(_Patch):
    """A change to a macro: any writable field; conditions and actions are checked again."""


class TriggerPatchSchema(_Patch):
    """A change to a trigger or an automation: any writable field, checked as on creation."""

    position = fields.Integer(validate=validate.Range(0, 100_000))
    conditions = fields.Raw(metadata=_CONDITIONS_DOC)


def _page(item: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "next_cursor": fields.String(allow_none=True)},
        name=f"{item.__name__.removesuffix('Schema')}Page",
    )


MacroPageSchema = _page(MacroSchema)
TriggerPageSchema = _page(TriggerSchema)
AutomationPageSchema = _page(AutomationSchema)


class RuleQuerySchema(CursorArgsSchema):
    active = fields.Boolean(metadata={"description": "Only active (true) or inactive (false) ones."})


class ReorderSchema(ma.Schema):
    """The new run order: every trigger's id, each once, first to run first."""

    ids = fields.List(PublicIdField(TRIGGER), required=True, validate=validate.Length(1, 1000))


class PreviewCommentSchema(ma.Schema):
    body = fields.String()
    public = fields.Boolean()


class MacroPreviewSchema(ma.Schema):
    """What applying a macro would do to a ticket; nothing is saved."""

    ticket = fields.Dict(metadata={"description": "The ticket as it would be, in the ticket API's shape."})
    changes = fields.Dict(metadata={"description": "The fields that would change, with their new values."})
    comments = fields.List(fields.Nested(PreviewCommentSchema))
    notifications = fields.List(fields.String(), metadata={"description": "ticket.rule_notified messages."})


class RuleNotifiedRuleSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "mac_…, trg_… or aut_…"})
    kind = fields.String(required=True, validate=validate.OneOf(["macro", "trigger", "automation"]))
    title = fields.String(required=True)


class RuleNotifiedTicketSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "tkt_…"})
    number = fields.Integer(allow_none=True)
    subject = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    category = fields.String(allow_none=True)
    tags = fields.List(fields.String(), required=True)
    custom_fields = fields.Dict(required=True)


class RuleNotifiedEventSchema(ma.Schema):
    """Payload of ``ticket.rule_notified``: a rule's ``notify_webhook`` action ran on a ticket."""

    rule = fields.Nested(RuleNotifiedRuleSchema, required=True)
    ticket = fields.Nested(RuleNotifiedTicketSchema, required=True)
    message = fields.String(required=True)
