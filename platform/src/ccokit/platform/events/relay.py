"""The relay: hands committed outbox events to workers, and hands them out again if lost.

Claiming marks a batch of events ``dispatched`` in one statement, oldest first, skipping rows
another relay holds. An event that was dispatched but is not completed after the redelivery
interval is claimed again: that covers a relay killed between enqueue and commit, a worker
killed mid-job, and a Redis that was flushed or restarted. Handlers are idempotent per event,
so a second delivery does nothing twice.

On PostgreSQL the claim runs through ``ccokit_claim_outbox()``, a ``SECURITY DEFINER`` function
owned by the table owner: the relay sees every tenant's pending events without the application
role ever being able to read another tenant's outbox rows itself.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, text, update

from ccokit.platform.events.delivery import deliver_many
from ccokit.platform.events.models import OutboxEvent
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["EmbeddedRelay", "claim", "enqueue_with_rq", "relay_once", "run_pending"]

Pairs = Sequence[tuple[uuid.UUID, uuid.UUID]]
log = logging.getLogger(__name__)
EVENTS_QUEUE = "events"


def claim(kernel: Kernel, batch: int, stale_after: float) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark up to ``batch`` due events dispatched and return their ``(tenant_id, event_id)``."""
    engine = kernel.db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT tenant_id, id FROM ccokit_claim_outbox(:batch, :stale)"),
                {"batch": batch, "stale": stale_after},
            ).all()
        return sorted(((r[0], r[1]) for r in rows), key=lambda pair: pair[1])
    now = utcnow()
    cutoff = now - timedelta(seconds=stale_after)
    table = OutboxEvent.__table__
    with engine.begin() as conn:
        rows = conn.execute(
            select(table.c.tenant_id, table.c.id)
            .where(table.c.completed_at.is_(None))
            .where((table.c.available_at.is_(None)) | (table.c.available_at <= now))
            .where((table.c.dispatched_at.is_(None)) | (table.c.dispatched_at < cutoff))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        for tenant_id, event_id in rows:
            conn.execute(
                update(table)
                .where(table.c.tenant_id == tenant_id, table.c.id == event_id)
                .values(dispatched_at=utcnow(), attempts=table.c.attempts + 1)
            )
    return [(r[0], r[1]) for r in rows]


def by_tenant(pairs: Pairs) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Event ids grouped by tenant, each group in the order given (oldest first)."""
    groups: dict[uuid.UUID, list[uuid.UUID]] = {}
    for tenant_id, event_id in pairs:
        groups.setdefault(tenant_id, []).append(event_id)
    return groups


def deliver_inline(kernel: Kernel, pairs: Pairs, now: datetime | None = None) -> dict[str, int]:
    """Deliver in this thread, one transaction per tenant; how many events ended how."""
    counts = {"completed": 0, "pending": 0, "missing": 0}
    for tenant_id, event_ids in by_tenant(pairs).items():
        for result in deliver_many(kernel, tenant_id, event_ids, now=now).values():
            counts[result] += 1
    return counts


def enqueue_with_rq(kernel: Kernel, pairs: Pairs, chunk: int = 100) -> None:
    """One rq job per chunk of events; the job id is the first event's id, so a re-claim of the
    same chunk replaces rather than duplicates the job."""
    from rq import Queue

    queue = Queue(EVENTS_QUEUE, connection=kernel.redis)
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        queue.enqueue(
            "ccokit.platform.events.jobs.deliver_events",
            [[str(t), str(e)] for t, e in part],
            job_id=f"event-{part[0][1]}",
            result_ttl=0,
            failure_ttl=24 * 3600,
        )


def relay_once(kernel: Kernel, dispatch: Callable[[Kernel, Pairs], None], batch: int = 500) -> int:
    pairs = claim(kernel, batch, kernel.settings.event_redelivery_seconds)
    if pairs:
        dispatch(kernel, pairs)
    return len(pairs)


def run_pending(
    kernel: Kernel, max_rounds: int = 100, tenant_id: uuid.UUID | None = None, now: datetime | None = None
) -> int:
    """Deliver, in this thread, every event that is due (at ``now``): of one tenant, or of all.

    For tests (including plugin authors' tests: the "synchronous jobs") and maintenance.
    """
    if tenant_id is not None:
        now = now or utcnow()
        with kernel.db.transaction(tenant_id) as session:
            ids = list(session.scalars(
                select(OutboxEvent.id)
                .where(OutboxEvent.completed_at.is_(None))
                .where(OutboxEvent.available_at.is_(None) | (OutboxEvent.available_at <= now))
                .order_by(OutboxEvent.id)
            ))
        deliver_inline(kernel, [(tenant_id, event_id) for event_id in ids], now)
        return len(ids)
    delivered = 0
    seen: set[uuid.UUID] = set()
    for _ in range(max_rounds):
        pairs = [p for p in claim(kernel, 500, 0.0) if p[1] not in seen]
        if not pairs:
            break
        seen.update(e for _, e in pairs)
        deliver_inline(kernel, pairs, now)
        delivered += len(pairs)
    return delivered


class EmbeddedRelay(threading.Thread):
    """The embedded default's relay, worker and scheduler in one daemon thread of the web process."""

    def __init__(self, kernel: Kernel, poll_seconds: float = 0.2, schedule_seconds: float = 5.0) -> None:
        super().__init__(name="ccokit-embedded-relay", daemon=True)
        self.kernel = kernel
        self.poll_seconds = poll_seconds
        self.schedule_seconds = schedule_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        from ccokit.platform.events.scheduler import run_due_schedules
        from ccokit.platform.webhooks.relay import relay_webhooks_once, send_inline

        next_schedule = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_schedule:
                    run_due_schedules(self.kernel)
                    next_schedule = time.monotonic() + self.schedule_seconds
                busy = relay_once(self.kernel, deliver_inline)
                busy += relay_webhooks_once(self.kernel, send_inline)  # webhook deliveries that are due
            except Exception:
                log.exception("embedded relay round failed; retrying")
                busy = 0
            if not busy:
                self.stopping.wait(self.poll_seconds)

    def stop(self) -> None:
        self.stopping.set()
