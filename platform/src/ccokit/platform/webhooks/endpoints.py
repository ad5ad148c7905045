"""The business rules of webhook endpoints: register, change, rotate, enable, disable, replay.

Each function works in the caller's tenant session and leaves the commit to the caller, so an
admin change and its audit row commit together. Disabling an endpoint (by an admin, a 410 answer
or days of failures) abandons its pending deliveries in the same transaction; the automatic
kinds also publish ``webhook.disabled`` so the workspace hears about it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from ccokit.platform.events.outbox import publish
from ccokit.platform.webhooks.event_types import WEBHOOK_DISABLED
from ccokit.platform.webhooks.models import WebhookDelivery, WebhookEndpoint
from ccokit.platform.webhooks.signing import new_secret, open_secret, seal_secret
from ccokit.tenants.database import TenantSession
from ccokit_sdk.ids import encode_public_id, new_id
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = [
    "MAX_ENDPOINTS",
    "Created",
    "TooManyEndpoints",
    "create_endpoint",
    "delete_endpoint",
    "disable_endpoint",
    "enable_endpoint",
    "replay_delivery",
    "rotate_secret",
    "signing_secrets",
    "update_endpoint",
]

#: Endpoints per workspace: enough for every system of a merchant, few enough to fan out cheaply.
MAX_ENDPOINTS = 20


class TooManyEndpoints(RuntimeError):
    """The workspace has :data:`MAX_ENDPOINTS` endpoints already."""


@dataclass
class Created:
    endpoint: WebhookEndpoint
    secret: str


def create_endpoint(kernel: Kernel, session: TenantSession, data: Mapping[str, Any]) -> Created:
    """Register an endpoint; its new secret is returned here and never again."""
    tenant_id = _tenant(session)
    count = session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0
    if count >= MAX_ENDPOINTS:
        raise TooManyEndpoints(MAX_ENDPOINTS)
    endpoint_id = new_id()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        url=data["url"],
        description=data.get("description", ""),
        event_types=list(data["event_types"]),
        secret=seal_secret(kernel.settings.secret_key, tenant_id, endpoint_id, secret),
        status="active",
    )
    session.add(endpoint)
    session.flush()
    return Created(endpoint, secret)


def update_endpoint(session: TenantSession, endpoint: WebhookEndpoint, data: Mapping[str, Any]) -> None:
    """Change the URL, description or event types; deliveries already made keep their body."""
    for key in ("url", "description", "event_types"):
        if key in data:
            setattr(endpoint, key, list(data[key]) if key == "event_types" else data[key])
    session.flush()


def delete_endpoint(session: TenantSession, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .execution_options(synchronize_session=False)
    )
    session.delete(endpoint)
    session.flush()


def rotate_secret(kernel: Kernel, session: TenantSession, endpoint: WebhookEndpoint, grace: timedelta) -> str:
    """A new secret; the current one keeps signing for ``grace`` (not at all if zero)."""
    tenant_id = _tenant(session)
    secret = new_secret()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_expires_at = utcnow() + grace
    else:
        endpoint.previous_secret = None
        endpoint.previous_expires_at = None
    endpoint.secret = seal_secret(kernel.settings.secret_key, tenant_id, endpoint.id, secret)
    session.flush()
    return secret


def signing_secrets(kernel: Kernel, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous in its grace."""
    key = kernel.settings.secret_key
    found = [open_secret(key, endpoint.tenant_id, endpoint.id, endpoint.secret)]
    expires = endpoint.previous_expires_at
    if endpoint.previous_secret is not None and expires is not None and expires > now:
        found.append(open_secret(key, endpoint.tenant_id, endpoint.id, endpoint.previous_secret))
    return found


def enable_endpoint(session: TenantSession, endpoint: WebhookEndpoint) -> None:
    """Send to the endpoint again (new events only; replay the abandoned deliveries you need)."""
    endpoint.status = "active"
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failing_since = None
    session.flush()


def disable_endpoint(kernel: Kernel, session: TenantSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to the endpoint and abandon its pending deliveries.

    ``reason`` is ``admin``, ``gone`` or ``failing``; the last two publish ``webhook.disabled``.
    """
    now = utcnow()
    endpoint.status = "disabled"
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(
            status="abandoned", next_attempt_at=None, last_error="the endpoint was disabled", updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if reason != "admin":
        failing = endpoint.failing_since
        publish(session, kernel.events, WEBHOOK_DISABLED.name, {
            "endpoint_id": encode_public_id("whe", endpoint.id),
            "url": endpoint.url,
            "reason": reason,
            "failing_since": failing.isoformat() if failing is not None else None,
            "disabled_at": now.isoformat(),
        })
    session.flush()


def replay_delivery(session: TenantSession, delivery: WebhookDelivery) -> None:
    """Send a finished delivery again, now, with a fresh schedule and the same ``webhook-id``."""
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    session.flush()


def _tenant(session: TenantSession) -> uuid.UUID:
    tenant_id = session.tenant_id
    if tenant_id is None:
        raise RuntimeError("webhook endpoints belong to a tenant; none is set")
    return tenant_id
