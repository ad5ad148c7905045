"""Nothing is lost and nothing is sent twice by the sender's own machinery: leases, stale claims,
the rq road through real ``ccokit relay`` and ``ccokit worker`` processes, retention, deletion,
and the migration that makes the tables."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import func, select, update
from standardwebhooks import Webhook

from ccokit.platform.config import Settings
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.provisioning import delete_tenant
from ccokit.platform.webhooks.models import Base, WebhookDelivery, WebhookEndpoint
from ccokit.platform.webhooks.relay import claim_due_deliveries, send_pending
from ccokit.platform.webhooks.retention import purge_old_deliveries
from ccokit.platform.webhooks.sender import send_chunk
from ccokit.tenants.database import make_engine
from ccokit_sdk.models import utcnow
from tests.conftest import bearer, issue_token, signup
from tests.platform.events.conftest import ping
from tests.platform.webhooks.conftest import Receiver, Shop, deliveries, hook_settings

ROOT = Path(__file__).resolve().parents[3]
CCOKIT = Path(sys.executable).with_name("ccokit")


def test_a_sender_that_dies_leaves_its_deliveries_due_again_and_a_stale_claim_sends_nothing(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    first = claim_due_deliveries(hooks_kernel, 10, lease_seconds=0.2)
    assert len(first) == 1
    # Claimed: not due again while the lease lasts (another relay would skip it).
    assert claim_due_deliveries(hooks_kernel, 10, lease_seconds=0.2) == []
    # The sender holding it "dies" (never sends). After the lease it is claimed again.
    time.sleep(0.3)
    second = claim_due_deliveries(hooks_kernel, 10, lease_seconds=30)
    assert [c.delivery_id for c in second] == [first[0].delivery_id]
    assert second[0].claims > first[0].claims
    # The first claim's job, arriving late, sends nothing; the second sends once.
    stale = send_chunk(hooks_kernel, shop.tenant.tenant_id, first)
    assert stale["skipped"] == 1
    assert receiver.received == []
    fresh = send_chunk(hooks_kernel, shop.tenant.tenant_id, second)
    assert fresh["succeeded"] == 1
    again = send_chunk(hooks_kernel, shop.tenant.tenant_id, second)
    assert again["skipped"] == 1
    assert len(receiver.received) == 1


def test_a_chunk_whose_endpoint_was_deleted_sends_nothing(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    endpoint = shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    claimed = claim_due_deliveries(hooks_kernel, 10, lease_seconds=30)
    assert shop.client.delete(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=shop.headers).status_code == 204
    outcome = send_chunk(hooks_kernel, shop.tenant.tenant_id, claimed)
    assert outcome["skipped"] == 1
    assert receiver.received == []


def _env(settings: Settings) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")},
        "CCOKIT_ENV": "test",
        "CCOKIT_DATABASE_URL": settings.database_url,
        "CCOKIT_REDIS_URL": settings.redis_url or "",
        "CCOKIT_SECRET_KEY": settings.secret_key,
        "CCOKIT_STORAGE_URL": settings.storage_url,
        "CCOKIT_WEBHOOKS_ALLOW_LOOPBACK": "true",
        "CCOKIT_LOG_LEVEL": "WARNING",
    }


def _run(settings: Settings, *argv: str) -> str:
    done = subprocess.run(
        [str(CCOKIT), *argv], cwd=ROOT, env=_env(settings), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_the_production_road_through_ccokit_relay_and_ccokit_worker(
    pg_settings: Settings, receiver: Receiver
) -> None:
    """A quick reply is created through the API and its event delivered (the fan-out writes the
    delivery); ``ccokit relay`` and ``ccokit worker`` (real processes, Redis in between) send it."""
    import redis

    settings = hook_settings(pg_settings)
    redis.Redis.from_url(settings.redis_url or "").delete("rq:queue:events", "rq:queue:webhooks")
    from ccokit.platform.app import create_app

    app = create_app(settings)
    kernel = current_kernel(app)
    try:
        client = app.test_client()
        tenant = signup(client)
        headers = bearer(issue_token(client, tenant))
        resp = client.post("/api/v1/webhooks/endpoints", json={"url": receiver.url,
                           "event_types": ["quick_reply.created"]}, headers=headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        secret = resp.get_json()["secret"]
        # Earlier tests' tenants may have due events and deliveries in this database; only ours count.
        run_pending(kernel, tenant_id=tenant.tenant_id)
        send_pending(kernel)
        resp = client.post("/api/v1/quick_replies/replies", json={"shortcut": "/ship", "title": "Shipping",
                           "body": "Ships in 24 h"}, headers=headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)

        run_pending(kernel, tenant_id=tenant.tenant_id)
        assert "events and webhook deliveries" in _run(settings, "relay", "--once")
        assert receiver.received == []
        worked = _run(settings, "worker", "--burst", "--queue", "webhooks")
        with kernel.db.transaction(tenant.tenant_id) as session:
            states = [(d.status, d.attempts, d.last_error) for d in session.scalars(select(WebhookDelivery))]
        assert len(receiver.received) == 1, f"deliveries {states}; the worker said {worked!r}"
        (got,) = receiver.received
        message = Webhook(secret).verify(got.body, got.headers)
        assert message["type"] == "quick_reply.created"
        assert message["data"]["shortcut"] == "/ship"
        with kernel.db.transaction(tenant.tenant_id) as session:
            (row,) = session.scalars(select(WebhookDelivery)).all()
        assert row.status == "succeeded"
    finally:
        kernel.db.dispose()


def test_finished_deliveries_leave_the_log_after_the_retention_period(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1, 2, 3)
    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    send_pending(hooks_kernel)
    rows = deliveries(hooks_kernel, shop.tenant)
    old_done, old_pending = rows[0].id, rows[1].id
    long_ago = utcnow() - timedelta(days=hooks_kernel.settings.webhook_retention_days + 1)
    with hooks_kernel.db.transaction(shop.tenant.tenant_id) as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_([old_done, old_pending]))
                        .values(created_at=long_ago))
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == old_pending)
                        .values(status="pending", next_attempt_at=utcnow() + timedelta(days=1)))
    assert purge_old_deliveries(hooks_kernel) >= 1
    left = {d.id for d in deliveries(hooks_kernel, shop.tenant)}
    assert old_done not in left
    assert old_pending in left
    assert len(left) == 2


def test_deleting_a_tenant_removes_its_endpoints_and_deliveries(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    delete_tenant(hooks_kernel, shop.tenant.tenant_id)
    with hooks_kernel.db.transaction(shop.tenant.tenant_id) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    ours = [d for d in diffs if "webhook_" in repr(d)]
    assert ours == []


def test_the_embedded_default_sends_from_the_relay_thread(sqlite_settings: Settings, receiver: Receiver) -> None:
    """SQLite, no Redis: the web process's relay thread delivers the event and sends the webhook."""
    from ccokit.platform.app import create_app
    from ccokit.platform.events.relay import EmbeddedRelay

    app: Flask = create_app(hook_settings(sqlite_settings))
    kernel = current_kernel(app)
    relay = EmbeddedRelay(kernel, poll_seconds=0.02)
    try:
        client = app.test_client()
        tenant = signup(client)
        headers = bearer(issue_token(client, tenant))
        secret = client.post("/api/v1/webhooks/endpoints", json={"url": receiver.url, "event_types": ["*"]},
                             headers=headers).get_json()["secret"]
        client.post("/api/v1/quick_replies/replies", json={"shortcut": "/hi", "title": "Hi", "body": "Hello"},
                    headers=headers)
        relay.start()
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        relay.stop()
        relay.join(timeout=10)
        message = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
        assert message["data"]["shortcut"] == "/hi"
    finally:
        relay.stop()
        kernel.db.dispose()
