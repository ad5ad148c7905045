"""Delivery: each subscribed handler processes each event exactly once, or is parked.

Events (and jobs, which travel the outbox as events of type ``job:…``) are delivered in batches:
all due events of one tenant that a worker was handed run in one transaction, each handler in a
savepoint of its own that first inserts its ``processed_events`` row. If another worker is
processing the same event at the same moment, the unique key makes one of them wait and then
fail the insert, and that one skips: the handler's effect is committed exactly once, together
with the record that says so. A handler that raises has its savepoint rolled back, and its failure
counted in ``event_deliveries`` with the time of the next try (exponential backoff with jitter);
after the last try it is parked until an admin replays it. A worker killed mid-batch commits
nothing, and the relay hands the whole batch out again.

An event is completed when every handler subscribed to it (of a plugin the tenant has enabled)
has processed it or been parked. Until then the relay hands it out again, so retries are driven
by the outbox itself and survive a flushed Redis.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ccokit.platform import log_context
from ccokit.platform.blobs import PluginBlobs
from ccokit.platform.events.models import EventDelivery, OutboxEvent, ProcessedEvent
from ccokit.platform.events.outbox import enqueue, publish
from ccokit.platform.events.registry import Subscription
from ccokit.tenants.database import TenantSession
from ccokit_sdk.events import Event
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["PLATFORM", "HandlerScope", "backoff_seconds", "deliver", "deliver_many", "replay"]

PLATFORM = "platform"
#: Rounds of running a batch's handlers together before each runs on its own.
BATCH_ROUNDS = 3
log = logging.getLogger(__name__)


@dataclass
class HandlerScope:
    """The :class:`ccokit_sdk.events.HandlerContext` a handler or a job receives."""

    kernel: Kernel
    tenant_id: uuid.UUID
    session: TenantSession
    enabled: Mapping[str, Mapping[str, Any]]
    #: The plugin whose handler or job runs with this scope (its blobs are the ones reached).
    plugin: str | None = None

    def for_plugin(self, plugin: str) -> HandlerScope:
        return replace(self, plugin=plugin)

    @property
    def blobs(self) -> PluginBlobs:
        if self.plugin is None or self.plugin == PLATFORM:
            raise RuntimeError("ctx.blobs is for the handlers and jobs of a plugin")
        return PluginBlobs.of_tenant(self.kernel.storage, self.session, self.tenant_id, self.plugin)

    def publish(self, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        return publish(self.session, self.kernel.events, event_type, payload)

    def enqueue(
        self, job: Callable[..., Any] | str, /, *, delay: timedelta | float | None = None, **kwargs: Any
    ) -> uuid.UUID:
        return enqueue(self.session, self.kernel.events, job, kwargs, delay)

    def settings(self, plugin_name: str) -> Mapping[str, Any]:
        return self.kernel.plugins.settings_for(plugin_name, self.enabled.get(plugin_name))


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + random.uniform(0, delay / 2)


def deliver(kernel: Kernel, tenant_id: uuid.UUID, event_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """Run the due handlers of one event; ``completed``, ``pending`` or ``missing``."""
    return deliver_many(kernel, tenant_id, [event_id], now=now)[event_id]


def deliver_many(
    kernel: Kernel, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID], *, now: datetime | None = None
) -> dict[uuid.UUID, str]:
    """Deliver events of one tenant in one transaction; the outcome of each event by id."""
    now = now or utcnow()
    outcome = dict.fromkeys(event_ids, "missing")
    with kernel.db.transaction(tenant_id) as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.id.in_(event_ids)).order_by(OutboxEvent.id)
        ).all()
        live = []
        for row in rows:
            outcome[row.id] = "completed"
            if row.completed_at is None:
                live.append(row)
        if not live:
            return outcome
        ids = [row.id for row in live]
        enabled = kernel.plugins.enabled_map(session)
        processed = select(ProcessedEvent.event_id, ProcessedEvent.handler).where(
            ProcessedEvent.event_id.in_(ids)
        )
        done = {(r.event_id, r.handler) for r in session.execute(processed)}
        states = {
            (d.event_id, d.handler): d
            for d in session.scalars(select(EventDelivery).where(EventDelivery.event_id.in_(ids)))
        }
        scope = HandlerScope(kernel, tenant_id, session, enabled)
        plan: list[tuple[Event, list[Subscription], bool]] = []
        for row in live:
            event = Event(row.id, row.type, tenant_id, row.occurred_at, dict(row.payload))
            due = list(_due(kernel, event, enabled, done, states, now))
            plan.append((event, [sub for sub in due if sub is not None], None in due))
        todo = [(event, sub) for event, subs, _ in plan for sub in subs]
        retrying = _run_handlers(kernel, session, scope, states, todo)
        completed = []
        for event, _, waiting in plan:
            if waiting or event.id in retrying:
                outcome[event.id] = "pending"
            else:
                completed.append(event.id)
        if completed:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(completed), OutboxEvent.completed_at.is_(None))
                .values(completed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    return outcome


def _due(
    kernel: Kernel,
    event: Event,
    enabled: Mapping[str, Any],
    done: set[tuple[uuid.UUID, str]],
    states: Mapping[tuple[uuid.UUID, str], EventDelivery],
    now: datetime,
) -> Iterable[Subscription | None]:
    """The handlers of ``event`` to run now; ``None`` for each one that waits for its next try."""
    for sub in kernel.events.subscribers(event.type):
        if sub.plugin != PLATFORM and sub.plugin not in enabled:
            continue
        if (event.id, sub.name) in done:
            continue
        state = states.get((event.id, sub.name))
        if state is not None and state.status == "parked":
            continue
        if state is not None and state.next_attempt_at is not None and state.next_attempt_at > now:
            yield None
            continue
        yield sub


def _run_handlers(
    kernel: Kernel,
    session: TenantSession,
    scope: HandlerScope,
    states: dict[tuple[uuid.UUID, str], EventDelivery],
    todo: list[tuple[Event, Subscription]],
) -> set[uuid.UUID]:
    """Run every ``(event, handler)``; the ids of events with a handler to try again later.

    First together, in one savepoint flushed once (:func:`_run_batch`): the common case, and the
    cheap one. When a handler raises, the savepoint is rolled back, its failure recorded, and
    the others run together again; after a few such rounds, or when the final flush fails with
    nobody to blame, each remaining handler runs in a savepoint of its own.
    """
    retrying: set[uuid.UUID] = set()

    def failed(event: Event, sub: Subscription, error: str) -> None:
        if _record_failure(kernel, session, states, event, sub, error) != "parked":
            retrying.add(event.id)

    for _ in range(BATCH_ROUNDS):
        if not todo:
            return retrying
        position, error = _run_batch(session, scope, todo)
        if position is None:
            return retrying
        if error is None:
            break
        failed(*todo.pop(position), error)
    for event, sub in todo:
        error = _run(session, scope, event, sub)
        if error is not None:
            failed(event, sub, error)
    return retrying


def _run_batch(
    session: TenantSession, scope: HandlerScope, todo: Sequence[tuple[Event, Subscription]]
) -> tuple[int | None, str | None]:
    """Run the handlers in one savepoint; ``(None, None)`` when all their effects are in.

    Otherwise the savepoint is rolled back and the answer is the position of the handler that
    raised and its error, or ``(-1, None)`` when the flush at the end failed (a concurrent worker
    holds one of the events, or an effect broke a constraint). The handlers before a failed one
    run again; like any at-least-once delivery, a handler that calls other systems may call them
    twice, while its database effect commits once.
    """
    savepoint = session.begin_nested()
    position = 0
    try:
        for position, (event, sub) in enumerate(todo):  # noqa: B007 - read in the except
            job_id = encode_public_id("evt", event.id)
            with log_context.bound(tenant_id=str(event.tenant_id), job_id=job_id):
                session.add(ProcessedEvent(event_id=event.id, handler=sub.name))
                sub.handler(event, scope.for_plugin(sub.plugin))
        position = -1
        session.flush()
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        if position < 0:
            log.debug("a batch of %d handlers runs again one at a time", len(todo), exc_info=True)
            return -1, None
        event, sub = todo[position]
        job_id = encode_public_id("evt", event.id)
        with log_context.bound(tenant_id=str(event.tenant_id), job_id=job_id):
            log.exception("handler %s failed on %s %s", sub.name, event.type, job_id)
        return position, f"{type(exc).__name__}: {exc}"[:2000]
    return None, None


def _run(session: TenantSession, scope: HandlerScope, event: Event, sub: Subscription) -> str | None:
    """``None`` when the handler's effect is in the transaction (or another worker's), else the error."""
    job_id = encode_public_id("evt", event.id)
    with log_context.bound(tenant_id=str(event.tenant_id), job_id=job_id):
        savepoint = session.begin_nested()
        try:
            session.add(ProcessedEvent(event_id=event.id, handler=sub.name))
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            return None  # another worker processed it (and committed) while we looked
        try:
            sub.handler(event, scope.for_plugin(sub.plugin))
            session.flush()
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            log.exception("handler %s failed on %s %s", sub.name, event.type, job_id)
            return f"{type(exc).__name__}: {exc}"[:2000]
        return None


def _record_failure(
    kernel: Kernel,
    session: TenantSession,
    states: dict[tuple[uuid.UUID, str], EventDelivery],
    event: Event,
    sub: Subscription,
    error: str,
) -> str:
    settings = kernel.settings
    state = states.get((event.id, sub.name))
    if state is None:
        state = EventDelivery(event_id=event.id, handler=sub.name, attempts=0, status="retrying")
        session.add(state)
        states[(event.id, sub.name)] = state
    state.attempts += 1
    state.last_error = error
    if state.attempts >= settings.event_max_attempts:
        state.status = "parked"
        state.next_attempt_at = None
        log.error(
            "%s parked for handler %s after %d attempts", encode_public_id("evt", event.id), sub.name,
            state.attempts, extra={"tenant_id": str(event.tenant_id)},
        )
    else:
        state.status = "retrying"
        delay = backoff_seconds(state.attempts, settings.event_retry_base, settings.event_retry_cap)
        state.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.flush()
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
