"""Event retention: delivered events, and the records of who processed them, do not pile up.

A completed event older than ``CCOKIT_EVENT_RETENTION_DAYS`` is deleted together with its
processed-event records and handler states; pending and parked events are kept however old, as
they still need delivering or an admin's attention. Run by the scheduler as platform
maintenance (see :mod:`ccokit.platform.events.scheduler`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, text

from ccokit.platform.events.models import EventDelivery, OutboxEvent, ProcessedEvent
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["purge_delivered_events"]


def purge_delivered_events(kernel: Kernel, batch: int = 10_000, max_batches: int = 100) -> int:
    """Delete completed events past the retention period, ``batch`` at a time; returns how many."""
    keep = kernel.settings.event_retention_days * 86400.0
    total = 0
    for _ in range(max_batches):
        removed = _purge_batch(kernel, keep, batch)
        total += removed
        if removed < batch:
            break
    return total


def _purge_batch(kernel: Kernel, keep_seconds: float, batch: int) -> int:
    with kernel.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            purged = conn.execute(
                text("SELECT ccokit_purge_events(:keep, :batch)"), {"keep": keep_seconds, "batch": batch}
            )
            return int(purged.scalar_one())
        # The embedded default (SQLite) has no row-level security to step around.
        events = OutboxEvent.__table__
        cutoff = utcnow() - timedelta(seconds=keep_seconds)
        old = conn.execute(
            select(events.c.tenant_id, events.c.id)
            .where(events.c.completed_at < cutoff)
            .order_by(events.c.completed_at)
            .limit(batch)
        ).all()
        for table, column in (
            (ProcessedEvent.__table__, "event_id"),
            (EventDelivery.__table__, "event_id"),
            (events, "id"),
        ):
            for tenant_id, event_id in old:
                conn.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c[column] == event_id))
        return len(old)
