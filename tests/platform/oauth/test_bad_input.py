"""No input makes the OAuth server answer 500: odd characters, NUL bytes, wrong types, huge values.

authlib quotes some parameters in its error descriptions and refuses (raises) on characters
RFC 6749 does not allow there; PostgreSQL refuses NUL in text; ``hmac.compare_digest`` refuses
non-ASCII strings. Each of those once turned a bad request into a 500.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer
from tests.platform.oauth.conftest import App

ODD = ['"', "\\", "é", "\x00", "\n", 'a"b', "💥", "x" * 3000]


def _basic(tenant: TenantInfo) -> dict[str, str]:
    pair = f"{tenant.client_id}:{tenant.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


@pytest.mark.parametrize("odd", ODD)
def test_the_authorization_endpoint(client: FlaskClient, register_app: Callable[..., App], odd: str) -> None:
    app = register_app()
    base = {"client_id": app.client_id, "response_type": "code", "redirect_uri": app.redirect_uri,
            "scope": "tenant:read", "code_challenge": "a" * 50, "code_challenge_method": "S256"}
    for name in (*base, "state"):
        resp = client.get("/oauth/authorize", query_string={**base, name: odd})
        assert resp.status_code < 500, (name, resp.status_code)

    page = client.get("/oauth/authorize", query_string=base).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    forms: list[dict[str, Any]] = [
        {"action": "sign_in", "workspace": odd, "email": "a@b.example", "password": "p"},
        {"action": "sign_in", "workspace": "shop", "email": odd, "password": "p"},
        {"action": "sign_in", "workspace": "shop", "email": "a@b.example", "password": odd},
        {"action": odd},
        {},
    ]
    for form in forms:
        resp = client.post("/oauth/authorize", query_string=base, data={"csrf_token": match.group(1), **form})
        assert resp.status_code < 500, (form, resp.status_code)
    resp = client.post("/oauth/authorize", query_string=base, data={"csrf_token": odd, "action": "allow"})
    assert resp.status_code == 400


@pytest.mark.parametrize("odd", ODD)
def test_the_token_revocation_and_introspection_endpoints(
    client: FlaskClient, tenant: TenantInfo, register_app: Callable[..., App], odd: str
) -> None:
    app = register_app()
    forms: list[dict[str, str]] = [
        {"grant_type": odd},
        {"grant_type": "client_credentials", "scope": odd},
        {"grant_type": "authorization_code", "code": odd, "code_verifier": odd, "redirect_uri": odd},
        {"grant_type": "refresh_token", "refresh_token": odd, "scope": odd},
    ]
    for form in forms:
        for extra, headers in (({}, _basic(tenant)), ({"client_id": app.client_id}, {}), ({"client_id": odd}, {})):
            resp = client.post("/oauth/token", data={**form, **extra}, headers=headers)
            assert resp.status_code < 500, (form, extra, resp.status_code)
            assert "error" in resp.get_json()
    for endpoint in ("/oauth/revoke", "/oauth/introspect"):
        for form in ({"token": odd}, {"token": "x", "token_type_hint": odd}, {}):
            resp = client.post(endpoint, data=form, headers=_basic(tenant))
            assert resp.status_code < 500, (endpoint, form, resp.status_code)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a\x00b", "scopes": ["tenant:read"]},
        {"name": 5, "scopes": ["tenant:read"]},
        {"name": "x", "scopes": "tenant:read"},
        {"name": "x", "scopes": ["tenant:read"], "redirect_uris": ["https://a.example/\x00"]},
        {"name": "x", "scopes": ["tenant:read"], "confidential": "maybe"},
        {"name": "x", "scopes": [None]},
        ["not", "an", "object"],
    ],
)
def test_the_clients_api(client: FlaskClient, token: str, body: Any) -> None:
    resp = client.post("/api/v1/clients", json=body, headers=bearer(token))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
