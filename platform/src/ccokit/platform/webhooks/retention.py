"""The delivery log does not grow forever: finished deliveries past retention are deleted.

Deliveries that succeeded, failed or were abandoned more than ``CCOKIT_WEBHOOK_RETENTION_DAYS``
ago (by creation) are removed by the scheduler's hourly maintenance, across tenants, through the
owner's ``ccokit_purge_webhook_deliveries()`` on PostgreSQL. Pending ones are kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, text

from ccokit.platform.webhooks.models import WebhookDelivery
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["purge_old_deliveries"]


def purge_old_deliveries(kernel: Kernel, batch: int = 10_000, max_batches: int = 100) -> int:
    """Delete finished deliveries older than the retention period; returns how many."""
    keep = kernel.settings.webhook_retention_days * 86400.0
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
                text("SELECT ccokit_purge_webhook_deliveries(:keep, :batch)"),
                {"keep": keep_seconds, "batch": batch},
            )
            return int(purged.scalar_one())
        table = WebhookDelivery.__table__
        cutoff = utcnow() - timedelta(seconds=keep_seconds)
        old = conn.execute(
            select(table.c.tenant_id, table.c.id)
            .where(table.c.created_at < cutoff, table.c.status != "pending")
            .order_by(table.c.created_at)
            .limit(batch)
        ).all()
        for tenant_id, delivery_id in old:
            conn.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.id == delivery_id))
        return len(old)
