"""Payloads of the customers plugin's events.

They carry ids and keys, never personal data: an erased customer's name or email must not live
on in the event log or in webhook deliveries. Subscribers read the profile with
``customers.get`` (or the API) when they need more.
"""

from __future__ import annotations

from marshmallow import fields

from ccokit.plugins.customers.schemas.base import Schema

__all__ = [
    "CustomerEventSchema",
    "CustomerMergedSchema",
    "CustomerTierChangedSchema",
    "CustomerUpdatedSchema",
    "CustomersImportedSchema",
]


class CustomerEventSchema(Schema):
    """Payload of ``customer.created`` and ``customer.erased``."""

    customer_id = fields.String(required=True, metadata={"description": "Public id, cus_…"})


class CustomerUpdatedSchema(CustomerEventSchema):
    changed = fields.List(fields.String(), required=True,
                          metadata={"description": "Names of the fields that changed (emails, tier, …)."})


class CustomerMergedSchema(CustomerEventSchema):
    merged_id = fields.String(required=True,
                              metadata={"description": "The customer that merged into customer_id."})


class CustomerTierChangedSchema(CustomerEventSchema):
    tier = fields.String(required=True, allow_none=True, metadata={"description": "The tier's key, or null."})
    previous_tier = fields.String(required=True, allow_none=True)


class CustomersImportedSchema(Schema):
    import_id = fields.String(required=True, metadata={"description": "cimp_…, as in the audit log."})
    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
