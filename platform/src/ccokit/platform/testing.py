"""The harness behind ``ccokit_sdk.testing``: real apps and tenants for plugin authors' tests.

Declared in the ``ccokit.testing`` entry point so that the SDK's pytest plugin can use it without
importing the platform. Everything goes through the public HTTP API (sign-up, the token
endpoint, the plugins API), as a plugin's users would.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from pathlib import Path

from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import load_settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.migrate import migrate
from ccokit_sdk.testing import TenantCredentials

__all__ = ["Harness"]


class Harness:
    """Builds migrated apps on SQLite (or the database given) and signs tenants up."""

    def make_app(self, workdir: Path, database_url: str | None = None) -> Flask:
        env = {
            "CCOKIT_ENV": "test",
            "CCOKIT_SECRET_KEY": secrets.token_urlsafe(32),
            "CCOKIT_DATABASE_URL": database_url or f"sqlite:///{workdir / 'ccokit.db'}",
            "CCOKIT_STORAGE_URL": f"file://{workdir / 'blobs'}",
            "CCOKIT_BASE_URL": "http://localhost",
            "CCOKIT_SIGNUP_RATE_LIMIT": "100000 per minute",
            "CCOKIT_TOKEN_RATE_LIMIT": "100000 per minute",
            "CCOKIT_SIGNIN_RATE_LIMIT": "100000 per minute",
        }
        settings = load_settings(env)
        migrate(settings)
        app = create_app(settings)
        app.config["TESTING"] = True
        return app

    def signup(self, app: Flask, plugins: Sequence[str] | None = None) -> TenantCredentials:
        client = app.test_client()
        slug = f"test-{uuid.uuid4().hex[:12]}"
        resp = client.post("/api/v1/signup", json={
            "name": f"Test shop {slug}",
            "slug": slug,
            "owner_email": f"owner@{slug}.example",
            "owner_password": secrets.token_urlsafe(16),
        })
        if resp.status_code != 201:
            raise RuntimeError(f"sign-up failed: {resp.status_code} {resp.get_data(as_text=True)}")
        data = resp.get_json()
        tenant = TenantCredentials(
            slug=slug,
            tenant_id=data["tenant"]["id"],
            client_id=data["client"]["client_id"],
            client_secret=data["client"]["client_secret"],
            scopes=tuple(data["client"]["scopes"]),
        )
        installed = list(current_kernel(app).plugins.plugins)
        wanted = installed if plugins is None else list(plugins)
        admin = {"Authorization": f"Bearer {self.token(app, tenant, ['tenant:admin'])}"}
        for name in installed:
            action = "enable" if name in wanted else "disable"
            resp = client.post(f"/api/v1/plugins/{name}/{action}", headers=admin)
            if resp.status_code != 200:
                raise RuntimeError(f"cannot {action} plugin {name}: {resp.get_data(as_text=True)}")
        return tenant

    def token(self, app: Flask, tenant: TenantCredentials, scopes: Sequence[str] | None = None) -> str:
        basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
        resp = app.test_client().post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": " ".join(scopes or tenant.scopes)},
            headers={"Authorization": f"Basic {basic}"},
        )
        if resp.status_code != 200:
            raise RuntimeError(f"token request failed: {resp.get_data(as_text=True)}")
        return str(resp.get_json()["access_token"])

    def close(self, app: Flask) -> None:
        current_kernel(app).db.dispose()
