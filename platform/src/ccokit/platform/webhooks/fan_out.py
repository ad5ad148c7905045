"""Fan-out: each event of a workspace becomes one delivery per active endpoint that wants it.

The platform subscribes :func:`fan_out` to every event type, so it runs in the transaction of the
event's delivery, with the record that it processed the event: each matching endpoint gets its
delivery exactly once. It runs for every event of every tenant, so it costs one indexed query for
a tenant without endpoints, and one per delivery batch otherwise (the endpoints are read once
per transaction). The delivery keeps the body as it is now; later edits to the endpoint change
where it goes, not what it says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ccokit.platform.webhooks.models import WebhookDelivery, WebhookEndpoint
from ccokit.tenants.database import TenantSession
from ccokit_sdk.events import Event, HandlerContext
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import utcnow

__all__ = ["ALL_TYPES", "fan_out", "message_body", "wants"]

#: In an endpoint's ``event_types``: every event type.
ALL_TYPES = "*"
_CACHE_KEY = "ccokit.webhook_endpoints"


def wants(event_types: list[str], event_type: str) -> bool:
    return ALL_TYPES in event_types or event_type in event_types


def message_body(event: Event) -> dict[str, Any]:
    """What the receiver gets: the event's id, type and time, and its payload as ``data``."""
    return {
        "id": encode_public_id("evt", event.id),
        "type": event.type,
        "timestamp": event.occurred_at.isoformat(),
        "data": dict(event.payload),
    }


def _active_endpoints(session: TenantSession) -> list[tuple[Any, list[str]]]:
    """The active endpoints, read once per transaction (a batch of events shares one read)."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    # No autoflush: the batch's pending processed-event records must reach the database only at
    # the batch's own flush, where a concurrent worker's copy of them is recognised as such.
    with session.no_autoflush:
        rows = session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.status == "active")
        ).all()
    endpoints = [(row.id, list(row.event_types)) for row in rows]
    session.info[_CACHE_KEY] = (transaction, endpoints)
    return endpoints


def fan_out(event: Event, ctx: HandlerContext) -> None:
    """Add a pending delivery of ``event`` for each active endpoint that lists its type."""
    session: TenantSession = ctx.session
    targets = [endpoint_id for endpoint_id, types in _active_endpoints(session) if wants(types, event.type)]
    if not targets:
        return
    body = message_body(event)
    now = utcnow()
    for endpoint_id in targets:
        session.add(WebhookDelivery(
            endpoint_id=endpoint_id, event_id=event.id, event_type=event.type, payload=body,
            status="pending", attempts=0, claims=0, next_attempt_at=now,
        ))
