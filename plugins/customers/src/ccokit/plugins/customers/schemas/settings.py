"""Per-tenant settings of the customers plugin."""

from __future__ import annotations

from marshmallow import fields, validate

from ccokit.plugins.customers.schemas.base import Schema

__all__ = ["CustomersSettingsSchema"]


class CustomersSettingsSchema(Schema):
    """Limits of one CSV import: rows and bytes."""

    import_max_rows = fields.Integer(load_default=100_000, dump_default=100_000,
                                     validate=validate.Range(1, 1_000_000))
    import_max_bytes = fields.Integer(load_default=32 << 20, dump_default=32 << 20,
                                      validate=validate.Range(1 << 10, 512 << 20))
