"""A real HTTP receiver on loopback, and an app whose webhooks may go there.

The receiver is a werkzeug server in a thread that records every request it gets (headers, raw
body, time) and answers what the test tells it to. It can be started later on a port chosen in
advance, so a test can have deliveries fail while nothing listens and succeed once it does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from ccokit.platform.config import Settings
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.webhooks.models import WebhookDelivery, WebhookEndpoint
from ccokit.platform.webhooks.relay import send_pending
from ccokit_sdk.ids import decode_public_id
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.platform.events.conftest import Pinger, build

#: Compresses the three-day schedule to about 26 s; the first retries come after milliseconds.
RETRY_SCALE = 0.0001

Answer = tuple[int, dict[str, str]]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    """A webhook receiver on loopback; ``answer(received, tries_of_this_id)`` picks the response."""

    port: int = 0
    host: str = "127.0.0.1"
    answer: Callable[[Received, int], Answer] = lambda received, tries: (204, {})
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/hooks"

    def start(self) -> Receiver:
        self.server = make_server(self.host, self.port, self._wsgi, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            assert self.thread is not None
            self.thread.join(timeout=10)
            self.server = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        got = Received({k.lower(): v for k, v in request.headers.items()}, request.get_data(), time.time())
        with self.lock:
            self.received.append(got)
            tries = sum(1 for r in self.received if r.webhook_id == got.webhook_id)
        status, headers = self.answer(got, tries)
        return Response(b"receiver secrets: do not show", status=status, headers=headers)(environ, start_response)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    try:
        yield found
    finally:
        found.stop()


def hook_settings(settings: Settings, **overrides: Any) -> Settings:
    return settings.with_overrides(**{
        "webhooks_allow_loopback": True,
        "webhook_retry_scale": RETRY_SCALE,
        "event_retry_base": 0.01,
        "event_retry_cap": 0.01,
        **overrides,
    })


@pytest.fixture
def hooks_app(pg_settings: Settings) -> Iterator[Flask]:
    """The platform on PostgreSQL with the test plugin's ``test.pinged``, loopback receivers allowed."""
    app = build(hook_settings(pg_settings), Pinger())
    yield app
    current_kernel(app).db.dispose()


@pytest.fixture
def hooks_kernel(hooks_app: Flask) -> Kernel:
    return current_kernel(hooks_app)


@dataclass
class Shop:
    client: FlaskClient
    tenant: TenantInfo
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def create_endpoint(self, url: str, event_types: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"url": url, "event_types": event_types or ["test.pinged"], **extra}
        resp = self.client.post("/api/v1/webhooks/endpoints", json=body, headers=self.headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return dict(resp.get_json())


@pytest.fixture
def shop(hooks_app: Flask) -> Iterator[Shop]:
    client = hooks_app.test_client()
    tenant = signup(client)
    yield Shop(client, tenant, issue_token(client, tenant))
    retire(current_kernel(hooks_app), tenant)


def retire(kernel: Kernel, tenant: TenantInfo) -> None:
    """Stop a finished test's pending deliveries, so that a later test's receiver, which may get
    the same port, never receives them."""
    with kernel.db.transaction(tenant.tenant_id) as session:
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.status == "pending").values(status="abandoned")
        )


def pump(kernel: Kernel, *tenants: TenantInfo, rounds: int = 1) -> None:
    """Deliver the tenants' due events (the fan-out writes deliveries), then send every due
    delivery, in this thread. Only these tenants' events: the run's database holds other tests'."""
    for _ in range(rounds):
        for tenant in tenants:
            run_pending(kernel, tenant_id=tenant.tenant_id)
        send_pending(kernel)


def deliveries(kernel: Kernel, tenant: TenantInfo, endpoint_public_id: str | None = None) -> list[WebhookDelivery]:
    with kernel.db.transaction(tenant.tenant_id) as session:
        stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if endpoint_public_id is not None:
            stmt = stmt.where(WebhookDelivery.endpoint_id == decode_public_id("whe", endpoint_public_id))
        return list(session.scalars(stmt))


def endpoint_row(kernel: Kernel, tenant: TenantInfo, endpoint_public_id: str) -> WebhookEndpoint:
    with kernel.db.transaction(tenant.tenant_id) as session:
        found = session.get(WebhookEndpoint, (tenant.tenant_id, decode_public_id("whe", endpoint_public_id)))
        assert found is not None
        return found


def wait_for(condition: Callable[[], bool], kernel: Kernel, *tenants: TenantInfo, deadline_s: float = 60.0) -> None:
    """Pump until ``condition()`` holds (the compressed schedule needs real seconds to pass)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        pump(kernel, *tenants)
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition did not hold before the deadline")
