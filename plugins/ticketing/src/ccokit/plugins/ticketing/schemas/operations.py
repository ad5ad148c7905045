"""Transport schemas of the operations on many tickets at once: merge and bulk update."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.schemas.tickets import TicketPatchSchema, TicketSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = ["BULK_LIMIT", "BulkResultSchema", "BulkUpdateSchema", "MergeSchema"]

BULK_LIMIT = 100
MERGE_LIMIT = 20


class MergeSchema(ma.Schema):
    """Merge these tickets into the one in the URL."""

    source_ids = fields.List(
        PublicIdField("tkt"), required=True, validate=validate.Length(1, MERGE_LIMIT)
    )


class BulkUpdateSchema(ma.Schema):
    """The same changes for up to 100 tickets, all or nothing."""

    ids = fields.List(PublicIdField("tkt"), required=True, validate=validate.Length(1, BULK_LIMIT))
    changes = fields.Nested(TicketPatchSchema, required=True)


class BulkResultSchema(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema))
