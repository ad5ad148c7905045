"""``publish``: an event goes into the outbox in the same transaction as its cause.

The payload is validated by the event type's schema on the way in, so a handler never receives
an event that does not match its documentation. Nothing is sent here: if the transaction rolls
back, the event never existed; if it commits, the relay will deliver it.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.events.registry import EventRegistry
from ccokit.tenants.database import TenantSession
from ccokit.tenants.errors import TenantContextMissing
from ccokit_sdk.ids import new_id
from ccokit_sdk.jobs import JobFunction
from ccokit_sdk.models import utcnow

__all__ = ["InvalidEventPayload", "enqueue", "publish"]


class InvalidEventPayload(ValueError):
    """The payload does not match the event type's schema (a programming error)."""


def publish(
    session: TenantSession, registry: EventRegistry, event_type: str, payload: Mapping[str, Any]
) -> uuid.UUID:
    """Add the event to ``session``'s transaction and return its id."""
    if session.tenant_id is None:
        raise TenantContextMissing("an event belongs to a tenant; none is set")
    schema = _schema(registry.get(event_type).schema)
    try:
        clean = schema.dump(schema.load(dict(payload)))
    except ma.ValidationError as exc:
        raise InvalidEventPayload(f"{event_type}: {exc.messages}") from exc
    return _add(session, event_type, clean, None)


@functools.lru_cache(maxsize=1024)
def _schema(schema_class: type[ma.Schema]) -> ma.Schema:
    """One instance per event schema: building a marshmallow schema costs more than using it,
    and an instance without context is safe to share between threads for load and dump."""
    return schema_class()


def enqueue(
    session: TenantSession,
    registry: EventRegistry,
    job: JobFunction | str,
    kwargs: Mapping[str, Any],
    delay: timedelta | float | None = None,
) -> uuid.UUID:
    """Add a run of a registered job to ``session``'s transaction; returns the job's id.

    The arguments must survive JSON unchanged (the job receives exactly what was given).
    """
    if session.tenant_id is None:
        raise TenantContextMissing("a job runs for a tenant; none is set")
    job_type = registry.job_type(job)
    try:
        clean = json.loads(json.dumps(dict(kwargs)))
    except (TypeError, ValueError) as exc:
        raise InvalidEventPayload(f"{job_type}: arguments must be JSON values: {exc}") from exc
    if clean != dict(kwargs):
        raise InvalidEventPayload(f"{job_type}: arguments change through JSON (tuples? non-str keys?)")
    if isinstance(delay, (int, float)):
        delay = timedelta(seconds=delay)
    available_at = utcnow() + delay if delay else None
    return _add(session, job_type, clean, available_at)


def _add(
    session: TenantSession, type_: str, payload: dict[str, Any], available_at: datetime | None
) -> uuid.UUID:
    # The id (time-ordered: the relay's order) and the time are taken now; the row is written
    # with the transaction's next flush, together with the other events of the same flush in
    # one INSERT, instead of a flush and a statement per event.
    row = OutboxEvent(
        id=new_id(), type=type_, payload=payload, occurred_at=utcnow(), attempts=0, available_at=available_at
    )
    session.add(row)
    return row.id
