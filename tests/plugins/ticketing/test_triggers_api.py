"""``/triggers`` over HTTP: saving, 422s at exact paths in English and Chinese, scope, audit,
reorder, tenant isolation, and the refund example end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services.rules.automations import run_automations
from ccokit.plugins.ticketing.services.rules.defaults import refund_trigger
from ccokit_sdk.ids import decode_public_id
from ccokit_sdk.models import utcnow
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, events_of
from tests.plugins.ticketing.rules_support import Published, workspace

SOLVED_NOTE = {
    "title": "Note solved",
    "conditions": {"all": [{"field": "status", "operator": "changed_to", "value": "solved"}]},
    "actions": [{"action": "note", "value": "solved by {{ticket.subject}}"}],
}


def test_create_read_change_delete_and_audit(client: FlaskClient, auth: dict[str, str]) -> None:
    resp = client.post(f"{API}/triggers", json=SOLVED_NOTE, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    trigger = resp.get_json()
    assert trigger["id"].startswith("trg_")
    assert trigger["active"] is True
    assert trigger["conditions"] == {"all": SOLVED_NOTE["conditions"]["all"], "any": []}
    assert client.get(f"{API}/triggers/{trigger['id']}", headers=auth).get_json()["title"] == "Note solved"

    resp = client.patch(f"{API}/triggers/{trigger['id']}", json={"active": False, "title": "Off"}, headers=auth)
    assert resp.status_code == 200
    assert resp.get_json()["active"] is False
    listed = client.get(f"{API}/triggers?active=false", headers=auth).get_json()["items"]
    assert [t["id"] for t in listed] == [trigger["id"]]
    assert client.delete(f"{API}/triggers/{trigger['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/triggers/{trigger['id']}", headers=auth).status_code == 404

    audit = client.get(f"/api/v1/audit-events?target_id={trigger['id']}", headers=auth).get_json()["items"]
    assert sorted(a["action"] for a in audit) == [
        "ticket_trigger.created", "ticket_trigger.deleted", "ticket_trigger.updated",
    ]


def test_a_bad_trigger_answers_422_at_the_exact_path(client: FlaskClient, auth: dict[str, str]) -> None:
    body = {
        "title": "Bad",
        "conditions": {"all": [
            {"field": "status", "operator": "is", "value": "open"},
            {"field": "priority", "operator": "is", "value": "high"},
            {"field": "custom_fields.refund_amount", "operator": "lt", "value": 100},
        ]},
        "actions": [{"action": "set", "field": "status", "value": "done"}],
    }
    resp = client.post(f"{API}/triggers", json=body, headers=auth)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"] == {
        "conditions.all.2.field": ["No custom field has the key refund_amount."],
        "actions.0.value": ["Must be one of: open, pending, on_hold, solved, closed."],
    }
    resp = client.post(f"{API}/triggers", json=body, headers={**auth, "Accept-Language": "zh"})
    assert resp.get_json()["errors"]["conditions.all.2.field"] == ["没有键为 refund_amount 的自定义字段。"]
    assert resp.get_json()["title"] == "部分字段无效"
    # Nothing was saved, and a change is checked the same way.
    assert client.get(f"{API}/triggers", headers=auth).get_json()["items"] == []


def test_values_are_checked_against_the_custom_field_types(client: FlaskClient, auth: dict[str, str]) -> None:
    for field in (
        {"key": "refund_amount", "type": "number", "titles": {"en": "Refund", "zh": "退款金额"}},
        {"key": "reason", "type": "dropdown", "titles": {"en": "Reason", "zh": "原因"},
         "options": [{"value": "damaged", "titles": {"en": "Damaged", "zh": "破损"}}]},
    ):
        resp = client.post(f"{API}/fields", json=field, headers=auth)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    body = {
        "title": "Typed",
        "conditions": {"any": [
            {"field": "custom_fields.refund_amount", "operator": "lt", "value": "a lot"},
            {"field": "custom_fields.reason", "operator": "is", "value": "bored"},
            {"field": "custom_fields.reason", "operator": "lt", "value": "damaged"},
        ]},
        "actions": [{"action": "set", "field": "custom_fields.refund_amount", "value": True}],
    }
    errors = client.post(f"{API}/triggers", json=body, headers=auth).get_json()["errors"]
    assert errors == {
        "conditions.any.0.value": ["Must be a number."],
        "conditions.any.1.value": ["Must be one of: damaged."],
        "conditions.any.2.operator": [
            "The operator lt does not apply to custom_fields.reason; use one of: is, is_not, in, not_in, "
            "present, absent, changed, changed_to, changed_from."
        ],
        "actions.0.value": ["Must be a number."],
    }


def test_admin_scope_is_needed(client: FlaskClient, tenant: TenantInfo) -> None:
    agent = bearer(issue_token(client, tenant, ["tickets:read", "tickets:write"]))
    assert client.get(f"{API}/triggers", headers=agent).status_code == 403
    assert client.post(f"{API}/triggers", json=SOLVED_NOTE, headers=agent).status_code == 403
    assert client.post(f"{API}/automations", json={}, headers=agent).status_code == 403


def test_reorder(client: FlaskClient, auth: dict[str, str]) -> None:
    ids = []
    for title in ("a", "b", "c"):
        resp = client.post(f"{API}/triggers", json={**SOLVED_NOTE, "title": title}, headers=auth)
        ids.append(resp.get_json()["id"])
    positions = {t["id"]: t["position"] for t in client.get(f"{API}/triggers", headers=auth).get_json()["items"]}
    assert [positions[i] for i in ids] == [0, 1, 2]  # new ones go last

    resp = client.post(f"{API}/triggers/reorder", json={"ids": [ids[2], ids[0], ids[1]]}, headers=auth)
    assert resp.status_code == 200
    assert [(t["id"], t["position"]) for t in resp.get_json()["items"]] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]

    resp = client.post(f"{API}/triggers/reorder", json={"ids": [ids[0], ids[1]]}, headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"ids": [f"List every trigger exactly once; missing: {ids[2]}."]}
    audit = client.get("/api/v1/audit-events?action=ticket_triggers.reordered", headers=auth).get_json()["items"]
    assert len(audit) == 1
    assert audit[0]["after"]["order"] == [ids[2], ids[0], ids[1]]


def test_tenants_never_share_triggers(
    client: FlaskClient, auth: dict[str, str], make_tenant: Callable[..., TenantInfo]
) -> None:
    tag_all = {
        "title": "Tag everything",
        "conditions": {"all": [{"field": "update.type", "operator": "is", "value": "created"}]},
        "actions": [{"action": "add_tags", "value": ["seen_by_a"]}],
    }
    trigger = client.post(f"{API}/triggers", json=tag_all, headers=auth).get_json()
    other = make_tenant()
    b = bearer(issue_token(client, other))
    assert client.get(f"{API}/triggers/{trigger['id']}", headers=b).status_code == 404
    assert client.get(f"{API}/triggers", headers=b).get_json()["items"] == []
    b_ticket = client.post(f"{API}/tickets", json={"subject": "B's"}, headers=b).get_json()
    a_ticket = client.post(f"{API}/tickets", json={"subject": "A's"}, headers=auth).get_json()
    assert b_ticket["tags"] == []
    assert a_ticket["tags"] == ["seen_by_a"]


def test_the_refund_example_end_to_end(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo,
    new_ticket: Callable[..., dict[str, Any]],
) -> None:
    field = {"key": "refund_amount", "type": "number", "titles": {"en": "Refund amount", "zh": "退款金额"}}
    assert client.post(f"{API}/fields", json=field, headers=auth).status_code == 201
    example = refund_trigger("zh")
    resp = client.post(f"{API}/triggers", json={**example, "active": True}, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    trigger = resp.get_json()

    small = new_ticket(
        category="after_sales", tags=["refund_request"], custom_fields={"refund_amount": 88.5},
        requester={"name": "王芳"},
    )
    large = new_ticket(category="after_sales", tags=["refund_request"], custom_fields={"refund_amount": 150})
    other = new_ticket(category="logistics", tags=["refund_request"], custom_fields={"refund_amount": 10})
    assert (small["status"], sorted(small["tags"])) == ("solved", ["refund_agreed", "refund_request"])
    assert (large["status"], large["tags"]) == ("new", ["refund_request"])
    assert (other["status"], other["tags"]) == ("new", ["refund_request"])

    comments = client.get(f"{API}/tickets/{small['id']}/comments", headers=auth).get_json()["items"]
    assert [(c["public"], c["body"]) for c in comments] == [
        (True, f"您好 王芳，工单 #{small['number']} 的退款申请已同意，款项将原路退回。"),
    ]
    history = client.get(f"{API}/tickets/{small['id']}/history", headers=auth).get_json()["items"]
    by_rules = {(h["field"], h["actor_kind"], h["actor_id"]) for h in history if h["via"] == "trigger"}
    assert by_rules == {("status", "system", trigger["id"]), ("tags", "system", trigger["id"])}
    notified = [p for t, p in events_of(app, tenant, "ticket.rule_notified")]
    assert notified == [{
        "rule": {"id": trigger["id"], "kind": "trigger", "title": example["title"]},
        "ticket": {
            "id": small["id"], "number": small["number"], "subject": small["subject"], "status": "solved",
            "priority": "normal", "category": "after_sales", "tags": ["refund_agreed", "refund_request"],
            "custom_fields": {"refund_amount": 88.5},
        },
        "message": f"refund_agreed #{small['number']}",
    }]
    # A later change to the agreed ticket does not agree it again.
    client.patch(f"{API}/tickets/{small['id']}", json={"priority": "high"}, headers=auth)
    assert len(events_of(app, tenant, "ticket.rule_notified")) == 1


def test_rules_behave_the_same_on_sqlite(any_app: Flask) -> None:
    """The embedded default: triggers fire in the request, a refused action is undone in its
    savepoint, and an automation closes a solved ticket."""
    client = any_app.test_client()
    tenant = signup(client)
    auth = bearer(issue_token(client, tenant))
    for body in (
        {"title": "urgent vip", "conditions": {"all": [{"field": "tags", "operator": "contains", "value": "vip"}]},
         "actions": [{"action": "set", "field": "priority", "value": "urgent"}]},
        {"title": "refused", "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"}]},
         "actions": [{"action": "add_tags", "value": ["held"]}, {"action": "set", "field": "status", "value": "on_hold"}]},
    ):
        assert client.post(f"{API}/triggers", json=body, headers=auth).status_code == 201
    ticket = client.post(f"{API}/tickets", json={"subject": "VIP", "tags": ["vip"]}, headers=auth).get_json()
    assert ticket["priority"] == "urgent"
    solved = client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "solved"}, headers=auth).get_json()
    assert (solved["status"], solved["tags"]) == ("solved", ["vip"])
    with workspace(any_app, tenant.tenant_id) as session:
        row = session.get(Ticket, (tenant.tenant_id, decode_public_id("tkt", ticket["id"])))
        assert run_automations(session, now=utcnow() + timedelta(days=5), publish=Published()) == 1
        assert row is not None
        assert row.status == "closed"
