"""The sign-in and consent pages: languages, CSRF, framing, wrong workspaces and suspensions."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlencode

from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, signup
from tests.platform.oauth.conftest import Agent, App

VERIFIER = "correct-horse-battery-staple-verifier-0123456789"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _url(app: App, scope: str = "tenant:read") -> str:
    return "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
        "scope": scope, "state": "xyz", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
    })


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _sign_in(client: FlaskClient, url: str, workspace: str, who: Agent, **headers: str) -> tuple[int, str]:
    page = client.get(url, headers=headers)
    resp = client.post(url, data={"csrf_token": _csrf(page.get_data(as_text=True)), "action": "sign_in",
                                  "workspace": workspace, "email": who.email, "password": who.password},
                       headers=headers, follow_redirects=True)
    return resp.status_code, resp.get_data(as_text=True)


def test_the_pages_speak_english_and_chinese(
    client: FlaskClient, register_app: Callable[..., App], tenant: TenantInfo, agent: Agent
) -> None:
    app = register_app(name="客服助手 <b>bold</b>")
    english = client.get(_url(app))
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    assert "Sign in" in text
    assert "Workspace" in text
    assert 'lang="en"' in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert "<b>bold</b>" not in text

    chinese = client.get(_url(app), headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    text = chinese.get_data(as_text=True)
    assert "登录" in text
    assert "商家空间" in text
    assert 'lang="zh-CN"' in text

    status, consent = _sign_in(client, _url(app), tenant.slug, agent, **{"Accept-Language": "zh-CN"})
    assert status == 200
    assert "允许" in consent
    assert "拒绝" in consent
    assert "查看商家空间" in consent
    assert f"当前登录：{agent.email}" in consent


def test_pages_cannot_be_framed_or_cached(client: FlaskClient, register_app: Callable[..., App]) -> None:
    resp = client.get(_url(register_app()))
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_bad_requests_get_an_error_page_not_a_redirect(
    client: FlaskClient, register_app: Callable[..., App]
) -> None:
    app = register_app()
    for query in ("", "client_id=cli_01M831NRXTEVEAJVVH81PX3RWJ", "client_id=nope",
                  f"client_id={app.client_id}&response_type=code&redirect_uri=https://evil.example/cb"):
        resp = client.get(f"/oauth/authorize?{query}")
        assert resp.status_code == 400, query
        assert "Location" not in resp.headers
        assert resp.mimetype == "text/html"
    # A verified redirect URI gets the error instead: here an unsupported response type.
    resp = client.get(f"/oauth/authorize?client_id={app.client_id}&response_type=token&state=s")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(app.redirect_uri + "?error=unsupported_response_type")


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, register_app: Callable[..., App], tenant: TenantInfo, agent: Agent
) -> None:
    url = _url(register_app())
    client.get(url)
    resp = client.post(url, data={"action": "sign_in", "workspace": tenant.slug, "email": agent.email,
                                  "password": agent.password})
    assert resp.status_code == 400
    assert "The form expired" in resp.get_data(as_text=True)


def test_wrong_credentials_and_other_workspaces_are_refused(
    client: FlaskClient, register_app: Callable[..., App], tenant: TenantInfo, agent: Agent
) -> None:
    url = _url(register_app())
    status, page = _sign_in(client, url, tenant.slug, Agent(agent.email, "not the password"))
    assert status == 401
    assert "Wrong workspace, email or password" in page
    status, page = _sign_in(client, url, "no-such-workspace", agent)
    assert status == 401
    other = signup(client)
    status, page = _sign_in(client, url, other.slug, Agent(other.owner_email, other.owner_password))
    assert status == 401
    assert "This application belongs to another workspace." in page


def test_sign_out_and_disabled_members(
    client: FlaskClient, register_app: Callable[..., App], tenant: TenantInfo, agent: Agent, token: str
) -> None:
    url = _url(register_app())
    status, consent = _sign_in(client, url, tenant.slug, agent)
    assert status == 200
    assert "Signed in as" in consent
    out = client.post(url, data={"csrf_token": _csrf(consent), "action": "sign_out"}, follow_redirects=True)
    assert "Signed in as" not in out.get_data(as_text=True)
    assert 'name="password"' in out.get_data(as_text=True)

    status, consent = _sign_in(client, url, tenant.slug, agent)
    assert status == 200
    members = client.get("/api/v1/members", headers=bearer(token)).get_json()["items"]
    member_id = next(m["id"] for m in members if m["email"] == agent.email)
    assert client.delete(f"/api/v1/members/{member_id}", headers=bearer(token)).status_code == 204
    again = client.get(url).get_data(as_text=True)
    assert 'name="password"' in again
    assert "Signed in as" not in again


def test_a_suspended_workspace_gets_no_page_and_no_token(
    client: FlaskClient, register_app: Callable[..., App], tenant: TenantInfo, token: str
) -> None:
    url = _url(register_app())
    assert client.post("/api/v1/tenant/suspend", headers=bearer(token)).status_code == 200
    assert client.get(url).status_code == 403
    basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": f"Basic {basic}"})
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "invalid_client"
