"""Marshmallow schemas of the webhook admin API (transport only).

The URL is checked by the SSRF guard as the request is validated, so an address ccokit would
refuse to send to answers 422 with a message on ``url``; a name that does not resolve yet is
accepted (it is resolved, and vetted, again before every send). Event types must be declared.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.platform.kernel import current_kernel
from ccokit.platform.webhooks.fan_out import ALL_TYPES
from ccokit.platform.webhooks.models import DELIVERY_STATUSES
from ccokit.platform.webhooks.ssrf import UnsafeURL, resolve_target
from ccokit.platform.webhooks.texts import webhook_text
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "DeliveryDetailSchema",
    "DeliveryPageSchema",
    "DeliveryQuerySchema",
    "DeliverySchema",
    "EndpointCreateSchema",
    "EndpointPageSchema",
    "EndpointPatchSchema",
    "EndpointQuerySchema",
    "EndpointSchema",
    "EndpointWithSecretSchema",
    "RotateSecretSchema",
]

_URL_TEXT = {
    "scheme": "url_scheme", "credentials": "url_credentials", "host": "url_host", "syntax": "url_syntax",
    "port": "url_port",
}


def check_webhook_url(url: str) -> None:
    """Raise a field error (in the caller's language) for a URL the SSRF guard refuses."""
    allow_loopback = current_kernel().settings.webhooks_allow_loopback
    try:
        resolve_target(url, allow_loopback=allow_loopback)
    except UnsafeURL as exc:
        if exc.reason == "unresolvable":
            return
        key = _URL_TEXT.get(exc.reason)
        if key is not None:
            raise ma.ValidationError(webhook_text(key)) from None
        raise ma.ValidationError(webhook_text("url_address", reason=exc.reason.replace("_", "-"))) from None


def check_event_types(names: list[str]) -> None:
    if not names:
        raise ma.ValidationError(webhook_text("event_types_empty"))
    declared = current_kernel().events.types
    unknown = sorted({n for n in names if n != ALL_TYPES and n not in declared})
    if unknown:
        raise ma.ValidationError(webhook_text("unknown_event_types", names=", ".join(unknown)))


class _EndpointFields(ma.Schema):
    url = fields.String(validate=[validate.Length(1, 2048), check_webhook_url],
                        metadata={"example": "https://shop.example.com/ccokit/webhooks"})
    description = fields.String(validate=validate.Length(max=500))
    event_types = fields.List(
        fields.String(validate=validate.Length(1, 100)),
        validate=[validate.Length(max=100), check_event_types],
        metadata={"description": 'Declared event types to send, or ["*"] for every type.'},
    )

    @ma.post_load
    def _dedupe(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "event_types" in data:
            data["event_types"] = list(dict.fromkeys(data["event_types"]))
        return data


class EndpointCreateSchema(_EndpointFields):
    url = fields.String(required=True, validate=[validate.Length(1, 2048), check_webhook_url],
                        metadata={"example": "https://shop.example.com/ccokit/webhooks"})
    event_types = fields.List(
        fields.String(validate=validate.Length(1, 100)),
        required=True,
        validate=[validate.Length(max=100), check_event_types],
        metadata={"description": 'Declared event types to send, or ["*"] for every type.'},
    )
    description = fields.String(load_default="", validate=validate.Length(max=500))


class EndpointPatchSchema(_EndpointFields):
    """Any of ``url``, ``description``, ``event_types``; fields left out stay as they are."""


class EndpointSchema(ma.Schema):
    id = PublicIdField("whe")
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    status = fields.String(metadata={"description": "active or disabled"})
    disabled_reason = fields.String(allow_none=True, metadata={"description": "gone, failing or admin"})
    disabled_at = fields.AwareDateTime(allow_none=True)
    failing_since = fields.AwareDateTime(allow_none=True)
    previous_secret_expires_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "until when the secret before the last rotation also signs"}
    )
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "the signing secret (whsec_…); shown this once"})


class EndpointQuerySchema(CursorArgsSchema):
    status = fields.String(validate=validate.OneOf(["active", "disabled"]))


class EndpointPageSchema(ma.Schema):
    items = fields.List(fields.Nested(EndpointSchema))
    next_cursor = fields.String(allow_none=True)


class RotateSecretSchema(ma.Schema):
    grace_seconds = fields.Integer(
        validate=validate.Range(0, 7 * 24 * 3600),
        metadata={"description": "how long the current secret keeps signing too (default "
                                 "CCOKIT_WEBHOOK_SECRET_GRACE_SECONDS; 0 retires it at once)"},
    )


class DeliverySchema(ma.Schema):
    id = PublicIdField("whd", metadata={"description": "the webhook-id header; the same on every try"})
    endpoint_id = PublicIdField("whe")
    event_id = PublicIdField("evt")
    event_type = fields.String()
    status = fields.String(metadata={"description": ", ".join(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_latency_ms = fields.Integer(allow_none=True)
    last_error = fields.String(
        allow_none=True, metadata={"description": "what went wrong, in ccokit's words"}
    )
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.Dict(metadata={"description": "the JSON body sent"})


class DeliveryQuerySchema(CursorArgsSchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class DeliveryPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)
