"""Token, revocation, introspection and JWKS endpoints, over HTTP with independent clients."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from tests.conftest import LiveServer, TenantInfo, signup
from tests.platform.oauth.agent_browser import AgentBrowser
from tests.platform.oauth.conftest import Agent, App


@pytest.fixture
def meta(live_server: LiveServer) -> dict[str, Any]:
    return dict(requests.get(f"{live_server.url}/.well-known/oauth-authorization-server", timeout=10).json())


@pytest.fixture
def browser() -> Iterator[AgentBrowser]:
    b = AgentBrowser()
    yield b
    b.close()


def _client_credentials(meta: dict[str, Any], tenant: TenantInfo, scope: list[str] | None = None) -> dict[str, Any]:
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=tenant.client_id), scope=scope)
    return dict(oauth.fetch_token(meta["token_endpoint"], client_id=tenant.client_id,
                                  client_secret=tenant.client_secret, scope=scope))


def _bearer_get(live_server: LiveServer, token: str, path: str = "/api/v1/tenant") -> requests.Response:
    return requests.get(f"{live_server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _post(url: str, tenant: TenantInfo | None = None, **form: str) -> requests.Response:
    auth = (tenant.client_id, tenant.client_secret) if tenant else None
    return requests.post(url, data=form, auth=auth, timeout=10)


def _obtain_code(meta: dict[str, Any], browser: AgentBrowser, app: App, tenant: TenantInfo,
                 who: Agent) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = meta["authorization_endpoint"] + "?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
        "scope": "tenant:read", "state": "st", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    back = browser.authorize(url, workspace=tenant.slug, email=who.email, password=who.password)
    return back.params["code"], verifier


def _redeem(meta: dict[str, Any], app: App, code: str, verifier: str) -> requests.Response:
    return _post(meta["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier,
                 client_id=app.client_id, redirect_uri=app.redirect_uri)


def test_client_credentials_token_is_a_jwt_verifiable_with_the_published_keys(
    meta: dict[str, Any], tenant: TenantInfo, live_server: LiveServer
) -> None:
    token = _client_credentials(meta, tenant, ["tenant:read", "members:read"])
    assert _bearer_get(live_server, token["access_token"]).status_code == 200

    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["access_token"], keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] in {k.kid for k in keys.keys}
    claims = decoded.claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": live_server.url},
        exp={"essential": True}, iat={"essential": True}, jti={"essential": True},
    ).validate(claims)
    assert 0 < claims["exp"] - claims["iat"] <= 900
    assert claims["tenant_id"] == str(tenant.tenant_id)
    assert claims["client_id"] == tenant.client_id == claims["sub"]
    assert claims["scope"] == "tenant:read members:read"
    assert claims["role"] == "owner"
    assert claims["aud"]
    assert "member_id" not in claims


def test_a_scope_the_client_does_not_hold_is_invalid_scope(meta: dict[str, Any], tenant: TenantInfo) -> None:
    resp = _post(meta["token_endpoint"], tenant, grant_type="client_credentials", scope="tenant:read nope:x")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_scope"


def test_a_wrong_secret_or_unknown_client_is_invalid_client(meta: dict[str, Any], tenant: TenantInfo) -> None:
    cases = [
        {"auth": (tenant.client_id, "wrong-secret")},
        {"auth": ("cli_01M831NRXTEVEAJVVH81PX3RWJ", "whatever")},
        {"auth": ("not-a-client-id", "whatever")},
        {"headers": {"Authorization": "Basic %%%not-base64"}},
        {"headers": {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode()}},
    ]
    for case in cases:
        resp = requests.post(meta["token_endpoint"], data={"grant_type": "client_credentials"}, timeout=10, **case)
        assert resp.status_code == 401, (case, resp.text)
        assert resp.json()["error"] == "invalid_client"
    # Secret in the form, to a client id of nobody: still a JSON error, never a 500.
    resp = _post(meta["token_endpoint"], grant_type="client_credentials", client_id=tenant.client_id,
                 client_secret="wrong")
    assert resp.status_code in (400, 401)
    assert resp.json()["error"] == "invalid_client"


def test_malformed_token_requests_get_rfc6749_errors(meta: dict[str, Any], tenant: TenantInfo) -> None:
    url = meta["token_endpoint"]
    assert _post(url, tenant, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert _post(url, tenant).json()["error"] == "unsupported_grant_type"
    # The sign-up client has no authorization_code grant.
    assert _post(url, tenant, grant_type="authorization_code", code="x").json()["error"] == "unauthorized_client"
    resp = requests.post(url, json={"grant_type": "client_credentials"}, auth=(tenant.client_id, tenant.client_secret),
                         timeout=10)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/json")


def test_a_revoked_access_token_gets_401(meta: dict[str, Any], tenant: TenantInfo, live_server: LiveServer) -> None:
    token = _client_credentials(meta, tenant)["access_token"]
    assert _bearer_get(live_server, token).status_code == 200
    resp = _post(meta["revocation_endpoint"], tenant, token=token, token_type_hint="access_token")
    assert resp.status_code == 200
    assert _bearer_get(live_server, token).status_code == 401
    # Revoking again, or revoking garbage, is fine (RFC 7009 §2.2).
    assert _post(meta["revocation_endpoint"], tenant, token=token).status_code == 200
    assert _post(meta["revocation_endpoint"], tenant, token="garbage").status_code == 200


def test_another_tenants_client_cannot_revoke_a_token(
    meta: dict[str, Any], tenant: TenantInfo, live_server: LiveServer, client: Any
) -> None:
    other = signup(client)
    token = _client_credentials(meta, tenant)["access_token"]
    assert _post(meta["revocation_endpoint"], other, token=token).status_code == 200
    assert _bearer_get(live_server, token).status_code == 200


def test_introspection_answers_only_the_tokens_own_tenant(
    meta: dict[str, Any], tenant: TenantInfo, live_server: LiveServer, client: Any
) -> None:
    other = signup(client)
    token = _client_credentials(meta, tenant, ["tenant:read"])["access_token"]
    own = _post(meta["introspection_endpoint"], tenant, token=token).json()
    assert own["active"] is True
    assert own["tenant_id"] == str(tenant.tenant_id)
    assert own["scope"] == "tenant:read"
    assert own["client_id"] == tenant.client_id
    assert _post(meta["introspection_endpoint"], other, token=token).json() == {"active": False}
    assert _post(meta["introspection_endpoint"], tenant, token="garbage").json() == {"active": False}
    _post(meta["revocation_endpoint"], tenant, token=token)
    assert _post(meta["introspection_endpoint"], tenant, token=token).json() == {"active": False}
    # Introspection needs client authentication.
    assert _post(meta["introspection_endpoint"], token=token).status_code in (400, 401)


def test_refresh_tokens_can_be_introspected_and_revoked(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App], tenant: TenantInfo,
    agent: Agent, live_server: LiveServer,
) -> None:
    app = register_app()
    code, verifier = _obtain_code(meta, browser, app, tenant, agent)
    token = _redeem(meta, app, code, verifier).json()
    seen = _post(meta["introspection_endpoint"], tenant, token=token["refresh_token"]).json()
    assert seen["active"] is True
    assert seen["token_type"] == "refresh_token"
    assert seen["client_id"] == app.client_id
    # A public client revokes its own refresh token; the access token issued with it goes too.
    resp = _post(meta["revocation_endpoint"], token=token["refresh_token"], client_id=app.client_id)
    assert resp.status_code == 200
    assert _post(meta["introspection_endpoint"], tenant, token=token["refresh_token"]).json() == {"active": False}
    assert _bearer_get(live_server, token["access_token"]).status_code == 401
    again = _post(meta["token_endpoint"], grant_type="refresh_token", refresh_token=token["refresh_token"],
                  client_id=app.client_id)
    assert again.json()["error"] == "invalid_grant"


def test_twenty_concurrent_redemptions_of_one_code_give_exactly_one_token(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App], tenant: TenantInfo,
    agent: Agent,
) -> None:
    app = register_app()
    code, verifier = _obtain_code(meta, browser, app, tenant, agent)
    start = threading.Barrier(20)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def redeem() -> None:
        start.wait()
        resp = _redeem(meta, app, code, verifier)
        with lock:
            answers.append(resp)

    threads = [threading.Thread(target=redeem) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20
    winners = [r for r in answers if r.status_code == 200]
    assert len(winners) == 1, [r.text for r in answers]
    assert "access_token" in winners[0].json()
    for loser in answers:
        if loser is not winners[0]:
            assert loser.status_code == 400
            assert loser.json()["error"] == "invalid_grant"


def test_a_replayed_code_revokes_what_it_issued(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App], tenant: TenantInfo,
    agent: Agent, live_server: LiveServer,
) -> None:
    app = register_app()
    code, verifier = _obtain_code(meta, browser, app, tenant, agent)
    first = _redeem(meta, app, code, verifier)
    assert first.status_code == 200
    replay = _redeem(meta, app, code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    token = first.json()
    assert _bearer_get(live_server, token["access_token"]).status_code == 401
    refreshed = _post(meta["token_endpoint"], grant_type="refresh_token", refresh_token=token["refresh_token"],
                      client_id=app.client_id)
    assert refreshed.json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_client(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App], tenant: TenantInfo,
    agent: Agent,
) -> None:
    app, thief = register_app(), register_app()
    code, verifier = _obtain_code(meta, browser, app, tenant, agent)
    stolen = _post(meta["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier,
                   client_id=thief.client_id, redirect_uri=thief.redirect_uri)
    assert stolen.json()["error"] == "invalid_grant"
    assert _redeem(meta, app, code, verifier).status_code == 200
