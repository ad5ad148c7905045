"""The event log API: admins see events and handler states, and replay what was parked."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from ccokit.platform.events.models import EventDelivery
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel
from ccokit_sdk.ids import encode_public_id
from tests.conftest import TenantInfo, bearer, issue_token
from tests.platform.events.conftest import Pinger, effects, ping


def _exhaust(kernel: Kernel, tenant: TenantInfo) -> None:
    for _ in range(3):
        run_pending(kernel, tenant_id=tenant.tenant_id)
        with kernel.db.transaction(tenant.tenant_id) as session:
            session.execute(
                update(EventDelivery).where(EventDelivery.status == "retrying")
                .values(next_attempt_at=None).execution_options(synchronize_session=False)
            )


def test_parked_events_are_listed_explained_and_replayed(
    events_app: Flask, kernel: Kernel, shop: TenantInfo, pinger: Pinger
) -> None:
    client = events_app.test_client()
    token = issue_token(client, shop)
    pinger.failures_left = 3
    (event_id,) = ping(kernel, shop, 7)
    _exhaust(kernel, shop)
    public = encode_public_id("evt", event_id)

    parked = client.get("/api/v1/events?status=parked", headers=bearer(token)).get_json()["items"]
    assert [e["id"] for e in parked] == [public]
    detail = client.get(f"/api/v1/events/{public}", headers=bearer(token)).get_json()
    assert detail["type"] == "test.pinged"
    assert detail["payload"] == {"n": 7}
    # The platform's webhook fan-out (subscribed to every event type) processed it; the plugin's
    # handler is parked.
    handlers = {h["handler"]: h for h in detail["handlers"]}
    assert handlers["platform:webhooks"]["status"] == "processed"
    assert [(h["handler"], h["status"], h["attempts"]) for h in detail["handlers"] if h["handler"].startswith("pinger:")] == [("pinger:record", "parked", 3)]
    assert "order system down" in handlers["pinger:record"]["last_error"]

    replayed = client.post(f"/api/v1/events/{public}/replay", headers=bearer(token))
    assert replayed.status_code == 200
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert effects(kernel, shop) == 1
    after = client.get(f"/api/v1/events/{public}", headers=bearer(token)).get_json()
    assert [h["status"] for h in after["handlers"]] == ["processed", "processed"]
    again = client.post(f"/api/v1/events/{public}/replay", headers=bearer(token))
    assert again.status_code == 409


def test_the_log_filters_by_status_and_type(events_app: Flask, kernel: Kernel, shop: TenantInfo) -> None:
    client = events_app.test_client()
    token = issue_token(client, shop)
    ping(kernel, shop, 1, 2)
    assert len(client.get("/api/v1/events?status=pending&type=test.pinged", headers=bearer(token)).get_json()["items"]) == 2
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert client.get("/api/v1/events?status=pending&type=test.pinged", headers=bearer(token)).get_json()["items"] == []
    assert len(client.get("/api/v1/events?status=completed&type=test.pinged", headers=bearer(token)).get_json()["items"]) == 2
    assert client.get("/api/v1/events?status=lost", headers=bearer(token)).status_code == 422
