"""Helpers of the customers tests: an API caller for one tenant, its outbox and its rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.kernel import current_kernel
from tests.conftest import TenantInfo, bearer, issue_token, signup

BASE = "/api/v1/customers"


@dataclass
class Api:
    """Calls the customers API as one tenant (every scope of its sign-up client by default)."""

    app: Flask
    client: FlaskClient
    tenant: TenantInfo
    token: str
    headers: dict[str, str] = field(default_factory=dict)

    def _call(self, method: str, path: str, *, lang: str | None = None, headers: dict[str, str] | None = None,
              **kwargs: Any) -> TestResponse:
        sent = {**bearer(self.token), **self.headers, **(headers or {})}
        if lang:
            sent["Accept-Language"] = lang
        url = path if path.startswith("/api/") else BASE + path
        return getattr(self.client, method)(url, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self._call("post", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self._call("patch", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self._call("delete", path, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        resp = self.post("/customers", json=body)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return dict(resp.get_json())

    def with_scopes(self, *scopes: str) -> Api:
        return Api(self.app, self.client, self.tenant, issue_token(self.client, self.tenant, list(scopes)))

    def events(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        """The tenant's outbox, oldest first (only ``types`` when given)."""
        with self.session() as session:
            rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
            return [(r.type, dict(r.payload)) for r in rows if not types or r.type in types]

    def session(self) -> Any:
        """A transaction of this tenant on the application's role (row-level security applies)."""
        return current_kernel(self.app).db.transaction(self.tenant.tenant_id)


def make_api(app: Flask, client: FlaskClient, **signup_fields: Any) -> Api:
    tenant = signup(client, **signup_fields)
    return Api(app, client, tenant, issue_token(client, tenant))


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    return make_api(app, client)


@pytest.fixture
def other(app: Flask, client: FlaskClient) -> Api:
    """A second tenant, for isolation."""
    return make_api(app, client)
