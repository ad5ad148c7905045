"""``/api/v1/clients``: tenant admins manage their applications; other tenants see nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token, signup

CC_APP = {"name": "Order sync", "scopes": ["tenant:read"], "grant_types": ["client_credentials"]}


def _create(client: FlaskClient, token: str, **body: Any) -> Any:
    return client.post("/api/v1/clients", json={**CC_APP, **body}, headers=bearer(token))


def _cc_token(client: FlaskClient, client_id: str, secret: str, scope: str = "") -> Any:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return client.post("/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"})


def test_an_admin_registers_an_app_and_sees_its_secret_once(client: FlaskClient, token: str) -> None:
    resp = _create(client, token, role="supervisor")
    assert resp.status_code == 201, resp.get_json()
    app = resp.get_json()
    assert app["client_id"].startswith("cli_")
    assert app["client_secret"]
    assert app["role"] == "supervisor"
    assert app["confidential"] is True

    shown = client.get(f"/api/v1/clients/{app['client_id']}", headers=bearer(token)).get_json()
    assert "client_secret" not in shown
    listed = client.get("/api/v1/clients", headers=bearer(token)).get_json()
    assert app["client_id"] in [c["client_id"] for c in listed["items"]]
    assert all("client_secret" not in c for c in listed["items"])

    issued = _cc_token(client, app["client_id"], app["client_secret"])
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["scope"] == "tenant:read"


def test_the_list_pages_with_a_cursor(client: FlaskClient, token: str) -> None:
    for n in range(3):
        assert _create(client, token, name=f"app {n}").status_code == 201
    first = client.get("/api/v1/clients?limit=2", headers=bearer(token)).get_json()
    assert len(first["items"]) == 2
    second = client.get(f"/api/v1/clients?limit=2&cursor={first['next_cursor']}", headers=bearer(token)).get_json()
    ids = [c["client_id"] for c in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 4  # the sign-up client and three more
    assert second["next_cursor"] is None
    assert client.get("/api/v1/clients?cursor=%%%", headers=bearer(token)).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["nope:read"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"grant_types": ["password"]}, "grant_types"),
        ({"confidential": False}, "grant_types"),  # a public client cannot use client_credentials
        ({"grant_types": ["authorization_code"]}, "redirect_uris"),
        ({"redirect_uris": ["ftp://x.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://x.example/cb#frag"]}, "redirect_uris"),
        ({"role": "owner"}, "role"),
        ({"scopes": ["tenant:admin"], "role": "agent"}, "scopes"),  # an agent's token cannot hold it
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_malformed_apps_are_422_with_the_field(client: FlaskClient, token: str, body: dict[str, Any],
                                               field: str) -> None:
    resp = _create(client, token, **body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert field in resp.get_json()["errors"]


def test_reading_needs_tenant_read_and_writing_tenant_admin(client: FlaskClient, tenant: TenantInfo) -> None:
    reader = issue_token(client, tenant, ["tenant:read"])
    assert client.get("/api/v1/clients", headers=bearer(reader)).status_code == 200
    resp = _create(client, reader)
    assert resp.status_code == 403
    assert resp.get_json()["type"].endswith("insufficient-scope")
    assert client.get("/api/v1/clients").status_code == 401


def test_patch_changes_name_redirects_and_scopes(client: FlaskClient, token: str) -> None:
    app = _create(client, token, confidential=False, grant_types=["authorization_code", "refresh_token"],
                  redirect_uris=["https://a.example/cb"]).get_json()
    url = f"/api/v1/clients/{app['client_id']}"
    resp = client.patch(url, json={"name": "Renamed", "redirect_uris": ["https://b.example/cb"],
                                   "scopes": ["tenant:read", "members:read"]}, headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["name"], body["redirect_uris"], body["scopes"]) == (
        "Renamed", ["https://b.example/cb"], ["tenant:read", "members:read"])
    assert client.patch(url, json={"redirect_uris": []}, headers=bearer(token)).status_code == 422
    assert client.patch(url, json={"scopes": ["nope"]}, headers=bearer(token)).status_code == 422
    assert client.patch(url, json={"client_secret": "x"}, headers=bearer(token)).status_code == 422


def test_rotating_the_secret_retires_the_old_one(client: FlaskClient, token: str) -> None:
    app = _create(client, token).get_json()
    resp = client.post(f"/api/v1/clients/{app['client_id']}/rotate-secret", headers=bearer(token))
    assert resp.status_code == 200
    new_secret = resp.get_json()["client_secret"]
    assert new_secret
    assert new_secret != app["client_secret"]
    assert _cc_token(client, app["client_id"], app["client_secret"]).status_code == 401
    assert _cc_token(client, app["client_id"], new_secret).status_code == 200

    public = _create(client, token, confidential=False, grant_types=["authorization_code"],
                     redirect_uris=["https://a.example/cb"]).get_json()
    assert public["client_secret"] is None
    resp = client.post(f"/api/v1/clients/{public['client_id']}/rotate-secret", headers=bearer(token))
    assert resp.status_code == 409


def test_deleting_an_app_stops_its_secret_and_its_tokens(client: FlaskClient, token: str) -> None:
    app = _create(client, token).get_json()
    app_token = _cc_token(client, app["client_id"], app["client_secret"]).get_json()["access_token"]
    assert client.get("/api/v1/tenant", headers=bearer(app_token)).status_code == 200
    url = f"/api/v1/clients/{app['client_id']}"
    assert client.delete(url, headers=bearer(token)).status_code == 204
    assert client.get(url, headers=bearer(token)).status_code == 404
    assert client.delete(url, headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/tenant", headers=bearer(app_token)).status_code == 401
    denied = _cc_token(client, app["client_id"], app["client_secret"])
    assert denied.status_code == 401
    assert denied.get_json()["error"] == "invalid_client"


def test_another_tenants_app_is_404_everywhere(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    other = signup(client)
    other_token = issue_token(client, other)
    url = f"/api/v1/clients/{tenant.client_id}"
    for method, path in (("get", url), ("patch", url), ("delete", url), ("post", url + "/rotate-secret")):
        resp = getattr(client, method)(path, json={} if method != "get" else None, headers=bearer(other_token))
        assert resp.status_code == 404, (method, resp.get_json())
        assert resp.mimetype == "application/problem+json"
    assert client.get(url, headers=bearer(token)).status_code == 200
    # Malformed ids are 404 too, not 500 or 422.
    for bad in ("cli_x", "nope", "cli_" + "Z" * 26, "qr_01M831NRXTEVEAJVVH81PX3RWJ"):
        assert client.get(f"/api/v1/clients/{bad}", headers=bearer(token)).status_code == 404
