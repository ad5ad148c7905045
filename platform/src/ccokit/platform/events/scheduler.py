"""The scheduler: runs each periodic job once per period for every tenant that has its plugin on.

Each round looks at the ``job_schedules`` row of every registered periodic job. The process whose
conditional UPDATE moves a due row's ``next_run_at`` forward is the one that fans the run out, in
the same transaction: one outbox row per active tenant with the plugin enabled (all active
tenants for the platform's own jobs). Several schedulers (or several web processes of the
embedded default) can run at once and a period still runs once; a scheduler that was down skips
the periods it missed rather than running them all at once when it returns.

The runs then travel like any job: the relay hands them to the workers, which run them exactly
once per tenant, with retries and parking.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ccokit.platform.events.delivery import PLATFORM
from ccokit.platform.events.models import JobSchedule, OutboxEvent
from ccokit.platform.events.registry import Schedule
from ccokit.tenants.models import Tenant, TenantPlugin
from ccokit_sdk.ids import new_id
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["run_due_schedules"]

log = logging.getLogger(__name__)


def run_due_schedules(kernel: Kernel, now: datetime | None = None) -> int:
    """Fan out every periodic job that is due at ``now``; returns how many runs were written."""
    now = now or utcnow()
    written = 0
    for schedule in kernel.events.schedules:
        _ensure_row(kernel, schedule, now)
        with kernel.db.engine.begin() as conn:
            table = JobSchedule.__table__
            due_at = conn.execute(
                select(table.c.next_run_at).where(table.c.job_type == schedule.job_type)
            ).scalar_one()
            if due_at > now:
                continue
            following = due_at + schedule.interval
            if following <= now:  # missed periods are skipped, not caught up
                following = now + schedule.interval
            claimed = conn.execute(
                update(table)
                .where(table.c.job_type == schedule.job_type, table.c.next_run_at == due_at)
                .values(next_run_at=following, last_run_at=now)
            ).rowcount
            if claimed != 1:
                continue  # another scheduler took this period
            count = _fan_out(conn, schedule)
            conn.execute(
                update(table).where(table.c.job_type == schedule.job_type).values(last_fan_out=count)
            )
        log.info("periodic job %s: %d tenants, next at %s", schedule.job_type, count, following.isoformat())
        written += count
    return written


def _ensure_row(kernel: Kernel, schedule: Schedule, now: datetime) -> None:
    """A new periodic job runs at once, then every interval."""
    table = JobSchedule.__table__
    with kernel.db.engine.connect() as conn:
        exists = conn.execute(select(table.c.job_type).where(table.c.job_type == schedule.job_type)).first()
    if exists:
        return
    try:
        with kernel.db.engine.begin() as conn:
            conn.execute(insert(table).values(job_type=schedule.job_type, next_run_at=now, last_fan_out=0))
    except IntegrityError:
        pass  # another scheduler created it first


def _fan_out(conn: Connection, schedule: Schedule) -> int:
    platform_job = schedule.plugin == PLATFORM
    if conn.dialect.name == "postgresql":
        return int(conn.execute(
            text("SELECT ccokit_fan_out_job(:job_type, :plugin, :platform_job)"),
            {"job_type": schedule.job_type, "plugin": schedule.plugin, "platform_job": platform_job},
        ).scalar_one())
    # The embedded default (SQLite) has no row-level security to step around.
    tenants = select(Tenant.__table__.c.id).where(Tenant.__table__.c.status == "active")
    if not platform_job:
        plugins = TenantPlugin.__table__
        tenants = tenants.where(
            Tenant.__table__.c.id.in_(
                select(plugins.c.tenant_id).where(plugins.c.plugin == schedule.plugin, plugins.c.enabled)
            )
        )
    tenant_ids = list(conn.execute(tenants).scalars())
    if tenant_ids:
        now = utcnow()
        conn.execute(
            insert(OutboxEvent.__table__),
            [
                {"tenant_id": t, "id": new_id(), "type": schedule.job_type, "payload": {}, "occurred_at": now,
                 "attempts": 0}
                for t in tenant_ids
            ],
        )
    return len(tenant_ids)
