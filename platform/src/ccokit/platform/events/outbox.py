"""``publish``: an event goes into the outbox in the same transaction as its cause.

The payload is validated by the event type's schema on the way in, so a handler never receives
an event that does not match its documentation. Nothing is sent here: if the transaction rolls
back, the event never existed; if it commits, the relay will deliver it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.events.registry import EventRegistry
from ccokit.tenants.database import TenantSession
from ccokit.tenants.errors import TenantContextMissing

__all__ = ["InvalidEventPayload", "publish"]


class InvalidEventPayload(ValueError):
    """The payload does not match the event type's schema (a programming error)."""


def publish(
    session: TenantSession, registry: EventRegistry, event_type: str, payload: Mapping[str, Any]
) -> uuid.UUID:
    """Add the event to ``session``'s transaction and return its id."""
    if session.tenant_id is None:
        raise TenantContextMissing("an event belongs to a tenant; none is set")
    schema = registry.get(event_type).schema()
    try:
        clean = schema.dump(schema.load(dict(payload)))
    except ma.ValidationError as exc:
        raise InvalidEventPayload(f"{event_type}: {exc.messages}") from exc
    event = OutboxEvent(type=event_type, payload=clean, attempts=0)
    session.add(event)
    session.flush()
    return event.id
