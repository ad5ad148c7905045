"""The event types the webhook machinery itself publishes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.events import EventType

__all__ = ["WEBHOOK_DISABLED", "WEBHOOK_EVENT_TYPES"]


class WebhookDisabledSchema(ma.Schema):
    endpoint_id = fields.String(required=True, metadata={"description": "public id, whe_…"})
    url = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["gone", "failing"]))
    failing_since = fields.String(load_default=None, allow_none=True)
    disabled_at = fields.String(required=True)


WEBHOOK_DISABLED = EventType(
    "webhook.disabled",
    WebhookDisabledSchema,
    "ccokit stopped sending to a webhook endpoint: its receiver answered 410 Gone (reason "
    "`gone`), or every delivery to it failed for CCOKIT_WEBHOOK_DISABLE_AFTER_DAYS days (reason "
    "`failing`). Payload: `endpoint_id` (`whe_…`), `url`, `reason`, `failing_since` and "
    "`disabled_at` (ISO 8601). An admin enables the endpoint again once the receiver works.",
)

WEBHOOK_EVENT_TYPES = (WEBHOOK_DISABLED,)
