"""The breach sweep: clocks whose due time passed unmet are marked breached and announced.

Run every minute for each workspace (``jobs.sweep_sla_breaches``). It reads only clocks that
can still breach, through the partial index ``(tenant_id, due_at) WHERE fulfilled_at IS NULL AND
breached_at IS NULL``, oldest due first and at most :data:`BATCH` per run, so a backlog (a
scheduler that was down for an hour) drains over a few runs instead of in one long transaction.

Running twice marks nothing twice: a clock once breached leaves the index's range, and rows are
taken ``FOR UPDATE SKIP LOCKED`` so a sweep and a ticket write (which locks the ticket's clocks)
never both decide about the same clock. Paused clocks have no due time and are never taken.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.sla import SlaClock
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services.sla.clocks import Publish, breach

__all__ = ["BATCH", "sweep_breaches"]

log = logging.getLogger(__name__)

#: Clocks marked per run at most.
BATCH = 500


def sweep_breaches(session: Session, publish: Publish, now: datetime, batch: int = BATCH) -> int:
    """Mark every clock due by ``now`` (up to ``batch``) breached, publishing ``sla.breached``
    for each; returns how many. Does not commit."""
    clocks = list(session.scalars(
        select(SlaClock)
        .where(SlaClock.fulfilled_at.is_(None), SlaClock.breached_at.is_(None), SlaClock.due_at <= now)
        .order_by(SlaClock.due_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ))
    if not clocks:
        return 0
    ids = {clock.ticket_id for clock in clocks}
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    for clock in clocks:
        breach(clock, tickets[clock.ticket_id], publish)
    session.flush()
    if len(clocks) == batch:
        log.info("SLA sweep marked a full batch of %d breaches; the rest follow next run", batch)
    return len(clocks)
