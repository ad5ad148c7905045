"""Webhook endpoints of the workspace: register, change, rotate, enable; the delivery log; replay.

Every event of the workspace whose type an active endpoint lists is delivered to it, signed with
the endpoint's secret (shown only when the endpoint is created and when the secret is rotated).
See ``docs/webhooks.md`` for receivers. Every change writes an audit row in its transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ccokit.platform.api.webhook_schemas import (
    DeliveryDetailSchema,
    DeliveryPageSchema,
    DeliveryQuerySchema,
    EndpointCreateSchema,
    EndpointPageSchema,
    EndpointPatchSchema,
    EndpointQuerySchema,
    EndpointSchema,
    EndpointWithSecretSchema,
    RotateSecretSchema,
)
from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.kernel import current_kernel
from ccokit.platform.webhooks import endpoints as service
from ccokit.platform.webhooks.models import WebhookDelivery, WebhookEndpoint
from ccokit.platform.webhooks.texts import webhook_text
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import utcnow
from ccokit_sdk.pagination import page_of
from ccokit_sdk.plugin import current, parse_public_id, require_scope

blueprint = Blueprint(
    "webhooks", __name__, url_prefix="/api/v1/webhooks", description="Webhook endpoints and deliveries"
)
SCOPE = "webhooks:manage"


def _load(endpoint_id: str) -> WebhookEndpoint:
    key = (current().tenant_id, parse_public_id("whe", endpoint_id))
    endpoint = current().session.get(WebhookEndpoint, key)
    if endpoint is None:
        abort(404)
    return endpoint


def _load_delivery(endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    key = (current().tenant_id, parse_public_id("whd", delivery_id))
    delivery = current().session.get(WebhookDelivery, key)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    return delivery


def _shown(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint as the API shows it (never its secrets)."""
    expires = endpoint.previous_expires_at
    in_grace = endpoint.previous_secret is not None and expires is not None and expires > utcnow()
    shown = {
        key: getattr(endpoint, key)
        for key in ("id", "url", "description", "event_types", "status", "disabled_reason", "disabled_at",
                    "failing_since", "created_at", "updated_at")
    }
    shown["previous_secret_expires_at"] = expires if in_grace else None
    return shown


def _audit(action: str, endpoint: WebhookEndpoint, before: dict[str, Any] | None, after: bool = True) -> None:
    dump = EndpointSchema().dump
    record_audit(
        current().session, action, "webhook_endpoint", encode_public_id("whe", endpoint.id),
        before=dump(before) if before is not None else None,
        after=dump(_shown(endpoint)) if after else None,
    )


@blueprint.post("/endpoints")
@require_scope(SCOPE)
@blueprint.arguments(EndpointCreateSchema)
@blueprint.response(201, EndpointWithSecretSchema)
def create_endpoint(data: dict[str, Any]) -> Any:
    """Register an endpoint; the answer holds its signing secret, shown this once."""
    session = current().session
    try:
        created = service.create_endpoint(current_kernel(), session, data)
    except service.TooManyEndpoints:
        abort(409, message=webhook_text("too_many_endpoints", limit=str(service.MAX_ENDPOINTS)))
    _audit("webhook_endpoint.created", created.endpoint, None)
    session.commit()
    return {**_shown(created.endpoint), "secret": created.secret}


@blueprint.get("/endpoints")
@require_scope(SCOPE)
@blueprint.arguments(EndpointQuerySchema, location="query")
@blueprint.response(200, EndpointPageSchema)
def list_endpoints(args: dict[str, Any]) -> Any:
    """The workspace's endpoints, oldest first."""
    stmt = select(WebhookEndpoint)
    if args.get("status"):
        stmt = stmt.where(WebhookEndpoint.status == args["status"])
    page = page_of(current().session, stmt, WebhookEndpoint.id, args)
    return {"items": [_shown(e) for e in page.items], "next_cursor": page.next_cursor}


@blueprint.get("/endpoints/<endpoint_id>")
@require_scope(SCOPE)
@blueprint.response(200, EndpointSchema)
def get_endpoint(endpoint_id: str) -> Any:
    return _shown(_load(endpoint_id))


@blueprint.patch("/endpoints/<endpoint_id>")
@require_scope(SCOPE)
@blueprint.arguments(EndpointPatchSchema)
@blueprint.response(200, EndpointSchema)
def update_endpoint(data: dict[str, Any], endpoint_id: str) -> Any:
    """Change the URL, description or event types."""
    endpoint = _load(endpoint_id)
    before = _shown(endpoint)
    service.update_endpoint(current().session, endpoint, data)
    _audit("webhook_endpoint.updated", endpoint, before)
    current().session.commit()
    return _shown(endpoint)


@blueprint.delete("/endpoints/<endpoint_id>")
@require_scope(SCOPE)
@blueprint.response(204)
def delete_endpoint(endpoint_id: str) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    endpoint = _load(endpoint_id)
    before = _shown(endpoint)
    _audit("webhook_endpoint.deleted", endpoint, before, after=False)
    service.delete_endpoint(current().session, endpoint)
    current().session.commit()


@blueprint.post("/endpoints/<endpoint_id>/rotate-secret")
@require_scope(SCOPE)
@blueprint.arguments(RotateSecretSchema)
@blueprint.response(200, EndpointWithSecretSchema)
def rotate_secret(data: dict[str, Any], endpoint_id: str) -> Any:
    """A new signing secret, shown this once; the old one also signs for the grace period."""
    kernel = current_kernel()
    endpoint = _load(endpoint_id)
    grace = data.get("grace_seconds", kernel.settings.webhook_secret_grace_seconds)
    secret = service.rotate_secret(kernel, current().session, endpoint, timedelta(seconds=grace))
    _audit("webhook_endpoint.secret_rotated", endpoint, None)
    current().session.commit()
    return {**_shown(endpoint), "secret": secret}


@blueprint.post("/endpoints/<endpoint_id>/enable")
@require_scope(SCOPE)
@blueprint.response(200, EndpointSchema)
def enable_endpoint(endpoint_id: str) -> Any:
    """Send to a disabled endpoint again, from the next event on."""
    endpoint = _load(endpoint_id)
    if endpoint.status != "active":
        before = _shown(endpoint)
        service.enable_endpoint(current().session, endpoint)
        _audit("webhook_endpoint.enabled", endpoint, before)
        current().session.commit()
    return _shown(endpoint)


@blueprint.post("/endpoints/<endpoint_id>/disable")
@require_scope(SCOPE)
@blueprint.response(200, EndpointSchema)
def disable_endpoint(endpoint_id: str) -> Any:
    """Stop sending to the endpoint; its pending deliveries are abandoned (replay them later)."""
    endpoint = _load(endpoint_id)
    if endpoint.status == "active":
        before = _shown(endpoint)
        service.disable_endpoint(current_kernel(), current().session, endpoint, "admin")
        _audit("webhook_endpoint.disabled", endpoint, before)
        current().session.commit()
    return _shown(endpoint)


@blueprint.get("/endpoints/<endpoint_id>/deliveries")
@require_scope(SCOPE)
@blueprint.arguments(DeliveryQuerySchema, location="query")
@blueprint.response(200, DeliveryPageSchema)
def list_deliveries(args: dict[str, Any], endpoint_id: str) -> Any:
    """The endpoint's delivery log, oldest first; ``status=failed`` lists what never arrived."""
    endpoint = _load(endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if args.get("status"):
        stmt = stmt.where(WebhookDelivery.status == args["status"])
    page = page_of(current().session, stmt, WebhookDelivery.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.get("/endpoints/<endpoint_id>/deliveries/<delivery_id>")
@require_scope(SCOPE)
@blueprint.response(200, DeliveryDetailSchema)
def get_delivery(endpoint_id: str, delivery_id: str) -> Any:
    """One delivery with the body it carries."""
    return _load_delivery(_load(endpoint_id), delivery_id)


@blueprint.post("/endpoints/<endpoint_id>/deliveries/<delivery_id>/replay")
@require_scope(SCOPE)
@blueprint.response(200, DeliveryDetailSchema)
def replay_delivery(endpoint_id: str, delivery_id: str) -> Any:
    """Send the delivery again now, with the same ``webhook-id`` and a fresh retry schedule."""
    endpoint = _load(endpoint_id)
    delivery = _load_delivery(endpoint, delivery_id)
    if endpoint.status != "active":
        abort(409, message=webhook_text("endpoint_disabled"))
    if delivery.status == "pending":
        abort(409, message=webhook_text("delivery_pending"))
    service.replay_delivery(current().session, delivery)
    record_audit(
        current().session, "webhook_delivery.replayed", "webhook_delivery",
        encode_public_id("whd", delivery.id),
        after={"endpoint_id": encode_public_id("whe", endpoint.id), "event_type": delivery.event_type},
    )
    current().session.commit()
    return delivery
