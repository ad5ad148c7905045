"""Retention: delivered events past the retention period go, with who processed them; the rest stay.

Also the scheduler's maintenance: due tasks run once per period, and a failing one does not stop
the others.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update

from ccokit.platform.events.models import JobSchedule, OutboxEvent, ProcessedEvent
from ccokit.platform.events.relay import run_pending
from ccokit.platform.events.retention import purge_delivered_events
from ccokit.platform.events.scheduler import run_due_schedules
from ccokit.platform.kernel import Kernel
from ccokit_sdk.models import utcnow
from tests.conftest import TenantInfo, signup
from tests.platform.events.conftest import Pinger, ping


def _age(kernel: Kernel, tenant: TenantInfo, days: int) -> None:
    with kernel.db.transaction(tenant.tenant_id) as session:
        session.execute(
            update(OutboxEvent).where(OutboxEvent.completed_at.is_not(None))
            .values(completed_at=utcnow() - timedelta(days=days))
            .execution_options(synchronize_session=False)
        )


def _counts(kernel: Kernel, tenant: TenantInfo) -> tuple[int, int]:
    with kernel.db.transaction(tenant.tenant_id) as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent))
        # The test plugin's records (the platform's webhook fan-out keeps one per event too).
        processed = session.scalar(
            select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.handler.like("pinger:%"))
        )
        return int(events or 0), int(processed or 0)


def test_old_delivered_events_of_every_tenant_are_purged_and_the_rest_kept(
    kernel: Kernel, shop: TenantInfo, events_app: object, pinger: Pinger
) -> None:
    other = signup(events_app.test_client())  # type: ignore[attr-defined]
    ping(kernel, shop, 1, 2, 3)
    ping(kernel, other, 1, 2)
    run_pending(kernel)
    _age(kernel, shop, 30)
    _age(kernel, other, 30)
    ping(kernel, shop, 4)  # pending: kept however old the others are
    run_pending(kernel, tenant_id=shop.tenant_id)  # completed just now: kept too
    assert _counts(kernel, shop) == (4, 4)
    assert _counts(kernel, other) == (2, 2)
    purged = purge_delivered_events(kernel, batch=2)
    assert purged >= 5
    assert _counts(kernel, shop) == (1, 1)
    assert _counts(kernel, other) == (0, 0)


def test_maintenance_runs_once_per_period_and_a_failure_spares_the_others(kernel: Kernel) -> None:
    runs: list[str] = []

    def broken(_: Kernel) -> None:
        runs.append("broken")
        raise RuntimeError("disk full")

    kernel.events.maintain("test_broken", broken, timedelta(hours=1))
    kernel.events.maintain("test_counted", lambda _: runs.append("counted"), timedelta(hours=1))
    with kernel.db.engine.begin() as conn:
        conn.execute(delete(JobSchedule.__table__).where(JobSchedule.__table__.c.job_type.like("maintenance:test_%")))
    now = utcnow()
    run_due_schedules(kernel, now)
    run_due_schedules(kernel, now + timedelta(minutes=30))
    assert runs == ["broken", "counted"]
    run_due_schedules(kernel, now + timedelta(hours=1, seconds=1))
    assert runs == ["broken", "counted", "broken", "counted"]
