"""Jobs: enqueued in the caller's transaction, run exactly once per tenant, delayed, periodic.

A test-only plugin ``chores`` registers a one-off job (``remember``: one quick reply per run), a
periodic one (``tick``) and a route that enqueues, with a variant that fails after enqueueing.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from ccokit.platform.app import create_app
from ccokit.platform.cli import LOG_FORMAT
from ccokit.platform.config import Settings
from ccokit.platform.events.models import JobSchedule, OutboxEvent
from ccokit.platform.events.outbox import InvalidEventPayload, enqueue
from ccokit.platform.events.registry import EventRegistry, UnknownEventType
from ccokit.platform.events.relay import EmbeddedRelay, claim, run_pending
from ccokit.platform.events.scheduler import run_due_schedules
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit.platform.request_ids import RequestContextFilter
from ccokit.plugins.quick_replies.models import QuickReply
from ccokit_sdk.models import utcnow
from ccokit_sdk.plugin import Blueprint, Plugin, PluginContext, Scope, abort, current, require_scope
from tests.conftest import TenantInfo, bearer, issue_token, signup

log = logging.getLogger("tests.chores")


@dataclass
class Chores:
    failures_left: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, ctx: Any, shortcut: str, body: str = "remembered") -> None:
        with self.lock:
            self.runs.append({"tenant": ctx.tenant_id, "shortcut": shortcut})
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("the warehouse system is down")
        log.warning("remembering %s", shortcut)
        ctx.session.add(QuickReply(shortcut=shortcut, title="job", body=body, language="en", tags=[]))

    def tick(self, ctx: Any) -> None:
        ctx.session.add(QuickReply(shortcut=f"/t{uuid.uuid4().hex[:12]}", title="tick", body="tick",
                                   language="en", tags=[]))

    def plugin(self) -> Plugin:
        blueprint = Blueprint("chores", __name__)

        @blueprint.post("/remember/<shortcut>")
        @require_scope("chores:write")
        @blueprint.response(202)
        def remember_later(shortcut: str) -> Any:
            current().enqueue(self.remember, shortcut=f"/job-{shortcut}", delay=None)
            if shortcut == "fail":
                abort(409, message="the change failed after the job was enqueued")
            current().session.commit()
            return {}

        def setup(ctx: PluginContext) -> None:
            ctx.job(self.remember)
            ctx.every(timedelta(minutes=10), self.tick)
            ctx.register_blueprint(blueprint)

        return Plugin(name="chores", version="1", title={"en": "Chores"}, setup=setup,
                      scopes=(Scope("chores:write", "Enqueue chores"),))


def _build(settings: Settings, chores: Chores) -> Flask:
    return create_app(settings, plugins=[*discover_plugins(), chores.plugin()])


@pytest.fixture
def chores() -> Chores:
    return Chores()


@pytest.fixture(params=["postgres", "sqlite"])
def jobs_app(request: pytest.FixtureRequest, chores: Chores) -> Iterator[Flask]:
    settings: Settings = request.getfixturevalue("pg_settings" if request.param == "postgres" else "sqlite_settings")
    app = _build(settings.with_overrides(event_retry_base=0.01, event_retry_cap=0.01, event_max_attempts=3), chores)
    yield app
    current_kernel(app).db.dispose()


@pytest.fixture
def kernel(jobs_app: Flask) -> Kernel:
    return current_kernel(jobs_app)


def _replies(kernel: Kernel, tenant: TenantInfo, title: str = "job") -> list[str]:
    with kernel.db.transaction(tenant.tenant_id) as session:
        return sorted(session.scalars(select(QuickReply.shortcut).where(QuickReply.title == title)))


def _jobs(kernel: Kernel, tenant: TenantInfo) -> list[OutboxEvent]:
    with kernel.db.transaction(tenant.tenant_id) as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("job:%"))))


def test_a_job_enqueued_by_a_request_runs_once_after_the_commit(jobs_app: Flask, kernel: Kernel) -> None:
    client = jobs_app.test_client()
    shop = signup(client)
    token = issue_token(client, shop, ["chores:write"])
    assert client.post("/api/v1/chores/remember/hello", headers=bearer(token)).status_code == 202
    (job,) = _jobs(kernel, shop)
    assert job.type == "job:chores.remember"
    assert job.payload == {"shortcut": "/job-hello"}
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert _replies(kernel, shop) == ["/job-hello"]
    # The job's id handed out again (a worker died after committing) changes nothing.
    with kernel.db.transaction(shop.tenant_id) as session:
        session.execute(update(OutboxEvent).values(completed_at=None).execution_options(synchronize_session=False))
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert _replies(kernel, shop) == ["/job-hello"]


def test_a_request_that_fails_enqueues_nothing(jobs_app: Flask, kernel: Kernel) -> None:
    client = jobs_app.test_client()
    shop = signup(client)
    token = issue_token(client, shop, ["chores:write"])
    assert client.post("/api/v1/chores/remember/fail", headers=bearer(token)).status_code == 409
    assert _jobs(kernel, shop) == []


def test_a_delayed_job_waits_for_its_time(jobs_app: Flask, kernel: Kernel, chores: Chores) -> None:
    shop = signup(jobs_app.test_client())
    with kernel.db.transaction(shop.tenant_id) as session:
        job_id = enqueue(session, kernel.events, chores.remember, {"shortcut": "/later"}, timedelta(hours=1))
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert all(e != job_id for _, e in claim(kernel, 100, 0.0))
    assert _replies(kernel, shop) == []
    with kernel.db.transaction(shop.tenant_id) as session:
        session.execute(
            update(OutboxEvent).values(available_at=utcnow() - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert _replies(kernel, shop) == ["/later"]


def test_a_failing_job_is_retried_then_parked_and_visible(jobs_app: Flask, kernel: Kernel, chores: Chores) -> None:
    client = jobs_app.test_client()
    shop = signup(client)
    chores.failures_left = 10
    with kernel.db.transaction(shop.tenant_id) as session:
        enqueue(session, kernel.events, "chores.remember", {"shortcut": "/x"})
    for _ in range(3):
        run_pending(kernel, tenant_id=shop.tenant_id, now=utcnow() + timedelta(hours=1))
    assert len(chores.runs) == 3
    token = issue_token(client, shop)
    parked = client.get("/api/v1/events?status=parked", headers=bearer(token)).get_json()["items"]
    assert [e["type"] for e in parked] == ["job:chores.remember"]
    assert _replies(kernel, shop) == []


def test_enqueue_refuses_unknown_jobs_and_values_json_cannot_carry(jobs_app: Flask, kernel: Kernel) -> None:
    shop = signup(jobs_app.test_client())
    with kernel.db.transaction(shop.tenant_id) as session:
        with pytest.raises(UnknownEventType):
            enqueue(session, kernel.events, "chores.nope", {})
        with pytest.raises(UnknownEventType):
            enqueue(session, kernel.events, print, {})
        with pytest.raises(InvalidEventPayload):
            enqueue(session, kernel.events, "chores.remember", {"shortcut": uuid.uuid4()})
        with pytest.raises(InvalidEventPayload):
            enqueue(session, kernel.events, "chores.remember", {"shortcut": ("a", "b")})


def test_periodic_jobs_run_once_per_period_for_tenants_with_the_plugin(
    jobs_app: Flask, kernel: Kernel
) -> None:
    client = jobs_app.test_client()
    on, off, suspended = signup(client), signup(client), signup(client)
    with kernel.db.transaction(off.tenant_id) as session:
        kernel.plugins.set_enabled(session, "chores", False)
    _suspend(kernel, suspended)
    with kernel.db.engine.begin() as conn:  # the schedule as if the job were new
        conn.execute(delete(JobSchedule.__table__))
    now = utcnow()
    # Two schedulers look at the same moment: one of them fans the period out.
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run_due_schedules(kernel, now))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ticks = {t.tenant_id: len(_ticks(kernel, t)) for t in (on, off, suspended)}
    assert ticks == {on.tenant_id: 1, off.tenant_id: 0, suspended.tenant_id: 0}
    # Within its ten-minute period the tick does not run again (other plugins' periodic jobs,
    # such as ticketing's minute-by-minute SLA sweep, may).
    run_due_schedules(kernel, now + timedelta(minutes=5))
    assert len(_ticks(kernel, on)) == 1
    run_due_schedules(kernel, now + timedelta(minutes=10, seconds=1))
    assert len(_ticks(kernel, on)) == 2
    run_pending(kernel, tenant_id=on.tenant_id)
    assert len(_replies(kernel, on, title="tick")) == 2
    # Down for a day: the missed periods are skipped, not run all at once.
    assert run_due_schedules(kernel, now + timedelta(days=1)) >= 1
    assert len(_ticks(kernel, on)) == 3


def _ticks(kernel: Kernel, tenant: TenantInfo) -> list[OutboxEvent]:
    return [j for j in _jobs(kernel, tenant) if j.type == "job:chores.tick"]


def _suspend(kernel: Kernel, tenant: TenantInfo) -> None:
    from ccokit.tenants.models import Tenant

    with kernel.db.transaction() as session:
        session.execute(update(Tenant).where(Tenant.id == tenant.tenant_id).values(status="suspended"))


def test_job_logs_carry_tenant_and_job_id(jobs_app: Flask, kernel: Kernel, chores: Chores) -> None:
    shop = signup(jobs_app.test_client())
    with kernel.db.transaction(shop.tenant_id) as session:
        enqueue(session, kernel.events, chores.remember, {"shortcut": "/logged"})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    try:
        run_pending(kernel, tenant_id=shop.tenant_id)
    finally:
        log.removeHandler(handler)
    (line,) = [line for line in stream.getvalue().splitlines() if "remembering /logged" in line]
    assert f"tenant={shop.tenant_id}" in line
    assert " job=evt_" in line


def test_the_embedded_default_runs_jobs_in_the_web_process(sqlite_settings: Settings, chores: Chores) -> None:
    app = _build(sqlite_settings, chores)
    kernel = current_kernel(app)
    shop = signup(app.test_client())
    with kernel.db.transaction(shop.tenant_id) as session:
        enqueue(session, kernel.events, chores.remember, {"shortcut": "/embedded"})
    with kernel.db.engine.begin() as conn:  # the session's database may have run the tick before
        conn.execute(delete(JobSchedule.__table__))
    relay = EmbeddedRelay(kernel, poll_seconds=0.01)
    relay.start()
    try:
        for _ in range(500):
            if _replies(kernel, shop) and _replies(kernel, shop, title="tick"):
                break
            relay.stopping.wait(0.02)
    finally:
        relay.stop()
        relay.join()
        kernel.db.dispose()
    assert _replies(kernel, shop) == ["/embedded"]
    assert len(_replies(kernel, shop, title="tick")) == 1


def test_periodic_jobs_run_at_most_once_a_minute() -> None:
    with pytest.raises(ValueError, match="once a minute"):
        EventRegistry().schedule("chores", Chores().tick, timedelta(seconds=5))


def test_job_count_query_is_tenant_scoped(jobs_app: Flask, kernel: Kernel) -> None:
    a, b = signup(jobs_app.test_client()), signup(jobs_app.test_client())
    with kernel.db.transaction(a.tenant_id) as session:
        enqueue(session, kernel.events, "chores.remember", {"shortcut": "/a"})
    with kernel.db.transaction(b.tenant_id) as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type.like("job:%"))) == 0
