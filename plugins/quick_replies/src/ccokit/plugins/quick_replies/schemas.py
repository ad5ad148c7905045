"""Transport schemas of the quick-replies API and the plugin's per-tenant settings."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

SHORTCUT = validate.Regexp(
    r"^/[\w\-]{1,39}$", error="A slash and 1-39 letters, digits, - or _ (e.g. /refund)."
)
LANGUAGE = validate.OneOf(["zh", "en"])


class SettingsSchema(ma.Schema):
    """Per-tenant settings: a cap on the library size and the default language of new replies."""

    max_replies = fields.Integer(load_default=500, dump_default=500, validate=validate.Range(1, 10_000))
    default_language = fields.String(load_default="zh", dump_default="zh", validate=LANGUAGE)


class QuickReplySchema(ma.Schema):
    id = PublicIdField("qr", dump_only=True)
    shortcut = fields.String(required=True, validate=SHORTCUT)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    body = fields.String(required=True, validate=validate.Length(1, 4000))
    language = fields.String(validate=LANGUAGE)
    tags = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=20))
    usage_count = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class QuickReplyPatchSchema(ma.Schema):
    """A change to a quick reply: any of its writable fields, each validated as on creation."""

    shortcut = fields.String(validate=SHORTCUT)
    title = fields.String(validate=validate.Length(1, 200))
    body = fields.String(validate=validate.Length(1, 4000))
    language = fields.String(validate=LANGUAGE)
    tags = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=20))


class QuickReplyPageSchema(ma.Schema):
    items = fields.List(fields.Nested(QuickReplySchema))
    next_cursor = fields.String(allow_none=True)


class QuickReplyQuerySchema(CursorArgsSchema):
    language = fields.String(validate=LANGUAGE)
    q = fields.String(validate=validate.Length(1, 100), metadata={"description": "Text in title or body."})


class RenderArgsSchema(ma.Schema):
    variables = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\w{1,40}$")),
        values=fields.String(validate=validate.Length(max=500)),
        load_default=dict,
    )


class RenderedSchema(ma.Schema):
    id = PublicIdField("qr")
    text = fields.String()


class QuickReplyEventSchema(ma.Schema):
    """Payload of ``quick_reply.created``, ``.updated`` and ``.deleted``."""

    id = fields.String(required=True, metadata={"description": "Public id, qr_…"})
    shortcut = fields.String(required=True)
    title = fields.String(required=True)
