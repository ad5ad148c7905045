"""Macros over HTTP: admins manage them, agents list, preview and apply them to tickets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token
from tests.plugins.ticketing.conftest import API, events_of

ESCALATE = {
    "title": "Escalate to after-sales",
    "actions": [
        {"action": "set", "field": "priority", "value": "urgent"},
        {"action": "set", "field": "status", "value": "pending"},
        {"action": "add_tags", "value": ["escalated"]},
        {"action": "reply", "value": "{{requester.name}}，您的工单 #{{ticket.number}} 已升级处理。"},
        {"action": "note", "value": "Escalated by macro"},
    ],
}


def _macro(client: FlaskClient, auth: dict[str, str], body: dict[str, Any] = ESCALATE) -> dict[str, Any]:
    resp = client.post(f"{API}/macros", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return dict(resp.get_json())


def test_manage_macros_needs_admin_but_agents_list_and_apply(
    client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: Callable[..., dict[str, Any]]
) -> None:
    macro = _macro(client, auth)
    assert macro["id"].startswith("mac_")
    assert macro["usage_count"] == 0
    agent = bearer(issue_token(client, tenant, ["tickets:read", "tickets:write"]))
    assert client.post(f"{API}/macros", json=ESCALATE, headers=agent).status_code == 403
    assert client.patch(f"{API}/macros/{macro['id']}", json={"title": "x"}, headers=agent).status_code == 403
    assert [m["id"] for m in client.get(f"{API}/macros", headers=agent).get_json()["items"]] == [macro["id"]]
    ticket = new_ticket()
    resp = client.post(f"{API}/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=agent)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    reader = bearer(issue_token(client, tenant, ["tickets:read"]))
    assert client.post(f"{API}/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=reader).status_code == 403


def test_apply_is_one_write_then_triggers_run_once(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo,
    new_ticket: Callable[..., dict[str, Any]],
) -> None:
    counter = {
        "title": "Count escalations",
        "conditions": {"all": [{"field": "update.via", "operator": "is", "value": "macro"}]},
        "actions": [{"action": "note", "value": "macro seen"}],
    }
    assert client.post(f"{API}/triggers", json=counter, headers=auth).status_code == 201
    macro = _macro(client, auth)
    ticket = new_ticket(requester={"name": "王芳"})
    resp = client.post(f"{API}/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=auth)
    applied = resp.get_json()
    assert (applied["priority"], applied["status"], applied["tags"]) == ("urgent", "pending", ["escalated"])

    comments = client.get(f"{API}/tickets/{ticket['id']}/comments", headers=auth).get_json()["items"]
    assert [(c["public"], c["author_kind"], c["body"]) for c in comments] == [
        (True, "agent", f"王芳，您的工单 #{ticket['number']} 已升级处理。"),
        (False, "agent", "Escalated by macro"),
        (False, "system", "macro seen"),  # the trigger ran once over the macro's whole write
    ]
    history = client.get(f"{API}/tickets/{ticket['id']}/history", headers=auth).get_json()["items"]
    assert {h["field"] for h in history if h["via"] == "macro"} >= {"priority", "status", "tags"}
    assert client.get(f"{API}/macros/{macro['id']}", headers=auth).get_json()["usage_count"] == 1
    assert len(events_of(app, tenant, "ticket.updated")) >= 1


def test_preview_shows_the_would_be_ticket_and_saves_nothing(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo,
    new_ticket: Callable[..., dict[str, Any]],
) -> None:
    macro = _macro(client, auth)
    ticket = new_ticket(requester={"name": "李雷"}, tags=["vip"])
    before = len(events_of(app, tenant))
    resp = client.post(f"{API}/tickets/{ticket['id']}/macros/{macro['id']}/preview", headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    preview = resp.get_json()
    assert preview["ticket"]["id"] == ticket["id"]
    assert (preview["ticket"]["priority"], preview["ticket"]["status"]) == ("urgent", "pending")
    assert preview["ticket"]["tags"] == ["vip", "escalated"]
    assert preview["changes"] == {"priority": "urgent", "status": "pending", "tags": ["vip", "escalated"]}
    assert preview["comments"] == [
        {"body": f"李雷，您的工单 #{ticket['number']} 已升级处理。", "public": True},
        {"body": "Escalated by macro", "public": False},
    ]
    unchanged = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert (unchanged["priority"], unchanged["status"], unchanged["version"]) == ("normal", "new", ticket["version"])
    assert unchanged["comments"] == []
    assert len(events_of(app, tenant)) == before
    assert client.get(f"{API}/macros/{macro['id']}", headers=auth).get_json()["usage_count"] == 0


def test_a_refused_macro_changes_nothing(
    client: FlaskClient, auth: dict[str, str], new_ticket: Callable[..., dict[str, Any]]
) -> None:
    close = _macro(client, auth, {"title": "Close", "actions": [
        {"action": "add_tags", "value": ["closing"]},
        {"action": "set", "field": "status", "value": "closed"},  # new -> closed is not allowed
    ]})
    ticket = new_ticket()
    resp = client.post(
        f"{API}/tickets/{ticket['id']}/macros/{close['id']}/apply", headers={**auth, "Accept-Language": "zh"}
    )
    assert resp.status_code == 422
    assert "状态为 new 的工单不能变为 closed" in resp.get_json()["errors"]["status"][0]
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()["tags"] == []


def test_macro_validation_and_unknown_ids(
    client: FlaskClient, auth: dict[str, str], new_ticket: Callable[..., dict[str, Any]]
) -> None:
    bad = {"title": "Bad", "actions": [{"action": "reply", "value": "Hi {{customer.email}}"}]}
    resp = client.post(f"{API}/macros", json=bad, headers=auth)
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["actions.0.value"]
    macro = _macro(client, auth)
    ticket = new_ticket()
    assert client.post(f"{API}/tickets/{ticket['id']}/macros/mac_nope/apply", headers=auth).status_code == 404
    assert client.post(f"{API}/tickets/tkt_nope/macros/{macro['id']}/preview", headers=auth).status_code == 404
    client.patch(f"{API}/macros/{macro['id']}", json={"active": False}, headers=auth)
    assert client.post(f"{API}/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=auth).status_code == 404
