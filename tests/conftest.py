"""Fixtures shared by the whole suite: ``pg_settings -> app -> client -> tenant -> token``.

PostgreSQL and Redis are real servers. Each test run (each xdist worker) creates its own
database and two roles, the table owner that migrates and the application role that owns no
table and cannot bypass row-level security, and drops them at the end. In CI (``CI=true``) a
missing server fails the run; on a developer's machine the tests that need it are skipped.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings, load_settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.migrate import migrate

#: ``s3_endpoint``, ``aws_credentials`` and ``bucket``: a real S3-compatible server for any test.
pytest_plugins = ("tests.s3_server",)

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HOST = os.environ.get("CCOKIT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("CCOKIT_TEST_PG_PORT", "5432")
PG_ADMIN = os.environ.get("CCOKIT_TEST_PG_ADMIN", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres")
REDIS_BASE = os.environ.get("CCOKIT_TEST_REDIS", "redis://127.0.0.1:6379")
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery staple"


def missing_service(what: str, exc: BaseException) -> None:
    """Fail in CI, skip elsewhere: CI must never pass by skipping the real-database tests."""
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _admin_execute(*statements: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _redis_url(worker_id: str) -> str:
    index = int(worker_id[2:]) + 1 if worker_id.startswith("gw") else 1
    return f"{REDIS_BASE}/{index}"


def base_env(**extra: str) -> dict[str, str]:
    env = {
        "CCOKIT_ENV": "test",
        "CCOKIT_SECRET_KEY": TEST_SECRET,
        "CCOKIT_BASE_URL": "http://localhost",
        "CCOKIT_SIGNUP_RATE_LIMIT": "100000 per minute",
        "CCOKIT_TOKEN_RATE_LIMIT": "100000 per minute",
        "CCOKIT_SIGNIN_RATE_LIMIT": "100000 per minute",
        "CCOKIT_PUBLIC_RATE_LIMIT": "100000 per minute",
        "CCOKIT_TENANT_RATE_LIMIT": "100000 per minute",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def redis_url(worker_id: str) -> Iterator[str]:
    """A Redis database number of this xdist worker, emptied before and after the run."""
    import redis

    url = _redis_url(worker_id)
    connection = redis.Redis.from_url(url)
    try:
        connection.flushdb()
    except redis.RedisError as exc:
        missing_service("Redis", exc)
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture(scope="session")
def pg_settings(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Settings]:
    """A migrated PostgreSQL database of this run, with an owner role and an app role."""
    name = f"ccokit_t_{uuid.uuid4().hex[:12]}"
    owner, app_role = f"{name}_owner", f"{name}_app"
    try:
        _admin_execute(
            f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS",
            f"CREATE ROLE {app_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
            f"CREATE DATABASE {name} OWNER {owner}",
        )
    except psycopg.OperationalError as exc:
        missing_service("PostgreSQL", exc)
    blobs = tmp_path_factory.mktemp("blobs-pg")
    settings = load_settings(base_env(
        CCOKIT_DATABASE_URL=f"postgresql://{app_role}@{PG_HOST}:{PG_PORT}/{name}",
        CCOKIT_MIGRATION_DATABASE_URL=f"postgresql://{owner}@{PG_HOST}:{PG_PORT}/{name}",
        CCOKIT_REDIS_URL=redis_url,
        CCOKIT_STORAGE_URL=f"file://{blobs}",
    ))
    try:
        migrate(settings)
        yield settings
    finally:
        _admin_execute(
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {app_role}",
            f"DROP ROLE IF EXISTS {owner}",
        )


@pytest.fixture(scope="session")
def sqlite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated SQLite file: the embedded default, with no Redis."""
    root = tmp_path_factory.mktemp("sqlite")
    settings = load_settings(base_env(
        CCOKIT_DATABASE_URL=f"sqlite:///{root / 'ccokit.db'}",
        CCOKIT_STORAGE_URL=f"file://{root / 'blobs'}",
    ))
    migrate(settings)
    return settings


def _build(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        current_kernel(app).db.dispose()


@pytest.fixture
def app(pg_settings: Settings) -> Iterator[Flask]:
    """The platform on PostgreSQL, connecting as the application role."""
    yield from _build(pg_settings)


@pytest.fixture
def sqlite_app(sqlite_settings: Settings) -> Iterator[Flask]:
    yield from _build(sqlite_settings)


@pytest.fixture(params=["postgres", "sqlite"])
def any_app(request: pytest.FixtureRequest) -> Flask:
    """The platform on each supported database, for tests that must hold on both."""
    return request.getfixturevalue("app" if request.param == "postgres" else "sqlite_app")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class TenantInfo:
    slug: str
    tenant_id: uuid.UUID
    public_id: str
    client_id: str
    client_secret: str
    owner_email: str
    owner_password: str
    signup: dict[str, Any]


def signup(client: FlaskClient, **overrides: Any) -> TenantInfo:
    slug = overrides.pop("slug", f"shop-{uuid.uuid4().hex[:12]}")
    body = {
        "name": f"Shop {slug}",
        "slug": slug,
        "owner_email": f"owner@{slug}.example",
        "owner_password": PASSWORD,
        **overrides,
    }
    resp = client.post("/api/v1/signup", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    data = resp.get_json()
    from ccokit_sdk.ids import decode_public_id

    return TenantInfo(
        slug=slug,
        tenant_id=decode_public_id("ten", data["tenant"]["id"]),
        public_id=data["tenant"]["id"],
        client_id=data["client"]["client_id"],
        client_secret=data["client"]["client_secret"],
        owner_email=body["owner_email"],
        owner_password=body["owner_password"],
        signup=data,
    )


def issue_token(client: FlaskClient, tenant: TenantInfo, scopes: list[str] | None = None) -> str:
    """A client-credentials access token for ``tenant`` (every scope of its client by default)."""
    basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
    form = {"grant_type": "client_credentials"}
    form["scope"] = " ".join(scopes if scopes is not None else tenant.signup["client"]["scopes"])
    resp = client.post("/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return str(resp.get_json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_tenant(client: FlaskClient) -> Callable[..., TenantInfo]:
    return lambda **overrides: signup(client, **overrides)


@pytest.fixture
def tenant(make_tenant: Callable[..., TenantInfo]) -> TenantInfo:
    return make_tenant()


@pytest.fixture
def token(client: FlaskClient, tenant: TenantInfo) -> str:
    return issue_token(client, tenant)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app behind a real threaded WSGI server on loopback, for independent HTTP clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
