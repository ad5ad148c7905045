"""Secret rotation, 410 Gone, Retry-After, and endpoints that fail for days."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook, WebhookVerificationError

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.kernel import Kernel
from ccokit.platform.webhooks.models import WebhookEndpoint
from ccokit_sdk.ids import decode_public_id
from ccokit_sdk.models import utcnow
from tests.platform.events.conftest import ping
from tests.platform.webhooks.conftest import Receiver, Shop, deliveries, endpoint_row, pump, wait_for


def _rotate(shop: Shop, endpoint_id: str, **body: int) -> dict[str, object]:
    resp = shop.client.post(
        f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", json=body, headers=shop.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())


def test_during_a_rotation_both_secrets_verify_and_afterwards_only_the_new_one(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    created = shop.create_endpoint(receiver.url)
    old = str(created["secret"])
    rotated = _rotate(shop, str(created["id"]))
    new = str(rotated["secret"])
    assert new != old
    assert new.startswith("whsec_")
    assert rotated["previous_secret_expires_at"] is not None
    ping(hooks_kernel, shop.tenant, 1)
    pump(hooks_kernel, shop.tenant)
    (during,) = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(during.body, during.headers)["data"] == {"n": 1}
    assert Webhook(new).verify(during.body, during.headers)["data"] == {"n": 1}

    # The grace period ends (moved into the past in the database): only the new secret signs.
    with hooks_kernel.db.transaction(shop.tenant.tenant_id) as session:
        session.execute(update(WebhookEndpoint).values(previous_expires_at=utcnow() - timedelta(seconds=1)))
    ping(hooks_kernel, shop.tenant, 2)
    pump(hooks_kernel, shop.tenant)
    after = receiver.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(after.body, after.headers)["data"] == {"n": 2}
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)
    shown = shop.client.get(f"/api/v1/webhooks/endpoints/{created['id']}", headers=shop.headers).get_json()
    assert shown["previous_secret_expires_at"] is None
    assert "secret" not in shown

    # A rotation without grace (a leaked secret) retires the current secret at once.
    newest = str(_rotate(shop, str(created["id"]), grace_seconds=0)["secret"])
    ping(hooks_kernel, shop.tenant, 3)
    pump(hooks_kernel, shop.tenant)
    last = receiver.received[2]
    assert Webhook(newest).verify(last.body, last.headers)["data"] == {"n": 3}
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(last.body, last.headers)


def test_410_gone_disables_the_endpoint_at_once_and_tells_the_workspace(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    monitor = Receiver().start()
    try:
        gone = shop.create_endpoint(receiver.url)
        watcher = shop.create_endpoint(monitor.url, ["webhook.disabled"])
        receiver.answer = lambda got, tries: (410, {})
        ping(hooks_kernel, shop.tenant, 1, 2, 3)
        pump(hooks_kernel, shop.tenant, rounds=3)
        # One 410 is enough: the endpoint is disabled, nothing more is sent to it.
        assert len(receiver.received) == 1
        row = endpoint_row(hooks_kernel, shop.tenant, str(gone["id"]))
        assert row.status == "disabled"
        assert row.disabled_reason == "gone"
        rows = deliveries(hooks_kernel, shop.tenant, str(gone["id"]))
        assert [d.status for d in rows] == ["abandoned"] * 3
        assert sum(d.last_status_code == 410 for d in rows) == 1
        # webhook.disabled went to the endpoint that listens for it.
        (told,) = monitor.received
        message = Webhook(str(watcher["secret"])).verify(told.body, told.headers)
        assert message["type"] == "webhook.disabled"
        assert message["data"]["endpoint_id"] == gone["id"]
        assert message["data"]["reason"] == "gone"
        # Enabling sends new events again; the abandoned ones wait for a replay.
        receiver.answer = lambda got, tries: (200, {})
        resp = shop.client.post(f"/api/v1/webhooks/endpoints/{gone['id']}/enable", headers=shop.headers)
        assert resp.get_json()["status"] == "active"
        assert resp.get_json()["disabled_reason"] is None
        ping(hooks_kernel, shop.tenant, 4)
        pump(hooks_kernel, shop.tenant)
        assert len(receiver.received) == 2
    finally:
        monitor.stop()


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(hooks_kernel: Kernel, shop: Shop, receiver: Receiver, form: str) -> None:
    wait = 600

    def answer(got: object, tries: int) -> tuple[int, dict[str, str]]:
        value = str(wait) if form == "seconds" else format_datetime(utcnow() + timedelta(seconds=wait), usegmt=True)
        return 503, {"Retry-After": value}

    receiver.answer = answer
    shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    pump(hooks_kernel, shop.tenant, rounds=3)
    # The compressed schedule would have tried again within milliseconds, many times.
    assert len(receiver.received) == 1
    (row,) = deliveries(hooks_kernel, shop.tenant)
    assert row.status == "pending"
    assert row.last_status_code == 503
    assert row.next_attempt_at is not None
    assert row.last_attempt_at is not None
    assert row.next_attempt_at - row.last_attempt_at >= timedelta(seconds=wait - 2)


def test_an_endpoint_failing_for_days_is_disabled_and_the_workspace_told(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    receiver.answer = lambda got, tries: (500, {})
    endpoint = shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    pump(hooks_kernel, shop.tenant)
    row = endpoint_row(hooks_kernel, shop.tenant, str(endpoint["id"]))
    assert row.status == "active"
    assert row.failing_since is not None
    # It has been failing since six days ago (more than the default five).
    assert hooks_kernel.settings.webhook_disable_after_days == 5
    endpoint_id = decode_public_id("whe", str(endpoint["id"]))
    with hooks_kernel.db.transaction(shop.tenant.tenant_id) as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(failing_since=utcnow() - timedelta(days=6))
        )
    ping(hooks_kernel, shop.tenant, 2)
    pump(hooks_kernel, shop.tenant, rounds=2)
    row = endpoint_row(hooks_kernel, shop.tenant, str(endpoint["id"]))
    assert row.status == "disabled"
    assert row.disabled_reason == "failing"
    assert all(d.status == "abandoned" for d in deliveries(hooks_kernel, shop.tenant))
    with hooks_kernel.db.transaction(shop.tenant.tenant_id) as session:
        told = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "webhook.disabled")).all()
    assert len(told) == 1
    assert told[0].payload["endpoint_id"] == endpoint["id"]
    assert told[0].payload["reason"] == "failing"
    assert told[0].payload["failing_since"] is not None


def test_a_success_clears_the_failing_mark(hooks_kernel: Kernel, shop: Shop, receiver: Receiver) -> None:
    receiver.answer = lambda got, tries: (500, {"Retry-After": "1"}) if tries == 1 else (204, {})
    endpoint = shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    pump(hooks_kernel, shop.tenant)
    assert endpoint_row(hooks_kernel, shop.tenant, str(endpoint["id"])).failing_since is not None
    wait_for(lambda: deliveries(hooks_kernel, shop.tenant)[0].status == "succeeded", hooks_kernel, shop.tenant)
    assert endpoint_row(hooks_kernel, shop.tenant, str(endpoint["id"])).failing_since is None
