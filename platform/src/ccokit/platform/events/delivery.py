"""Delivery: each subscribed handler processes each event exactly once, or is parked.

A handler runs in a transaction that first inserts its ``processed_events`` row. If another
worker is processing the same event at the same moment, the unique key makes one of them wait
and then fail the insert, and that one skips: the handler's effect is committed exactly once,
together with the record that says so. A handler that raises has its transaction rolled back,
and its failure counted in ``event_deliveries`` with the time of the next try (exponential
backoff with jitter); after the last try it is parked until an admin replays it.

An event is completed when every handler subscribed to it (of a plugin the tenant has enabled)
has processed it or been parked. Until then the relay hands it out again, so retries are driven
by the outbox itself and survive a flushed Redis.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ccokit.platform.events.models import EventDelivery, OutboxEvent, ProcessedEvent
from ccokit.platform.events.outbox import publish
from ccokit.platform.events.registry import Subscription
from ccokit.tenants.database import TenantSession
from ccokit_sdk.events import Event
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["PLATFORM", "HandlerScope", "backoff_seconds", "deliver"]

PLATFORM = "platform"
log = logging.getLogger(__name__)


@dataclass
class HandlerScope:
    """The :class:`ccokit_sdk.events.HandlerContext` a handler receives."""

    kernel: Kernel
    tenant_id: uuid.UUID
    session: TenantSession
    enabled: Mapping[str, Mapping[str, Any]]

    def publish(self, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        return publish(self.session, self.kernel.events, event_type, payload)

    def settings(self, plugin_name: str) -> Mapping[str, Any]:
        return self.kernel.plugins.settings_for(plugin_name, self.enabled.get(plugin_name))


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + random.uniform(0, delay / 2)


def deliver(kernel: Kernel, tenant_id: uuid.UUID, event_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """Run the due handlers of one event; ``completed``, ``pending`` or ``missing``."""
    now = now or utcnow()
    with kernel.db.transaction(tenant_id) as session:
        row = session.get(OutboxEvent, (tenant_id, event_id))
        if row is None:
            return "missing"
        if row.completed_at is not None:
            return "completed"
        event = Event(row.id, row.type, tenant_id, row.occurred_at, dict(row.payload))
        enabled = kernel.plugins.enabled_map(session)
        done = set(session.scalars(select(ProcessedEvent.handler).where(ProcessedEvent.event_id == event_id)))
        states = {
            d.handler: (d.status, d.next_attempt_at)
            for d in session.scalars(select(EventDelivery).where(EventDelivery.event_id == event_id))
        }
    pending = False
    for sub in kernel.events.subscribers(event.type):
        if sub.plugin != PLATFORM and sub.plugin not in enabled:
            continue
        if sub.name in done:
            continue
        status, next_at = states.get(sub.name, (None, None))
        if status == "parked":
            continue
        if next_at is not None and next_at > now:
            pending = True
            continue
        error = _run(kernel, event, sub, enabled)
        if error is not None:
            pending = pending or _record_failure(kernel, event, sub, error) != "parked"
    if pending:
        return "pending"
    with kernel.db.transaction(tenant_id) as session:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.completed_at.is_(None))
            .values(completed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return "completed"


def _run(kernel: Kernel, event: Event, sub: Subscription, enabled: Mapping[str, Any]) -> str | None:
    """``None`` when the handler's effect is committed (here or concurrently), else the error."""
    session = kernel.db.session(event.tenant_id)
    try:
        session.begin()
        session.add(ProcessedEvent(event_id=event.id, handler=sub.name))
        try:
            session.flush()
        except IntegrityError:
            return None  # another worker processed (or is processing and committed) it
        try:
            sub.handler(event, HandlerScope(kernel, event.tenant_id, session, enabled))
            session.commit()
        except Exception as exc:
            session.rollback()
            log.exception(
                "event handler %s failed on %s %s", sub.name, event.type, event.id,
                extra={"tenant_id": str(event.tenant_id)},
            )
            return f"{type(exc).__name__}: {exc}"[:2000]
        return None
    finally:
        session.close()


def _record_failure(kernel: Kernel, event: Event, sub: Subscription, error: str) -> str:
    settings = kernel.settings
    with kernel.db.transaction(event.tenant_id) as session:
        state = session.get(EventDelivery, (event.tenant_id, event.id, sub.name))
        if state is None:
            state = EventDelivery(event_id=event.id, handler=sub.name, attempts=0, status="retrying")
            session.add(state)
        state.attempts += 1
        state.last_error = error
        if state.attempts >= settings.event_max_attempts:
            state.status = "parked"
            state.next_attempt_at = None
            log.error("event %s parked for handler %s after %d attempts", event.id, sub.name, state.attempts)
        else:
            state.status = "retrying"
            delay = backoff_seconds(state.attempts, settings.event_retry_base, settings.event_retry_cap)
            state.next_attempt_at = utcnow() + timedelta(seconds=delay)
        return state.status


def replay(kernel: Kernel, tenant_id: uuid.UUID, event_id: uuid.UUID, handler: str) -> bool:
    """Give a parked handler a fresh set of tries; the relay delivers it again."""
    with kernel.db.transaction(tenant_id) as session:
        state = session.get(EventDelivery, (tenant_id, event_id, handler))
        if state is None or state.status != "parked":
            return False
        state.status = "retrying"
        state.attempts = 0
        state.next_attempt_at = None
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)
            .values(completed_at=None, dispatched_at=None)
            .execution_options(synchronize_session=False)
        )
    return True
