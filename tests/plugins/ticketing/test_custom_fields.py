"""Custom fields: admin-only definitions (audited) and the check of every ticket write."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token
from tests.plugins.ticketing.conftest import API, Workspace

TITLES = {"en": "Order amount", "zh": "订单金额"}
OPTIONS = [
    {"value": "damaged", "titles": {"en": "Damaged", "zh": "破损"}},
    {"value": "late", "titles": {"en": "Late", "zh": "延误"}},
]


def _define(client: FlaskClient, auth: dict[str, str], **body: Any) -> Any:
    return client.post(f"{API}/fields", json={"titles": TITLES, **body}, headers=auth)


def _standard_fields(client: FlaskClient, auth: dict[str, str]) -> None:
    for body in (
        {"key": "order_amount", "type": "number", "required": True},
        {"key": "order_no", "type": "text"},
        {"key": "delivered_on", "type": "date"},
        {"key": "reason", "type": "dropdown", "options": OPTIONS},
        {"key": "issues", "type": "multi_select", "options": OPTIONS},
        {"key": "vip", "type": "checkbox"},
    ):
        resp = _define(client, auth, **body)
        assert resp.status_code == 201, resp.get_data(as_text=True)


def test_definitions_need_the_admin_scope_and_are_audited(
    client: FlaskClient, tenant: TenantInfo, auth: dict[str, str]
) -> None:
    agent = bearer(issue_token(client, tenant, ["tickets:read", "tickets:write"]))
    assert _define(client, agent, key="order_amount", type="number").status_code == 403
    created = _define(client, auth, key="order_amount", type="number")
    assert created.status_code == 201
    field = created.get_json()
    assert field["id"].startswith("fld_")
    assert client.get(f"{API}/fields", headers=agent).get_json()["items"] == [field]
    changed = client.patch(f"{API}/fields/{field['id']}", json={"required": True}, headers=auth)
    assert changed.get_json()["required"] is True
    assert client.patch(f"{API}/fields/{field['id']}", json={"required": False}, headers=agent).status_code == 403
    assert client.delete(f"{API}/fields/{field['id']}", headers=auth).status_code == 204

    audit = bearer(issue_token(client, tenant, ["audit:read"]))
    rows = client.get("/api/v1/audit-events?target_type=ticket_field", headers=audit).get_json()["items"]
    actions = sorted(r["action"] for r in rows)
    assert actions == ["ticket_field.created", "ticket_field.deleted", "ticket_field.updated"]
    updated = next(r for r in rows if r["action"] == "ticket_field.updated")
    assert (updated["before"]["required"], updated["after"]["required"]) == (False, True)


def test_bad_definitions_are_refused(client: FlaskClient, auth: dict[str, str]) -> None:
    assert _define(client, auth, key="Order Amount", type="number").get_json()["errors"] == {
        "key": ["1-40 lowercase letters, digits or _, starting with a letter."]
    }
    no_options = _define(client, auth, key="reason", type="dropdown")
    assert no_options.status_code == 422
    assert no_options.get_json()["errors"] == {"options": ["A dropdown field needs at least one option."]}
    zh = client.post(
        f"{API}/fields", json={"key": "reason", "type": "dropdown", "titles": TITLES},
        headers={**auth, "Accept-Language": "zh"},
    )
    assert zh.get_json()["errors"] == {"options": ["dropdown 类型的字段至少需要一个选项。"]}
    twice = [*OPTIONS, OPTIONS[0]]
    assert _define(client, auth, key="r", type="dropdown", options=twice).get_json()["errors"] == {
        "options": ["Option values must be distinct: damaged."]
    }
    assert _define(client, auth, key="n", type="number", options=OPTIONS).status_code == 422
    assert _define(client, auth, key="amount", type="number").status_code == 201
    taken = _define(client, auth, key="amount", type="text")
    assert taken.status_code == 409
    assert taken.get_json()["errors"] == {"key": ["Another custom field uses this key."]}
    field = client.get(f"{API}/fields", headers=auth).get_json()["items"][0]
    retype = client.patch(f"{API}/fields/{field['id']}", json={"type": "text"}, headers=auth)
    assert retype.status_code == 422
    assert "type" in retype.get_json()["errors"]


def test_every_type_is_checked_on_ticket_writes(client: FlaskClient, auth: dict[str, str]) -> None:
    _standard_fields(client, auth)
    good = {
        "order_amount": 129.5, "order_no": "E-1", "delivered_on": "2026-11-11", "reason": "late",
        "issues": ["late", "damaged"], "vip": True,
    }
    created = client.post(f"{API}/tickets", json={"subject": "x", "custom_fields": good}, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["custom_fields"] == good

    bad = {
        "order_amount": "lots", "order_no": 12, "delivered_on": "11/11/2026", "reason": "lost",
        "issues": ["late", "late"], "vip": "yes", "colour": "red",
    }
    resp = client.post(f"{API}/tickets", json={"subject": "x", "custom_fields": bad}, headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"custom_fields": {
        "order_amount": ["Must be a number."],
        "order_no": ["Must be text of at most 5000 characters."],
        "delivered_on": ["Must be a date (YYYY-MM-DD)."],
        "reason": ["Must be one of: damaged, late."],
        "issues": ["Must be a list of distinct values among: damaged, late."],
        "vip": ["Must be true or false."],
        "colour": ["No custom field has the key colour."],
    }}
    zh = client.post(
        f"{API}/tickets", json={"subject": "x", "custom_fields": {"order_amount": True}},
        headers={**auth, "Accept-Language": "zh"},
    )
    assert zh.get_json()["errors"] == {"custom_fields": {"order_amount": ["必须是数字。"]}}


def test_required_fields_are_needed_on_creation_and_cannot_be_emptied(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    _define(client, auth, key="order_amount", type="number", required=True)
    _define(client, auth, key="note", type="text")
    missing = client.post(f"{API}/tickets", json={"subject": "x", "subject_extra": 1}, headers=auth)
    assert missing.status_code == 422
    missing = client.post(f"{API}/tickets", json={"subject": "x"}, headers=auth)
    assert missing.get_json()["errors"] == {"custom_fields": {"order_amount": ["This field is required."]}}
    ticket = client.post(
        f"{API}/tickets", json={"subject": "x", "custom_fields": {"order_amount": 5, "note": "fragile"}},
        headers=auth,
    ).get_json()
    url = f"{API}/tickets/{ticket['id']}"
    emptied = client.patch(url, json={"custom_fields": {"order_amount": None}}, headers=auth)
    assert emptied.get_json()["errors"] == {"custom_fields": {"order_amount": ["This field is required."]}}
    merged = client.patch(url, json={"custom_fields": {"note": None, "order_amount": 7}}, headers=auth).get_json()
    assert merged["custom_fields"] == {"order_amount": 7}
    history = client.get(f"{url}/history", headers=auth).get_json()["items"]
    assert {(h["field"], h["old"], h["new"]) for h in history} >= {
        ("custom_fields.order_amount", 5, 7), ("custom_fields.note", "fragile", None),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("cf.order_amount=100", {"a"}),
    ("cf.order_amount=99.5", {"b"}),
    ("cf.reason=late", {"a"}),
    ("cf.issues=damaged", {"a", "b"}),
    ("cf.issues=late", {"b"}),
    ("cf.vip=true", {"b"}),
    ("cf.vip=false", {"a"}),
    ("cf.delivered_on=2026-11-11", {"a"}),
    ("cf.order_no=E-2", {"b"}),
    ("cf.reason=late&cf.issues=damaged", {"a"}),
])
def test_lists_filter_on_custom_fields(workspace: Workspace, query: str, expected: set[str]) -> None:
    _standard_fields(workspace.client, workspace.auth)
    workspace.ticket(subject="a", custom_fields={
        "order_amount": 100, "reason": "late", "issues": ["damaged"], "vip": False,
        "delivered_on": "2026-11-11", "order_no": "E-1",
    })
    workspace.ticket(subject="b", custom_fields={
        "order_amount": 99.5, "reason": "damaged", "issues": ["late", "damaged"], "vip": True, "order_no": "E-2",
    })
    resp = workspace.client.get(f"{API}/tickets?{query}", headers=workspace.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert {t["subject"] for t in resp.get_json()["items"]} == expected


def test_custom_field_filters_are_checked(client: FlaskClient, auth: dict[str, str]) -> None:
    _define(client, auth, key="order_amount", type="number")
    unknown = client.get(f"{API}/tickets?cf.colour=red", headers=auth)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"cf.colour": ["No custom field has the key colour."]}
    not_number = client.get(f"{API}/tickets?cf.order_amount=ten", headers={**auth, "Accept-Language": "zh"})
    assert not_number.get_json()["errors"] == {"cf.order_amount": ["必须是数字。"]}


def test_a_new_ticket_with_every_kind_of_value_reads_back_as_it_was_answered(
    client: FlaskClient, auth: dict[str, str], tenant: TenantInfo
) -> None:
    """A creation writes its row without the unit of work on PostgreSQL: texts with quotes,
    backslashes, newlines and Chinese, ids, times in another zone, lists and every custom field
    type come back from the table (a later request) exactly as the creation answered, and the
    JSON columns filter as JSON, not as strings."""
    _standard_fields(client, auth)
    group = client.post(f"{API}/groups", json={"name": "售后组"}, headers=auth).get_json()
    member = tenant.signup["owner"]["id"]
    resp = client.post(f"{API}/tickets", headers=auth, json={
        "subject": 'Say "hi" \\ 你好', "description": "line one\nline two\t制表 \u2028 😀",
        "requester": {"name": "王小明", "email": "wang@buyer.example", "phone": "+86 138 0000 0000"},
        "channel": "video", "category": "dispute", "priority": "urgent", "status": "open",
        "assignee_id": member, "group_id": group["id"], "followers": [member], "tags": ["vip", "催单"],
        "due_at": "2026-12-01T10:00:00.123456+08:00",
        "custom_fields": {"order_amount": 12.5, "order_no": "A-1 \"x\"", "delivered_on": "2026-11-11",
                          "reason": "late", "issues": ["damaged", "late"], "vip": True},
    })
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    fetched = client.get(f"{API}/tickets/{created['id']}", headers=auth).get_json()
    fetched.pop("comments", None)
    assert {k: v for k, v in fetched.items() if k in created} == created
    assert created["due_at"] == "2026-12-01T02:00:00.123456+00:00"
    assert created["custom_fields"]["order_amount"] == 12.5
    for query in ("tag=催单", f"assignee_id={member}", f"group_id={group['id']}", "cf.vip=true",
                  "cf.issues=late", "cf.reason=late", "status=open&priority=urgent&channel=video"):
        items = client.get(f"{API}/tickets?{query}", headers=auth).get_json()["items"]
        assert [t["id"] for t in items] == [created["id"]], query
