"""Deliveries reach a real receiver on loopback, signed so that the Standard Webhooks reference
library (``standardwebhooks`` from PyPI) verifies them; a receiver that is down gets every
delivery later, on the retry schedule."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel
from ccokit.platform.webhooks.schedule import RETRY_DELAYS
from ccokit.platform.webhooks.transport import USER_AGENT
from ccokit_sdk.ids import encode_public_id
from tests.platform.events.conftest import ping
from tests.platform.webhooks.conftest import (
    RETRY_SCALE,
    Received,
    Receiver,
    Shop,
    deliveries,
    free_port,
    pump,
    wait_for,
)


def test_deliveries_verify_with_the_standard_webhooks_library(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    endpoint = shop.create_endpoint(receiver.url)
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    event_ids = ping(hooks_kernel, shop.tenant, 1, 2, 3)
    pump(hooks_kernel, shop.tenant)

    assert len(receiver.received) == 3
    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in receiver.received]
    assert sorted(b["data"]["n"] for b in bodies) == [1, 2, 3]
    assert {b["id"] for b in bodies} == {encode_public_id("evt", e) for e in event_ids}
    assert all(b["type"] == "test.pinged" for b in bodies)
    first = receiver.received[0]
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"] == USER_AGENT
    assert first.headers["host"] == f"127.0.0.1:{receiver.port}"
    rows = deliveries(hooks_kernel, shop.tenant)
    assert {encode_public_id("whd", d.id) for d in rows} == set(receiver.ids())
    assert all(d.status == "succeeded" and d.attempts == 1 and d.last_status_code == 204 for d in rows)
    # Another secret, or a tampered body, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(shop.create_endpoint(receiver.url)["secret"]).verify(first.body, first.headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(first.body.replace(b'"n":', b'"n": 9'), first.headers)


def test_each_event_is_delivered_once_to_each_endpoint_that_lists_its_type(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    shop.create_endpoint(receiver.url, ["test.pinged"])
    shop.create_endpoint(receiver.url, ["*"])
    shop.create_endpoint(receiver.url, ["quick_reply.created"])
    disabled = shop.create_endpoint(receiver.url, ["*"])
    resp = shop.client.post(f"/api/v1/webhooks/endpoints/{disabled['id']}/disable", headers=shop.headers)
    assert resp.status_code == 200
    ping(hooks_kernel, shop.tenant, 1)
    pump(hooks_kernel, shop.tenant, rounds=3)
    # Two endpoints want test.pinged; the quick-reply one and the disabled one get nothing.
    assert len(receiver.received) == 2
    assert len(set(receiver.ids())) == 2
    assert len(deliveries(hooks_kernel, shop.tenant)) == 2


def test_another_tenants_events_go_only_to_its_own_endpoints(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver, hooks_app: object
) -> None:
    from tests.conftest import issue_token, signup

    client = hooks_app.test_client()  # type: ignore[attr-defined]
    other = signup(client)
    issue_token(client, other)
    shop.create_endpoint(receiver.url, ["*"])
    ping(hooks_kernel, other, 1, 2)
    pump(hooks_kernel, other, shop.tenant, rounds=2)
    assert receiver.received == []
    assert deliveries(hooks_kernel, other) == []


def test_a_receiver_that_is_down_gets_every_delivery_later_on_the_schedule(
    hooks_kernel: Kernel, shop: Shop
) -> None:
    # Nothing listens on the port at first; then the receiver answers 503 to each message's
    # first try; only later does it accept.
    receiver = Receiver(port=free_port(), answer=lambda got, tries: (503, {}) if tries == 1 else (200, {}))
    endpoint = shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, *range(10))
    pump(hooks_kernel, shop.tenant, rounds=3)
    down = deliveries(hooks_kernel, shop.tenant)
    assert len(down) == 10
    assert all(d.status == "pending" and d.attempts >= 1 and d.last_status_code is None for d in down)
    assert all("could not connect" in (d.last_error or "") for d in down)
    try:
        receiver.start()
        wait_for(lambda: all(d.status == "succeeded" for d in deliveries(hooks_kernel, shop.tenant)), hooks_kernel, shop.tenant)
    finally:
        receiver.stop()

    rows = deliveries(hooks_kernel, shop.tenant)
    verifier = Webhook(endpoint["secret"])
    delivered = {verifier.verify(r.body, r.headers)["data"]["n"] for r in receiver.received}
    assert delivered == set(range(10))
    by_id: dict[str, list[Received]] = {}
    for got in receiver.received:
        by_id.setdefault(got.webhook_id, []).append(got)
    assert set(by_id) == {encode_public_id("whd", d.id) for d in rows}
    for row in rows:
        tries = by_id[encode_public_id("whd", row.id)]
        # The same webhook-id on every try; at least the 503 and the success reached the receiver.
        assert len(tries) >= 2
        assert row.attempts >= len(tries)
        # The second try came no earlier than the schedule's delay for it allows (jitter -20 %).
        failed_before = row.attempts - len(tries)  # tries while nothing listened
        delay = RETRY_DELAYS[failed_before] * RETRY_SCALE * 0.8
        assert tries[1].at - tries[0].at >= delay - 0.01
        assert json.loads(tries[0].body) == json.loads(tries[-1].body)


def test_the_retry_schedule_lasts_about_three_days() -> None:
    from ccokit.platform.webhooks.schedule import MAX_ATTEMPTS, next_delay, total_schedule

    assert timedelta(days=2.9) <= total_schedule() <= timedelta(days=3.1)
    assert MAX_ATTEMPTS == 11
    first = next_delay(1)
    assert first is not None
    assert 4 <= first <= 6
    assert next_delay(MAX_ATTEMPTS) is None
    scaled = next_delay(4, scale=0.5)
    assert scaled is not None
    assert 0.8 * 3600 <= scaled <= 1.2 * 3600


def test_concurrent_deliveries_of_the_same_events_fan_out_once(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    """Four workers deliver the same events at once: one webhook delivery per event and endpoint."""
    import threading

    from ccokit.platform.events.delivery import deliver_many

    shop.create_endpoint(receiver.url, ["*"])
    event_ids = ping(hooks_kernel, shop.tenant, *range(20))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            deliver_many(hooks_kernel, shop.tenant.tenant_id, event_ids)
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    assert errors == []
    rows = deliveries(hooks_kernel, shop.tenant)
    assert sorted(d.event_id for d in rows) == sorted(event_ids)
