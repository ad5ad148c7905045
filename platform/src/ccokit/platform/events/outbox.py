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
from sqlalchemy import String, bindparam, event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.events.registry import EventRegistry
from ccokit.tenants.database import TenantSession
from ccokit.tenants.errors import TenantContextMissing
from ccokit_sdk.ids import new_id
from ccokit_sdk.jobs import JobFunction
from ccokit_sdk.models import utcnow

__all__ = ["InvalidEventPayload", "enqueue", "publish"]

#: Keys of Session.info: events published and not yet added; savepoints' marks into that list.
_PENDING, _MARKS = "outbox_pending", "outbox_savepoint_marks"


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
    # when the transaction commits, so that every event of the transaction goes to the table in
    # one statement (a ticket's creation publishes the new requester's customer.created before
    # its own flush and ticket.created after it). Nothing reads the outbox in the transaction
    # that writes it: the relay and the admin API read committed rows.
    row = {
        "tenant_id": session.tenant_id, "id": new_id(), "type": type_, "payload": payload,
        "occurred_at": utcnow(), "available_at": available_at,
    }  # the other columns take their defaults (no attempts, not dispatched)
    _pending(session).append(row)
    return row["id"]


def _pending(session: Session) -> list[dict[str, Any]]:
    if not session.in_transaction():
        session.begin()  # no statement yet: a rollback must still find a transaction to drop them
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    return pending


#: Built once, so that each commit finds its compiled form by a kept cache key. A Core insert,
#: not ORM objects: the rows are never read back in the transaction, and the unit of work's
#: bookkeeping for them cost more than the statement itself.
_INSERT_EVENTS = insert(OutboxEvent.__table__)


#: PostgreSQL: the rows as one JSON array, one statement whatever their number (a pipelined
#: INSERT per row adapted nine parameters each). ``json``, not ``jsonb``, so that a payload
#: keeps its text as the per-row INSERT stored it.
_INSERT_EVENTS_FROM_JSON = text("""
INSERT INTO outbox_events (tenant_id, id, type, payload, occurred_at, attempts, available_at)
SELECT (e->>'tenant_id')::uuid, (e->>'id')::uuid, e->>'type', e->'payload',
       (e->>'occurred_at')::timestamptz, 0, (e->>'available_at')::timestamptz
FROM json_array_elements(CAST(:rows AS json)) AS e
""").bindparams(bindparam("rows", type_=String()))


def _json_value(value: Any) -> str:
    """Ids and times of outbox rows as PostgreSQL reads them back (``::uuid``, ``::timestamptz``)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


@event.listens_for(TenantSession, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.get(_PENDING)
    # before_commit fires when a savepoint is released too; the events wait for the real commit.
    if pending and not session.in_nested_transaction():
        rows = list(pending)
        pending.clear()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_INSERT_EVENTS_FROM_JSON, {"rows": json.dumps(rows, default=_json_value)})
        else:
            session.execute(_INSERT_EVENTS, rows)


@event.listens_for(TenantSession, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(_pending(session))


@event.listens_for(TenantSession, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Events published in a savepoint or transaction that rolled back never happened."""
    if previous.nested:
        cut = session.info.get(_MARKS, {}).pop(previous, None)
        if cut is not None:
            del _pending(session)[cut:]
    elif previous.parent is None:
        session.info.pop(_PENDING, None)


@event.listens_for(TenantSession, "after_transaction_end")
def _forget_marks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # released savepoints' marks go with their transaction
        session.info.pop(_MARKS, None)
