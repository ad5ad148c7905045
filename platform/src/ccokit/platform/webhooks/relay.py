"""Claiming due webhook deliveries across tenants, and handing them to a sender.

The event relay's loop (``ccokit relay``, and the embedded relay thread of the web process)
calls :func:`relay_webhooks_once` each round. A claim marks up to ``batch`` due deliveries in
flight for a lease (``CCOKIT_EVENT_REDELIVERY_SECONDS``): if nobody sends them before it ends (a
killed worker, a flushed Redis), they are due again and the next claim takes them. The claimed
deliveries are grouped by endpoint, in chunks, and each chunk is sent in this thread
(:func:`send_inline`, the embedded default) or as one rq job on the ``webhooks`` queue
(:func:`enqueue_with_rq`).

On PostgreSQL the claim runs through ``ccokit_claim_webhook_deliveries()``, a ``SECURITY
DEFINER`` function owned by the table owner, like the outbox's claim: the relay sees every
tenant's due deliveries without the application role ever reading another tenant's rows itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, text, update

from ccokit.platform.webhooks.models import WebhookDelivery
from ccokit.platform.webhooks.sender import Claimed, send_chunk
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = [
    "WEBHOOKS_QUEUE",
    "chunks_by_endpoint",
    "claim_due_deliveries",
    "enqueue_with_rq",
    "relay_webhooks_once",
    "send_inline",
    "send_pending",
]

WEBHOOKS_QUEUE = "webhooks"
CHUNK = 50
log = logging.getLogger(__name__)
Dispatch = Callable[["Kernel", Sequence[Sequence[Claimed]]], None]


def claim_due_deliveries(kernel: Kernel, batch: int, lease_seconds: float) -> list[Claimed]:
    """Mark up to ``batch`` due deliveries in flight for ``lease_seconds``; oldest due first."""
    engine = kernel.db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT tenant_id, id, endpoint_id, claims"
                    " FROM ccokit_claim_webhook_deliveries(:b, :l)"
                ),
                {"b": batch, "l": lease_seconds},
            ).all()
        return [Claimed(r[0], r[1], r[2], r[3]) for r in rows]
    # The embedded default (SQLite) has no row-level security to step around.
    table = WebhookDelivery.__table__
    now = utcnow()
    lease_end = now + timedelta(seconds=lease_seconds)
    claimed: list[Claimed] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(table.c.tenant_id, table.c.id, table.c.endpoint_id, table.c.claims)
            .where(table.c.status == "pending", table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at)
            .limit(batch)
        ).all()
        for tenant_id, delivery_id, endpoint_id, claims in rows:
            changed = conn.execute(
                update(table)
                .where(table.c.tenant_id == tenant_id, table.c.id == delivery_id, table.c.claims == claims)
                .values(next_attempt_at=lease_end, claims=claims + 1)
            ).rowcount
            if changed:
                claimed.append(Claimed(tenant_id, delivery_id, endpoint_id, claims + 1))
    return claimed


def chunks_by_endpoint(claimed: Sequence[Claimed], size: int = CHUNK) -> list[list[Claimed]]:
    """The claimed deliveries grouped by (tenant, endpoint), each group cut into chunks."""
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[Claimed]] = {}
    for item in claimed:
        groups.setdefault((item.tenant_id, item.endpoint_id), []).append(item)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


def send_inline(kernel: Kernel, chunks: Sequence[Sequence[Claimed]]) -> None:
    """Send every chunk in this thread (the embedded default, and tests)."""
    for chunk in chunks:
        try:
            send_chunk(kernel, chunk[0].tenant_id, chunk)
        except Exception:
            log.exception(
                "sending a chunk of %d webhooks failed; they are due again after the lease", len(chunk)
            )


def enqueue_with_rq(kernel: Kernel, chunks: Sequence[Sequence[Claimed]]) -> None:
    """One rq job per chunk on the ``webhooks`` queue; the job id names the chunk's first claim."""
    from rq import Queue

    queue = Queue(WEBHOOKS_QUEUE, connection=kernel.redis)
    for chunk in chunks:
        first = chunk[0]
        queue.enqueue(
            "ccokit.platform.webhooks.jobs.send_webhooks",
            [[str(c.tenant_id), str(c.delivery_id), str(c.endpoint_id), c.claims] for c in chunk],
            job_id=f"webhook-{first.delivery_id}-{first.claims}",
            result_ttl=0,
            failure_ttl=24 * 3600,
        )


def relay_webhooks_once(kernel: Kernel, dispatch: Dispatch, batch: int = 500) -> int:
    """Claim due deliveries and dispatch them; how many were claimed."""
    claimed = claim_due_deliveries(kernel, batch, kernel.settings.event_redelivery_seconds)
    if claimed:
        dispatch(kernel, chunks_by_endpoint(claimed))
    return len(claimed)


def send_pending(kernel: Kernel, max_rounds: int = 100) -> int:
    """Send, in this thread, every delivery that is due now; for tests and maintenance."""
    sent = 0
    for _ in range(max_rounds):
        moved = relay_webhooks_once(kernel, send_inline)
        if not moved:
            break
        sent += moved
    return sent
