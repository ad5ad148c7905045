"""Transport schemas of ticket groups (``/groups``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = ["GroupPageSchema", "GroupPatchSchema", "GroupQuerySchema", "GroupSchema"]

NAME = validate.Length(1, 100)
DESCRIPTION = validate.Length(max=2000)


class GroupSchema(ma.Schema):
    id = PublicIdField("grp", dump_only=True)
    name = fields.String(required=True, validate=NAME)
    description = fields.String(load_default="", validate=DESCRIPTION)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class GroupPatchSchema(ma.Schema):
    name = fields.String(validate=NAME)
    description = fields.String(validate=DESCRIPTION)


class GroupPageSchema(ma.Schema):
    items = fields.List(fields.Nested(GroupSchema))
    next_cursor = fields.String(allow_none=True)


class GroupQuerySchema(CursorArgsSchema):
    pass
