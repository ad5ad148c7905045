"""``client.webhooks`` end to end: register with the SDK, receive on loopback, verify with the SDK."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.webhooks.relay import send_pending
from ccokit_sdk import AsyncClient, Client, Conflict, NotFound, ValidationError, decode_public_id, webhooks
from ccokit_sdk.testing import AsyncWSGITransport
from ccokit_sdk.types import WebhookDelivery, WebhookEndpoint
from tests.conftest import signup
from tests.platform.webhooks.conftest import Receiver, hook_settings


def wait_for(condition: Callable[[], bool], kernel: Kernel, tenant_id: str, deadline_s: float = 60.0) -> None:
    """Deliver this tenant's due events and send due webhooks until ``condition()`` holds.

    Only this tenant's events: the run's database holds every other test's too.
    """
    tenant = decode_public_id("ten", tenant_id)
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        run_pending(kernel, tenant_id=tenant)
        send_pending(kernel)
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("the condition did not hold before the deadline")


@pytest.fixture
def hooks_app(pg_settings: Settings) -> Iterator[Flask]:
    """The platform with loopback receivers allowed and the retry schedule compressed."""
    app = create_app(hook_settings(pg_settings))
    app.config["TESTING"] = True
    yield app
    current_kernel(app).db.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback that records what it gets and answers 204."""
    found = Receiver().start()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def sdk(hooks_app: Flask) -> Iterator[Client]:
    tenant = signup(hooks_app.test_client())
    with Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                transport=httpx.WSGITransport(app=hooks_app), max_retries=0) as client:
        yield client
        for endpoint in list(client.webhooks.endpoints.list()):  # leave nothing to send for other tests
            client.webhooks.endpoints.delete(endpoint.id)


def test_register_receive_verify_replay_rotate(
    sdk: Client, hooks_app: Flask, receiver: Receiver
) -> None:
    kernel = current_kernel(hooks_app)
    endpoint = sdk.webhooks.endpoints.create(url=receiver.url, event_types=["quick_reply.created"],
                                             description="shop")
    assert isinstance(endpoint, WebhookEndpoint)
    assert endpoint.id.startswith("whe_")
    assert endpoint.status == "active"
    assert endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in repr(endpoint)
    assert sdk.webhooks.endpoints.get(endpoint.id).secret is None
    assert [e.id for e in sdk.webhooks.endpoints.list(status="active")] == [endpoint.id]

    reply = sdk.quick_replies.create(shortcut="/hook", title="Hook", body="text")
    wait_for(lambda: len(receiver.received) == 1, kernel, sdk.tenant.get().id)
    got = receiver.received[0]
    message = webhooks.verify(got.body, got.headers, endpoint.secret)
    assert message["type"] == "quick_reply.created"
    assert reply.id in got.body.decode()
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(got.body, got.headers, sdk.webhooks.endpoints.rotate_secret(endpoint.id, grace_seconds=0).secret
                        or "")

    (delivery,) = list(sdk.webhooks.deliveries.list(endpoint.id))
    assert isinstance(delivery, WebhookDelivery)
    assert delivery.id == got.webhook_id
    assert delivery.status == "succeeded"
    assert delivery.payload is None
    detail = sdk.webhooks.deliveries.get(endpoint.id, delivery.id)
    assert detail.payload is not None
    assert detail.last_status_code == 204
    assert list(sdk.webhooks.deliveries.list(endpoint.id, status="failed")) == []
    replayed = sdk.webhooks.deliveries.replay(endpoint.id, delivery.id)
    assert replayed.id == delivery.id
    with pytest.raises(Conflict):  # still pending: it has not been sent again yet
        sdk.webhooks.deliveries.replay(endpoint.id, delivery.id)
    wait_for(lambda: len(receiver.received) == 2, kernel, sdk.tenant.get().id)
    assert receiver.ids() == [delivery.id, delivery.id]  # the same webhook-id on every try


def test_rotation_grace_signs_with_both_secrets(sdk: Client, hooks_app: Flask, receiver: Receiver) -> None:
    kernel = current_kernel(hooks_app)
    endpoint = sdk.webhooks.endpoints.create(url=receiver.url, event_types=["*"])
    rotated = sdk.webhooks.endpoints.rotate_secret(endpoint.id, grace_seconds=3600)
    assert rotated.secret
    assert rotated.secret != endpoint.secret
    assert rotated.previous_secret_expires_at is not None
    sdk.quick_replies.create(shortcut="/both", title="Both", body="text")
    wait_for(lambda: len(receiver.received) >= 1, kernel, sdk.tenant.get().id)
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split()) == 2
    for secret in (endpoint.secret, rotated.secret):
        assert webhooks.verify(got.body, got.headers, secret or "")["type"] == "quick_reply.created"


def test_update_disable_enable_delete_and_errors(sdk: Client, hooks_app: Flask, receiver: Receiver) -> None:
    endpoint = sdk.webhooks.endpoints.create(url=receiver.url, event_types=["quick_reply.created"])
    changed = sdk.webhooks.endpoints.update(endpoint.id, event_types=["quick_reply.created", "quick_reply.deleted"],
                                            description="two types")
    assert changed.event_types == ["quick_reply.created", "quick_reply.deleted"]
    assert changed.url == receiver.url
    disabled = sdk.webhooks.endpoints.disable(endpoint.id)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "admin")
    assert [e.id for e in sdk.webhooks.endpoints.list(status="disabled")] == [endpoint.id]
    assert sdk.webhooks.endpoints.enable(endpoint.id).status == "active"
    with pytest.raises(ValidationError) as invalid:
        sdk.webhooks.endpoints.create(url="ftp://shop.example/hooks", event_types=["no.such_type"])
    assert {"url", "event_types"} <= set(invalid.value.errors)
    sdk.webhooks.endpoints.delete(endpoint.id)
    with pytest.raises(NotFound):
        sdk.webhooks.endpoints.get(endpoint.id)
    with pytest.raises(NotFound):
        list(sdk.webhooks.deliveries.list(endpoint.id))


def test_async_webhooks(hooks_app: Flask, receiver: Receiver) -> None:
    tenant = signup(hooks_app.test_client())
    kernel = current_kernel(hooks_app)

    async def register() -> tuple[str, str]:
        async with AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                               transport=AsyncWSGITransport(hooks_app)) as aio:
            endpoint = await aio.webhooks.endpoints.create(url=receiver.url, event_types=["quick_reply.created"])
            assert (await aio.webhooks.endpoints.update(endpoint.id, description="async")).description == "async"
            assert (await aio.webhooks.endpoints.get(endpoint.id)).id == endpoint.id
            assert [e.id async for e in aio.webhooks.endpoints.list()] == [endpoint.id]
            assert (await aio.webhooks.endpoints.disable(endpoint.id)).status == "disabled"
            assert (await aio.webhooks.endpoints.enable(endpoint.id)).status == "active"
            rotated = await aio.webhooks.endpoints.rotate_secret(endpoint.id, grace_seconds=0)
            await aio.quick_replies.create(shortcut="/async", title="Async", body="text")
            return endpoint.id, rotated.secret or ""

    endpoint_id, secret = asyncio.run(register())
    wait_for(lambda: len(receiver.received) == 1, kernel, tenant.public_id)
    got = receiver.received[0]
    assert webhooks.verify(got.body, got.headers, secret)["type"] == "quick_reply.created"

    async def inspect() -> None:
        async with AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                               transport=AsyncWSGITransport(hooks_app)) as aio:
            (delivery,) = [d async for d in aio.webhooks.deliveries.list(endpoint_id)]
            assert (await aio.webhooks.deliveries.get(endpoint_id, delivery.id)).payload is not None
            assert (await aio.webhooks.deliveries.replay(endpoint_id, delivery.id)).id == delivery.id
            await aio.webhooks.endpoints.delete(endpoint_id)

    asyncio.run(inspect())
