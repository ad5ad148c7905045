"""Transport schemas of saved views (``/views``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.schemas.listing import DEFAULT_SORT, SORTS, TicketFiltersSchema
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "ViewOutSchema",
    "ViewPageSchema",
    "ViewPatchSchema",
    "ViewQuerySchema",
    "ViewSchema",
    "ViewTicketsArgsSchema",
]

NAME = validate.Length(1, 100)


class ViewSchema(ma.Schema):
    """A saved list: ``filters`` takes what ``GET /tickets`` takes (custom fields under ``cf``)."""

    id = PublicIdField("view", dump_only=True)
    name = fields.String(required=True, validate=NAME)
    filters = fields.Nested(TicketFiltersSchema, load_default=dict)
    sort = fields.String(load_default=DEFAULT_SORT, validate=validate.OneOf(SORTS))
    position = fields.Integer(load_default=0, validate=validate.Range(0, 10_000))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ViewOutSchema(ViewSchema):
    filters = fields.Dict()


class ViewPatchSchema(ma.Schema):
    name = fields.String(validate=NAME)
    filters = fields.Nested(TicketFiltersSchema)
    sort = fields.String(validate=validate.OneOf(SORTS))
    position = fields.Integer(validate=validate.Range(0, 10_000))


class ViewPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ViewOutSchema))
    next_cursor = fields.String(allow_none=True)


class ViewQuerySchema(CursorArgsSchema):
    pass


class ViewTicketsArgsSchema(ma.Schema):
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
