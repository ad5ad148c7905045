"""The authorization code flow with PKCE, end to end over HTTP with an independent client.

requests-oauthlib plays the application (discovery, PKCE S256, code exchange, refresh) and
:class:`AgentBrowser` plays the agent's browser on the sign-in and consent pages, both against
the app served on a real socket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from requests_oauthlib import OAuth2Session

from tests.conftest import LiveServer, TenantInfo
from tests.platform.oauth.agent_browser import AgentBrowser
from tests.platform.oauth.conftest import Agent, App


@pytest.fixture
def meta(live_server: LiveServer) -> dict[str, Any]:
    resp = requests.get(f"{live_server.url}/.well-known/oauth-authorization-server", timeout=10)
    assert resp.status_code == 200
    return dict(resp.json())


@pytest.fixture
def browser() -> Iterator[AgentBrowser]:
    b = AgentBrowser()
    yield b
    b.close()


def _claims(meta: dict[str, Any], access_token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    return dict(jwt.decode(access_token, keys, algorithms=["RS256"]).claims)


def _api(live_server: LiveServer, access_token: str, path: str = "/api/v1/tenant") -> requests.Response:
    return requests.get(f"{live_server.url}{path}", headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


def _code_flow(
    meta: dict[str, Any],
    browser: AgentBrowser,
    app: App,
    tenant: TenantInfo,
    who: Agent,
    scope: list[str],
) -> tuple[OAuth2Session, dict[str, Any]]:
    oauth = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=scope, pkce="S256")
    url, state = oauth.authorization_url(meta["authorization_endpoint"])
    back = browser.authorize(url, workspace=tenant.slug, email=who.email, password=who.password)
    assert back.params["state"] == state
    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=back.location,
        include_client_id=True,
        client_secret=app.client_secret,
    )
    return oauth, dict(token)


def test_the_metadata_document_describes_the_server(live_server: LiveServer, meta: dict[str, Any]) -> None:
    assert meta["issuer"] == live_server.url
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint",
                 "introspection_endpoint"):
        assert meta[name].startswith(live_server.url + "/oauth/"), name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert {"tenant:read", "tenant:admin", "quick_replies:read"} <= set(meta["scopes_supported"])
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]


def test_an_agent_authorizes_a_public_app_with_pkce(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    agent: Agent,
    live_server: LiveServer,
) -> None:
    app = register_app(confidential=False)
    _, token = _code_flow(meta, browser, app, tenant, agent, ["tenant:read", "members:read"])
    assert token["token_type"] == "Bearer"
    assert token["refresh_token"]
    assert 0 < token["expires_in"] <= 900
    claims = _claims(meta, token["access_token"])
    assert claims["tenant_id"] == str(tenant.tenant_id)
    assert claims["client_id"] == app.client_id
    assert claims["role"] == "agent"
    assert claims["member_id"]
    assert claims["sub"].startswith("mem_")
    assert claims["scope"] == "tenant:read members:read"
    assert _api(live_server, token["access_token"]).json()["slug"] == tenant.slug


def test_a_confidential_app_authenticates_and_still_needs_pkce(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    agent: Agent,
) -> None:
    app = register_app(confidential=True)
    assert app.client_secret
    _, token = _code_flow(meta, browser, app, tenant, agent, ["tenant:read"])
    assert _claims(meta, token["access_token"])["client_id"] == app.client_id

    # The same app without PKCE, and with plain PKCE, is sent back with invalid_request.
    verifier = "v" * 50
    base = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
            "scope": "tenant:read", "state": "s1"}
    for extra in ({}, {"code_challenge": verifier, "code_challenge_method": "plain"},
                  {"code_challenge": verifier}):
        resp = browser.http.get(meta["authorization_endpoint"], params={**base, **extra}, allow_redirects=False)
        assert resp.status_code == 302, (extra, resp.text)
        assert resp.headers["Location"].startswith(app.redirect_uri)
        assert "error=invalid_request" in resp.headers["Location"]
        assert "state=s1" in resp.headers["Location"]


def test_a_wrong_code_verifier_is_refused(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    agent: Agent,
) -> None:
    app = register_app()
    oauth = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=["tenant:read"], pkce="S256")
    url, _ = oauth.authorization_url(meta["authorization_endpoint"])
    back = browser.authorize(url, workspace=tenant.slug, email=agent.email, password=agent.password)
    resp = requests.post(meta["token_endpoint"], data={
        "grant_type": "authorization_code", "code": back.params["code"], "client_id": app.client_id,
        "redirect_uri": app.redirect_uri, "code_verifier": "w" * 50,
    }, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"


def test_a_redirect_uri_that_is_not_registered_is_refused_without_redirecting(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App]
) -> None:
    app = register_app()
    for uri in ("https://evil.example/callback", app.redirect_uri + "/more", app.redirect_uri + "?x=1"):
        oauth = OAuth2Session(app.client_id, redirect_uri=uri, scope=["tenant:read"], pkce="S256")
        url, _ = oauth.authorization_url(meta["authorization_endpoint"])
        resp = browser.open(url)
        assert resp.status_code == 400, uri
        assert "Location" not in resp.headers


def test_refresh_tokens_rotate_and_a_replay_revokes_the_family(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    agent: Agent,
    live_server: LiveServer,
) -> None:
    app = register_app()
    oauth, first = _code_flow(meta, browser, app, tenant, agent, ["tenant:read"])
    second = oauth.refresh_token(meta["token_endpoint"], refresh_token=first["refresh_token"], client_id=app.client_id)
    assert second["refresh_token"] != first["refresh_token"]
    assert _api(live_server, second["access_token"]).status_code == 200

    def refresh(value: str) -> requests.Response:
        return requests.post(meta["token_endpoint"], data={
            "grant_type": "refresh_token", "refresh_token": value, "client_id": app.client_id,
        }, timeout=10)

    replay = refresh(first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The replay revoked the whole family: the rotated token and the access token issued with it.
    assert refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    assert _api(live_server, second["access_token"]).status_code == 401


def test_a_member_of_role_agent_cannot_grant_tenant_admin(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    agent: Agent,
    live_server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")  # the granted scope is narrower on purpose
    app = register_app()
    _, token = _code_flow(meta, browser, app, tenant, agent, ["tenant:read", "tenant:admin"])
    # The consent page listed tenant:admin as left out.
    assert "Your role cannot grant these" in browser.last_page
    assert "tenant:admin" in browser.last_page
    assert token["scope"] == ["tenant:read"]
    assert _claims(meta, token["access_token"])["scope"] == "tenant:read"
    create = requests.post(
        f"{live_server.url}/api/v1/clients",
        json={"name": "escalated", "scopes": ["tenant:admin"], "role": "admin"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert create.status_code == 403

    # Asking for tenant:admin alone leaves nothing to allow: the page offers only Deny.
    oauth = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=["tenant:admin"], pkce="S256")
    url, _ = oauth.authorization_url(meta["authorization_endpoint"])
    page = browser.open(url)
    assert page.status_code == 200
    assert 'value="allow"' not in page.text
    forced = browser.http.post(url, data={"csrf_token": _csrf(page.text), "action": "allow"}, allow_redirects=False)
    assert forced.status_code == 302
    assert "error=invalid_scope" in forced.headers["Location"]


def test_an_admin_may_grant_tenant_admin(
    meta: dict[str, Any],
    browser: AgentBrowser,
    register_app: Callable[..., App],
    tenant: TenantInfo,
    admin: Agent,
) -> None:
    app = register_app()
    _, token = _code_flow(meta, browser, app, tenant, admin, ["tenant:read", "tenant:admin"])
    claims = _claims(meta, token["access_token"])
    assert claims["scope"] == "tenant:read tenant:admin"
    assert claims["role"] == "admin"


def test_denying_sends_access_denied(
    meta: dict[str, Any], browser: AgentBrowser, register_app: Callable[..., App], tenant: TenantInfo, agent: Agent
) -> None:
    app = register_app()
    oauth = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=["tenant:read"], pkce="S256")
    url, state = oauth.authorization_url(meta["authorization_endpoint"])
    browser.sign_in(url, workspace=tenant.slug, email=agent.email, password=agent.password)
    back = browser.decide(url, "deny")
    assert back.params["error"] == "access_denied"
    assert back.params["state"] == state
    assert "code" not in back.params


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
