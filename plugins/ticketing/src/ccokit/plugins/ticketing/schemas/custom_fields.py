"""Transport schemas of custom field definitions (``/fields``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.schemas.listing import FIELD_KEY
from ccokit.plugins.ticketing.vocabulary import FIELD_TYPES
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "CustomFieldPageSchema",
    "CustomFieldPatchSchema",
    "CustomFieldQuerySchema",
    "CustomFieldSchema",
]

TITLE = validate.Length(1, 100)
OPTION_VALUE = validate.Regexp(r"^[\w\-.]{1,60}$", error="1-60 letters, digits, _, - or .")


class TitlesSchema(ma.Schema):
    """The field's (or option's) name in English and Chinese, as agents see it."""

    en = fields.String(required=True, validate=TITLE)
    zh = fields.String(required=True, validate=TITLE)


class OptionSchema(ma.Schema):
    value = fields.String(required=True, validate=OPTION_VALUE)
    titles = fields.Nested(TitlesSchema, required=True)


class CustomFieldSchema(ma.Schema):
    id = PublicIdField("fld", dump_only=True)
    key = fields.String(
        required=True, validate=FIELD_KEY,
        metadata={"description": "Stable; used in custom_fields and cf.<key> filters."},
    )
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    titles = fields.Nested(TitlesSchema, required=True)
    options = fields.List(fields.Nested(OptionSchema), load_default=list, validate=validate.Length(max=200))
    required = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    position = fields.Integer(load_default=0, validate=validate.Range(0, 10_000))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class CustomFieldPatchSchema(ma.Schema):
    """Titles, options, required, active and position may change; the key and type may not."""

    type = fields.String(validate=validate.OneOf(FIELD_TYPES))
    titles = fields.Nested(TitlesSchema)
    options = fields.List(fields.Nested(OptionSchema), validate=validate.Length(max=200))
    required = fields.Boolean()
    active = fields.Boolean()
    position = fields.Integer(validate=validate.Range(0, 10_000))


class CustomFieldPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CustomFieldSchema))
    next_cursor = fields.String(allow_none=True)


class CustomFieldQuerySchema(CursorArgsSchema):
    pass
