"""A member's own token acts for that member in routing: an agent who signed in through the
code flow takes the offer ringing them without naming themselves, and may not act for another
agent without ``routing:write``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from tests.conftest import LiveServer, TenantInfo, bearer
from tests.platform.oauth.agent_browser import AgentBrowser
from tests.platform.oauth.conftest import Agent, App
from tests.platform.oauth.test_code_flow import _code_flow

API = "/api/v1/routing"


@pytest.fixture
def browser() -> Iterator[AgentBrowser]:
    b = AgentBrowser()
    yield b
    b.close()


def _member_id(client: FlaskClient, token: str, email: str) -> str:
    members = client.get("/api/v1/members?limit=100", headers=bearer(token)).get_json()["items"]
    return str(next(m["id"] for m in members if m["email"] == email))


def test_an_agent_acts_as_themselves_and_not_for_another(
    live_server: LiveServer,
    browser: AgentBrowser,
    register_app: Callable[..., App],
    add_member: Callable[[str], Agent],
    client: FlaskClient,
    token: str,
    tenant: TenantInfo,
) -> None:
    admin = bearer(token)
    meta = requests.get(f"{live_server.url}/.well-known/oauth-authorization-server", timeout=10).json()
    me, colleague = add_member("agent"), add_member("agent")
    ids = {who.email: _member_id(client, token, who.email) for who in (me, colleague)}
    queue = client.post(f"{API}/queues", json={"name": "Chat"}, headers=admin).get_json()
    for member_id in ids.values():
        assert client.post(f"{API}/agents", json={"id": member_id}, headers=admin).status_code == 201
    app = register_app(scopes=["routing:agent", "routing:read"])
    _, mine = _code_flow(meta, browser, app, tenant, me, ["routing:agent", "routing:read"])
    headers = {"Authorization": f"Bearer {mine['access_token']}"}

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(method, f"{live_server.url}{API}{path}", json=body, headers=headers, timeout=10)

    assert call("PUT", f"/agents/{ids[me.email]}/presence", {"presence": "online"}).status_code == 200
    # Setting a colleague's presence is a supervisor's business.
    assert call("PUT", f"/agents/{ids[colleague.email]}/presence", {"presence": "online"}).status_code == 403
    conv = client.post(f"{API}/conversations", json={"queue_id": queue["id"], "channel": "chat"},
                       headers=admin).get_json()
    assert (conv["state"], conv["agent_id"]) == ("offered", ids[me.email])
    on_behalf = call("POST", f"/conversations/{conv['id']}/accept", {"agent_id": ids[colleague.email]})
    assert on_behalf.status_code == 403
    taken = call("POST", f"/conversations/{conv['id']}/accept", {})
    assert taken.status_code == 200, taken.text
    assert (taken.json()["state"], taken.json()["agent_id"]) == ("assigned", ids[me.email])
    work = call("GET", f"/agents/{ids[me.email]}/work").json()
    assert [c["id"] for c in work["holding"]] == [conv["id"]]
