"""Fixtures of the OAuth server tests: the app whose issuer is the address it is served on.

The suite's ``app`` is configured with ``http://localhost`` as its public URL, so the endpoints
its metadata document announces are not where ``live_server`` listens. Here the socket is bound
first and the app built with ``CCOKIT_BASE_URL`` set to it, so an independent client can start
from the discovery document alone, and ``client``, ``make_tenant`` and ``token`` (which build on
``app``) talk to the same issuer.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from tests.conftest import PASSWORD, LiveServer, TenantInfo, bearer


def _not_ready(environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"not ready"]


@pytest.fixture
def bound_server() -> Iterator[BaseWSGIServer]:
    """A threaded WSGI server bound to a free loopback port, not serving yet."""
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
    try:
        yield server
    finally:
        server.server_close()


@pytest.fixture
def app(pg_settings: Settings, bound_server: BaseWSGIServer) -> Iterator[Flask]:
    """The platform on PostgreSQL (application role), its issuer the live server's address."""
    url = f"http://127.0.0.1:{bound_server.server_port}"
    flask_app = create_app(pg_settings.with_overrides(base_url=url))
    flask_app.config["TESTING"] = True
    bound_server.app = flask_app  # type: ignore[attr-defined]
    try:
        yield flask_app
    finally:
        current_kernel(flask_app).db.dispose()


@pytest.fixture
def live_server(app: Flask, bound_server: BaseWSGIServer) -> Iterator[LiveServer]:
    thread = threading.Thread(target=bound_server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{bound_server.server_port}", app=app)
    finally:
        bound_server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _oauthlib_over_loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests-oauthlib refuses plain http; the live server is loopback-only."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@dataclass(frozen=True)
class App:
    """An application registered through ``POST /api/v1/clients``."""

    client_id: str
    client_secret: str | None
    redirect_uri: str


@dataclass(frozen=True)
class Agent:
    email: str
    password: str


REDIRECT_URI = "https://app.example/callback"


@pytest.fixture
def register_app(client: FlaskClient, token: str) -> Callable[..., App]:
    """Register an authorization-code application in ``tenant``."""

    def register(*, confidential: bool = False, scopes: list[str] | None = None, **extra: Any) -> App:
        body = {
            "name": f"App {uuid.uuid4().hex[:6]}",
            "confidential": confidential,
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": scopes or ["tenant:read", "members:read", "tenant:admin"],
            **extra,
        }
        resp = client.post("/api/v1/clients", json=body, headers=bearer(token))
        assert resp.status_code == 201, resp.get_data(as_text=True)
        data = resp.get_json()
        return App(data["client_id"], data["client_secret"], data["redirect_uris"][0])

    return register


@pytest.fixture
def add_member(client: FlaskClient, token: str) -> Callable[[str], Agent]:
    """Add a member of the given role to ``tenant``."""

    def add(role: str) -> Agent:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        resp = client.post(
            "/api/v1/members",
            json={"email": email, "display_name": role.title(), "role": role, "password": PASSWORD},
            headers=bearer(token),
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return Agent(email, PASSWORD)

    return add


@pytest.fixture
def agent(add_member: Callable[[str], Agent]) -> Agent:
    return add_member("agent")


@pytest.fixture
def admin(add_member: Callable[[str], Agent]) -> Agent:
    return add_member("admin")


@pytest.fixture
def owner(tenant: TenantInfo) -> Agent:
    return Agent(tenant.owner_email, tenant.owner_password)
