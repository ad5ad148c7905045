"""The scheduler: runs each periodic job once per period for every tenant that has its plugin on.

Each round looks at the ``job_schedules`` row of every registered periodic job. The process whose
conditional UPDATE moves a due row's ``next_run_at`` forward is the one that fans the run out, in
the same transaction: one outbox row per active tenant with the plugin enabled (all active
tenants for the platform's own jobs). Several schedulers (or several web processes of the
embedded default) can run at once and a period still runs once; a scheduler that was down skips
the periods it missed rather than running them all at once when it returns.

The runs then travel like any job: the relay hands them to the workers, which run them exactly
once per tenant, with retries and parking.

Platform maintenance (expired idempotency keys, delivered events past retention) is scheduled
the same way but runs here, in the scheduler, across all tenants at once through the owner's
``SECURITY DEFINER`` functions; one that fails is logged and runs again next period.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
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
    """Fan out every periodic job that is due at ``now``, then run due platform maintenance;
    returns how many job runs were written."""
    now = now or utcnow()
    written = 0
    for schedule in kernel.events.schedules:
        with kernel.db.engine.begin() as conn:
            following = _claim(kernel, conn, schedule.job_type, schedule.interval, now)
            if following is None:
                continue
            count = _fan_out(conn, schedule)
            table = JobSchedule.__table__
            conn.execute(
                update(table).where(table.c.job_type == schedule.job_type).values(last_fan_out=count)
            )
        log.info("periodic job %s: %d tenants, next at %s", schedule.job_type, count, following.isoformat())
        written += count
    for task in kernel.events.maintenance:
        key = f"maintenance:{task.name}"
        with kernel.db.engine.begin() as conn:
            following = _claim(kernel, conn, key, task.interval, now)
        if following is None:
            continue
        try:
            result = task.run(kernel)
        except Exception:
            log.exception("maintenance %s failed; it runs again at %s", task.name, following.isoformat())
        else:
            log.info("maintenance %s: %s", task.name, result)
    return written


def _claim(kernel: Kernel, conn: Connection, key: str, interval: timedelta, now: datetime) -> datetime | None:
    """Move ``key``'s next run one interval on if it is due; the new time, or ``None`` if not
    due or another scheduler took this period. Missed periods are skipped, not caught up."""
    _ensure_row(kernel, key, now)
    table = JobSchedule.__table__
    due_at = conn.execute(select(table.c.next_run_at).where(table.c.job_type == key)).scalar_one()
    if due_at > now:
        return None
    following = due_at + interval
    if following <= now:
        following = now + interval
    claimed = conn.execute(
        update(table)
        .where(table.c.job_type == key, table.c.next_run_at == due_at)
        .values(next_run_at=following, last_run_at=now)
    ).rowcount
    return following if claimed == 1 else None


def _ensure_row(kernel: Kernel, key: str, now: datetime) -> None:
    """A new periodic job runs at once, then every interval."""
    table = JobSchedule.__table__
    with kernel.db.engine.connect() as conn:
        exists = conn.execute(select(table.c.job_type).where(table.c.job_type == key)).first()
    if exists:
        return
    try:
        with kernel.db.engine.begin() as conn:
            conn.execute(insert(table).values(job_type=key, next_run_at=now, last_fan_out=0))
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
