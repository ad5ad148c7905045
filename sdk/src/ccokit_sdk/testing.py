"""pytest fixtures for plugin authors, shipped as the ``ccokit`` pytest plugin (``pytest11``).

Install your plugin and ``ccokit-platform`` in a virtual environment, and these fixtures give
each test a real platform app (migrated, SQLite under the test's temporary directory unless
``CCOKIT_TEST_DATABASE_URL`` names a database), a freshly signed-up tenant with every installed
plugin enabled (yours included, found through its entry point like in production), and a test
client that sends that tenant's access token:

.. code-block:: python

    def test_lists_my_things(ccokit_client):
        assert ccokit_client.get("/api/v1/my_plugin/things").status_code == 200

The SDK does not import the platform (plugins depend only on the SDK); the platform offers the
harness behind these fixtures through the ``ccokit.testing`` entry point instead.

Fixtures: ``ccokit_harness``, ``ccokit_app``, ``ccokit_tenant``, ``ccokit_token``,
``ccokit_client`` and ``ccokit_plugins`` (override it to choose what gets enabled).

:class:`AsyncWSGITransport` runs a WSGI app in-process for :class:`ccokit_sdk.AsyncClient`, as
``httpx.WSGITransport`` does for :class:`ccokit_sdk.Client`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

import anyio.to_thread
import httpx
import pytest

__all__ = [
    "HARNESS_GROUP",
    "AsyncWSGITransport",
    "AuthorizedClient",
    "Harness",
    "TenantCredentials",
    "load_harness",
]

HARNESS_GROUP = "ccokit.testing"


@dataclass(frozen=True)
class TenantCredentials:
    """A tenant made for one test: its slug, ids and the API client created at sign-up."""

    slug: str
    tenant_id: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


class Harness(Protocol):
    """What the platform provides to build apps and tenants for plugin tests."""

    def make_app(self, workdir: Path, database_url: str | None = None) -> Any:
        """A migrated Flask app of the platform, with every installed plugin."""

    def signup(self, app: Any, plugins: Sequence[str] | None = None) -> TenantCredentials:
        """Sign a fresh tenant up; enable ``plugins`` (default: every installed plugin)."""

    def token(self, app: Any, tenant: TenantCredentials, scopes: Sequence[str] | None = None) -> str:
        """A client-credentials access token of ``tenant`` (default: every scope)."""

    def close(self, app: Any) -> None:
        """Release what ``make_app`` opened."""


def load_harness() -> Harness:
    """The harness the installed platform declares in the ``ccokit.testing`` entry point."""
    found = list(entry_points(group=HARNESS_GROUP))
    if not found:
        raise RuntimeError("no ccokit platform is installed: `pip install ccokit-platform` for plugin tests")
    factory = found[0].load()
    return factory()  # type: ignore[no-any-return]


class AuthorizedClient:
    """A Flask test client that sends a bearer token with every request."""

    def __init__(self, client: Any, token: str) -> None:
        self._client = client
        self.token = token

    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return self._client.open(*args, headers=headers, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Any:
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> Any:
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self.open(*args, method="DELETE", **kwargs)


class AsyncWSGITransport(httpx.AsyncBaseTransport):
    """Serve an :class:`httpx.AsyncClient` from a WSGI app (a Flask app) in the same process.

    httpx has no asynchronous WSGI transport; this one runs each call of the (blocking) app in a
    worker thread through anyio, so the event loop keeps running while the app works.
    """

    def __init__(self, app: Any, **wsgi_options: Any) -> None:
        self._wsgi = httpx.WSGITransport(app=app, **wsgi_options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()  # the WSGI side reads the body synchronously

        def call() -> httpx.Response:
            response = self._wsgi.handle_request(request)
            response.read()
            return response

        answered = await anyio.to_thread.run_sync(call)
        return httpx.Response(answered.status_code, headers=answered.headers, content=answered.content)


@pytest.fixture(scope="session")
def ccokit_harness() -> Harness:
    return load_harness()


@pytest.fixture
def ccokit_plugins() -> Sequence[str] | None:
    """Names of the plugins to enable for ``ccokit_tenant``; ``None`` enables every installed one."""
    return None


@pytest.fixture
def ccokit_app(ccokit_harness: Harness, tmp_path: Path) -> Iterator[Any]:
    import os

    app = ccokit_harness.make_app(tmp_path, os.environ.get("CCOKIT_TEST_DATABASE_URL") or None)
    try:
        yield app
    finally:
        ccokit_harness.close(app)


@pytest.fixture
def ccokit_tenant(
    ccokit_harness: Harness, ccokit_app: Any, ccokit_plugins: Sequence[str] | None
) -> TenantCredentials:
    return ccokit_harness.signup(ccokit_app, ccokit_plugins)


@pytest.fixture
def ccokit_token(ccokit_harness: Harness, ccokit_app: Any, ccokit_tenant: TenantCredentials) -> str:
    return ccokit_harness.token(ccokit_app, ccokit_tenant)


@pytest.fixture
def ccokit_client(ccokit_app: Any, ccokit_token: str) -> AuthorizedClient:
    return AuthorizedClient(ccokit_app.test_client(), ccokit_token)
