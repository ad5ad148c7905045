"""Bearer tokens: the tenant comes from the verified token and nothing else."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token


def test_no_token_is_401_with_a_challenge(client: FlaskClient) -> None:
    resp = client.get("/api/v1/tenant")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_and_tampered_tokens_are_401(client: FlaskClient, token: str) -> None:
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    for value in ("Basic Zm9vOmJhcg==", "Bearer", "Bearer not-a-jwt", f"Bearer {tampered}"):
        resp = client.get("/api/v1/tenant", headers={"Authorization": value})
        assert resp.status_code == 401, value
        assert resp.get_json()["type"].endswith("invalid-token")
        assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_a_token_lacking_the_scope_is_403(client: FlaskClient, tenant: TenantInfo) -> None:
    narrow = issue_token(client, tenant, ["tenant:read"])
    assert client.get("/api/v1/tenant", headers=bearer(narrow)).status_code == 200
    resp = client.get("/api/v1/members", headers=bearer(narrow))
    assert resp.status_code == 403
    assert resp.get_json()["type"].endswith("insufficient-scope")
    assert 'scope="members:read"' in resp.headers["WWW-Authenticate"]


def test_the_tenant_comes_from_the_token_not_the_request(
    client: FlaskClient, make_tenant: Callable[..., TenantInfo]
) -> None:
    a, b = make_tenant(), make_tenant()
    token_b = issue_token(client, b)
    resp = client.get(
        f"/api/v1/tenant?tenant_id={a.public_id}",
        headers={**bearer(token_b), "X-Tenant-Id": a.public_id, "Host": f"{a.slug}.example"},
    )
    assert resp.status_code == 200
    assert resp.get_json()["id"] == b.public_id


def test_a_deleted_tenants_token_stops_working(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    resp = client.delete(f"/api/v1/tenant?confirm={tenant.slug}", headers=bearer(token))
    assert resp.status_code == 204
    again = client.get("/api/v1/tenant", headers=bearer(token))
    assert again.status_code == 401
