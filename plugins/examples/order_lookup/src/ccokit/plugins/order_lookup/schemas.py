"""Schemas: the plugin's settings, the order system's answer as we accept it, and our answer."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
ORDER_NUMBER = validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error="1-64 letters, digits, - or _.")


class SettingsSchema(ma.Schema):
    """Per-tenant settings: where the merchant's order system lives and how long to wait."""

    orders_url = fields.Url(
        load_default=None, allow_none=True, schemes={"http", "https"}, require_tld=False,
        metadata={"description": "Base URL; the plugin calls GET {orders_url}/{order_number}."},
    )
    timeout_seconds = fields.Float(load_default=5.0, dump_default=5.0, validate=validate.Range(0.5, 15))


class OrderItemSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    name = fields.String(required=True, validate=validate.Length(1, 500))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))


class RemoteOrderSchema(ma.Schema):
    """What the merchant's system must answer; anything else is reported as nonsense."""

    class Meta:
        unknown = ma.EXCLUDE

    order_number = fields.String(required=True, validate=ORDER_NUMBER)
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    items = fields.List(fields.Nested(OrderItemSchema), load_default=list)
    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    tracking_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    estimated_delivery = fields.Date(load_default=None, allow_none=True)


class OrderSchema(RemoteOrderSchema):
    """Our answer to agents: the validated order, with its status in the caller's language."""

    status_text = fields.String(dump_only=True)
