"""The service-level API: calendars and SLA policies (admin scope, audit, 409s, 422 field errors in
English and Chinese), the default calendar of a new workspace, and a ticket's SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.models.sla import Calendar, SlaClock, SlaPolicy
from tests.conftest import TenantInfo, bearer, issue_token, signup

API = "/api/v1/ticketing"
OFFICE = {
    day: [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}
SHANGHAI_2025 = {
    "name": "上海客服中心",
    "time_zone": "Asia/Shanghai",
    "weekly_hours": OFFICE,
    "holidays": [{"name": "国庆节、中秋节", "start": "2025-10-01", "end": "2025-10-08"}],
    "working_days": [{"name": "调休", "date": "2025-09-28"}, {"name": "调休", "date": "2025-10-11"}],
}
URGENT = [
    {"priority": "urgent", "metric": "first_reply", "minutes": 30},
    {"priority": "urgent", "metric": "resolution", "minutes": 480, "business_hours": False},
]


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    return bearer(token)


def _zh(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Accept-Language": "zh-CN"}


def _post(client: FlaskClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"{API}{path}", json=body, headers=headers)


def _audit_actions(client: FlaskClient, headers: dict[str, str], target_type: str) -> list[str]:
    resp = client.get("/api/v1/audit-events", query_string={"target_type": target_type}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return sorted(item["action"] for item in resp.get_json()["items"])


@pytest.mark.parametrize(("locale", "zone", "name"), [("zh", "Asia/Shanghai", "工作时间"), ("en", "UTC", "Business hours")])
def test_a_new_workspace_has_a_default_calendar(client: FlaskClient, locale: str, zone: str, name: str) -> None:
    shop = signup(client, locale=locale)
    resp = client.get(f"{API}/calendars", headers=bearer(issue_token(client, shop)))
    assert resp.status_code == 200
    (calendar,) = resp.get_json()["items"]
    assert calendar["is_default"] is True
    assert calendar["time_zone"] == zone
    assert calendar["name"] == name
    assert calendar["id"].startswith("cal_")
    assert calendar["weekly_hours"]["monday"] == [{"start": "09:00", "end": "18:00"}]
    assert calendar["weekly_hours"].get("saturday") in (None, [])


def test_calendars_are_kept_audited_and_the_default_stays(client: FlaskClient, headers: dict[str, str]) -> None:
    resp = _post(client, "/calendars", SHANGHAI_2025, headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    assert created["is_default"] is False  # the workspace already has its default
    assert created["holidays"] == [{"name": "国庆节、中秋节", "start": "2025-10-01", "end": "2025-10-08"}]
    assert created["working_days"][0] == {"name": "调休", "date": "2025-09-28"}

    resp = client.patch(f"{API}/calendars/{created['id']}", json={"is_default": True, "name": "上海"}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["name"] == "上海"
    assert resp.get_json()["weekly_hours"] == OFFICE  # untouched by a partial change
    defaults = [c for c in client.get(f"{API}/calendars", headers=headers).get_json()["items"] if c["is_default"]]
    assert [c["id"] for c in defaults] == [created["id"]]

    # The default cannot be removed nor switched off; another one can be removed.
    resp = client.delete(f"{API}/calendars/{created['id']}", headers=headers)
    assert resp.status_code == 409
    resp = client.patch(f"{API}/calendars/{created['id']}", json={"is_default": False}, headers=headers)
    assert resp.status_code == 422
    assert "is_default" in resp.get_json()["errors"]
    old = next(c for c in client.get(f"{API}/calendars", headers=headers).get_json()["items"] if not c["is_default"])
    assert client.delete(f"{API}/calendars/{old['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/calendars/{old['id']}", headers=headers).status_code == 404

    actions = _audit_actions(client, headers, "ticket_calendar")
    assert actions == ["ticket_calendar.created", "ticket_calendar.deleted", "ticket_calendar.updated"]

    resp = _post(client, "/calendars", {**SHANGHAI_2025, "name": "上海"}, headers)
    assert resp.status_code == 409
    assert "name" in resp.get_json()["errors"]


def test_calendar_mistakes_are_422_field_errors_in_english_and_chinese(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    bad = {
        "name": "Broken",
        "time_zone": "Asia/Beijing",  # not an IANA zone (Shanghai is)
        "weekly_hours": {
            "monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "18:00"}],
            "tuesday": [{"start": "18:00", "end": "09:00"}],
        },
    }
    resp = _post(client, "/calendars", bad, headers)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert errors["time_zone"] == ["Unknown time zone; use an IANA name such as Asia/Shanghai."]

    fixed_zone = {**bad, "time_zone": "Asia/Shanghai"}
    errors = _post(client, "/calendars", fixed_zone, headers).get_json()["errors"]
    assert errors["weekly_hours"]["monday"]["1"]["start"] == ["Overlaps 09:00-12:00."]
    assert errors["weekly_hours"]["tuesday"]["0"]["end"] == ["Ends at or before it starts (18:00)."]

    zh = _post(client, "/calendars", fixed_zone, _zh(headers)).get_json()
    assert zh["title"] == "部分字段无效"
    assert zh["errors"]["weekly_hours"]["monday"]["1"]["start"] == ["与 09:00-12:00 重叠。"]
    zh = _post(client, "/calendars", bad, _zh(headers)).get_json()
    assert zh["errors"]["time_zone"] == ["未知的时区；请使用 IANA 时区名，如 Asia/Shanghai。"]

    clash = {
        **SHANGHAI_2025, "name": "Clash",
        "working_days": [{"date": "2025-10-03"}],
        "holidays": [{"name": "国庆", "start": "2025-10-07", "end": "2025-10-01"}, {"name": "国庆", "start": "2025-10-03"}],
    }
    errors = _post(client, "/calendars", clash, headers).get_json()["errors"]
    assert errors["holidays"]["0"]["end"] == ["The last day comes before the first."]
    assert errors["working_days"]["0"]["date"] == ["This date is also a holiday (国庆); keep one of them."]

    for body, path in (
        ({**SHANGHAI_2025, "weekly_hours": {"monday": [{"start": "9:00", "end": "25:00"}]}}, "weekly_hours"),
        ({**SHANGHAI_2025, "weekly_hours": {}}, "weekly_hours"),
        ({**SHANGHAI_2025, "name": ""}, "name"),
        ({key: v for key, v in SHANGHAI_2025.items() if key != "time_zone"}, "time_zone"),
    ):
        resp = _post(client, "/calendars", body, _zh(headers))
        assert resp.status_code == 422, body
        assert path in resp.get_json()["errors"]
    empty_week = _post(client, "/calendars", {**SHANGHAI_2025, "weekly_hours": {}}, _zh(headers)).get_json()
    assert empty_week["errors"]["weekly_hours"] == ["日历至少需要一个工作日有工作时间。"]
    missing = _post(client, "/calendars", {"name": "x", "weekly_hours": OFFICE}, _zh(headers)).get_json()
    assert missing["errors"]["time_zone"] == ["缺少必填字段。"]


def test_policies_are_kept_in_order_and_audited(client: FlaskClient, headers: dict[str, str]) -> None:
    calendar = _post(client, "/calendars", SHANGHAI_2025, headers).get_json()
    first = _post(client, "/sla-policies", {"key": "standard", "title": "Standard", "targets": URGENT}, headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    vip = _post(client, "/sla-policies", {
        "key": "vip", "title": "VIP 会员", "calendar_id": calendar["id"],
        "conditions": {"tier": ["gold", "gold"], "channel": ["chat"], "category": []},
        "targets": [{"priority": "high", "metric": "next_reply", "minutes": 15}],
    }, headers)
    assert vip.status_code == 201, vip.get_data(as_text=True)
    body = vip.get_json()
    assert body["id"].startswith("slap_")
    assert body["position"] == first.get_json()["position"] + 1  # new policies go last
    assert body["conditions"] == {"tier": ["gold"], "channel": ["chat"]}
    assert body["targets"] == [{"priority": "high", "metric": "next_reply", "minutes": 15, "business_hours": True}]
    assert body["calendar_id"] == calendar["id"]

    resp = client.patch(f"{API}/sla-policies/{body['id']}", json={"position": 0, "active": False}, headers=headers)
    assert resp.status_code == 200
    assert resp.get_json()["position"] == 0
    assert resp.get_json()["key"] == "vip"
    listed = client.get(f"{API}/sla-policies", query_string={"active": "false"}, headers=headers).get_json()
    assert [p["key"] for p in listed["items"]] == ["vip"]

    # A calendar a policy uses stays until the policy uses another.
    resp = client.delete(f"{API}/calendars/{calendar['id']}", headers=headers)
    assert resp.status_code == 409
    assert "vip" in resp.get_json()["errors"]["id"][0]

    resp = _post(client, "/sla-policies", {"key": "vip", "title": "Again", "targets": URGENT}, headers)
    assert resp.status_code == 409
    assert "key" in resp.get_json()["errors"]

    assert client.delete(f"{API}/sla-policies/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/sla-policies/{body['id']}", headers=headers).status_code == 404
    assert _audit_actions(client, headers, "sla_policy") == [
        "sla_policy.created", "sla_policy.created", "sla_policy.deleted", "sla_policy.updated",
    ]


def test_policy_mistakes_are_422_field_errors_in_english_and_chinese(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    resp = _post(client, "/sla-policies", {
        "key": "broken", "title": "Broken",
        "conditions": {"priority": ["urgent", "critical"], "channel": ["pigeon"]},
        "targets": [
            {"priority": "urgent", "metric": "first_reply", "minutes": 30},
            {"priority": "urgent", "metric": "first_reply", "minutes": 60},
            {"priority": "asap", "metric": "first_response", "minutes": 10},
        ],
    }, headers)
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["conditions"]["priority"]["1"] == ["Must be one of: low, normal, high, urgent."]
    assert "channel" in errors["conditions"]
    assert errors["targets"]["1"]["metric"] == ["A target for urgent first_reply is already given above."]
    assert errors["targets"]["2"]["priority"] == ["Must be one of: low, normal, high, urgent."]
    assert errors["targets"]["2"]["metric"] == ["Must be one of: first_reply, next_reply, resolution."]

    zh = _post(client, "/sla-policies", {
        "key": "Not A Key", "title": "x", "calendar_id": "cal_01JD3M6ZK7Q3XG5W2V8N4T9R1B",
        "targets": [{"priority": "urgent", "metric": "first_reply", "minutes": 0}],
    }, _zh(headers)).get_json()
    assert zh["errors"]["key"] == ["1-60 个小写字母、数字、.、- 或 _，以字母开头。"]
    assert zh["errors"]["targets"]["0"]["minutes"] == ["必须大于等于 1 且小于等于 527040。"]
    zh = _post(client, "/sla-policies", {
        "key": "ghost", "title": "x", "calendar_id": "cal_01JD3M6ZK7Q3XG5W2V8N4T9R1B",
        "targets": [{"priority": "urgent", "metric": "first_reply", "minutes": 10}],
    }, _zh(headers)).get_json()
    assert zh["errors"]["calendar_id"] == ["没有此编号的日历。"]

    # One working minute a week cannot hold a 200-minute promise within two years.
    sparse = _post(client, "/calendars", {
        "name": "Mondays 09:00", "time_zone": "Asia/Shanghai",
        "weekly_hours": {"monday": [{"start": "09:00", "end": "09:01"}]},
    }, headers).get_json()
    resp = _post(client, "/sla-policies", {
        "key": "sparse", "title": "x", "calendar_id": sparse["id"],
        "targets": [{"priority": "low", "metric": "resolution", "minutes": 200},
                    {"priority": "normal", "metric": "resolution", "minutes": 200, "business_hours": False}],
    }, headers)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "targets": {"0": {"minutes": ["200 business minutes do not fit in two years of this calendar."]}}
    }


def test_changing_ticketing_configuration_needs_the_admin_scope(client: FlaskClient, tenant: TenantInfo) -> None:
    agent = bearer(issue_token(client, tenant, ["tickets:read", "tickets:write"]))
    assert client.get(f"{API}/calendars", headers=agent).status_code == 200
    assert client.get(f"{API}/sla-policies", headers=agent).status_code == 200
    resp = _post(client, "/calendars", SHANGHAI_2025, agent)
    assert resp.status_code == 403
    assert _post(client, "/sla-policies", {"key": "x", "title": "x", "targets": URGENT}, agent).status_code == 403
    nobody = bearer(issue_token(client, tenant, ["tenant:read"]))
    assert client.get(f"{API}/calendars", headers=nobody).status_code == 403


def test_another_workspace_sees_none_of_it(client: FlaskClient, headers: dict[str, str]) -> None:
    calendar = _post(client, "/calendars", SHANGHAI_2025, headers).get_json()
    policy = _post(client, "/sla-policies", {"key": "standard", "title": "S", "targets": URGENT}, headers).get_json()
    other = bearer(issue_token(client, signup(client)))
    assert client.get(f"{API}/calendars/{calendar['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/sla-policies/{policy['id']}", headers=other).status_code == 404
    assert client.patch(f"{API}/sla-policies/{policy['id']}", json={"title": "mine"}, headers=other).status_code == 404
    names = [c["name"] for c in client.get(f"{API}/calendars", headers=other).get_json()["items"]]
    assert "上海客服中心" not in names
    assert client.get(f"{API}/sla-policies", headers=other).get_json()["items"] == []
    # A policy cannot use another workspace's calendar.
    resp = _post(client, "/sla-policies", {
        "key": "theirs", "title": "x", "calendar_id": calendar["id"], "targets": URGENT,
    }, other)
    assert resp.status_code == 422
    assert "calendar_id" in resp.get_json()["errors"]


def _urgent_policy_around_the_clock(client: FlaskClient, headers: dict[str, str]) -> None:
    always = {d: [{"start": "00:00", "end": "24:00"}] for d in
              ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    calendar = _post(client, "/calendars", {"name": "24x7", "time_zone": "UTC", "weekly_hours": always}, headers)
    resp = _post(client, "/sla-policies", {
        "key": "standard", "title": "S", "calendar_id": calendar.get_json()["id"], "targets": URGENT,
    }, headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_a_ticket_shows_its_clocks(client: FlaskClient, headers: dict[str, str]) -> None:
    _urgent_policy_around_the_clock(client, headers)
    ticket = _post(client, "/tickets", {"subject": "退款没到账", "priority": "urgent"}, headers)
    assert ticket.status_code == 201, ticket.get_data(as_text=True)
    ticket_id = ticket.get_json()["id"]

    resp = client.get(f"{API}/tickets/{ticket_id}/sla", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    sla = resp.get_json()
    assert sla["ticket_id"] == ticket_id
    assert sla["policy_id"].startswith("slap_")
    by_metric = {c["metric"]: c for c in sla["clocks"]}
    assert set(by_metric) == {"first_reply", "resolution"}
    first = by_metric["first_reply"]
    assert first["status"] == "running"
    assert first["target_minutes"] == 30
    assert first["business_hours"] is True
    assert 29 <= first["remaining_minutes"] <= 30
    assert first["overdue_minutes"] is None
    assert by_metric["resolution"]["business_hours"] is False

    resp = _post(client, f"/tickets/{ticket_id}/comments", {"body": "您好，正在处理", "public": True}, headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    first = next(c for c in client.get(f"{API}/tickets/{ticket_id}/sla", headers=headers).get_json()["clocks"]
                 if c["metric"] == "first_reply")
    assert first["status"] == "fulfilled"
    assert first["fulfilled"] is True
    assert first["breached"] is False

    other = bearer(issue_token(client, signup(client)))
    assert client.get(f"{API}/tickets/{ticket_id}/sla", headers=other).status_code == 404
    assert client.get(f"{API}/tickets/tkt_nope/sla", headers=headers).status_code == 404


def test_the_ticket_itself_shows_its_running_clocks_in_brief(client: FlaskClient, headers: dict[str, str]) -> None:
    _urgent_policy_around_the_clock(client, headers)
    ticket = _post(client, "/tickets", {"subject": "退款没到账", "priority": "urgent"}, headers).get_json()
    ticket_id = ticket["id"]
    full = {c["metric"]: c for c in client.get(f"{API}/tickets/{ticket_id}/sla", headers=headers).get_json()["clocks"]}

    resp = client.get(f"{API}/tickets/{ticket_id}", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    sla = resp.get_json()["sla"]
    brief = {c["metric"]: c for c in sla["clocks"]}
    assert set(brief) == {"first_reply", "resolution"}
    assert brief["first_reply"] == {
        "metric": "first_reply", "due_at": full["first_reply"]["due_at"], "paused": False, "breached": False,
    }
    created, due = (datetime.fromisoformat(t) for t in (ticket["created_at"], brief["first_reply"]["due_at"]))
    assert due - created == timedelta(minutes=30)  # around the clock: 30 minutes after it came in
    assert sla["next_due_at"] == full["first_reply"]["due_at"]  # 30 minutes comes before 8 hours

    _post(client, f"/tickets/{ticket_id}/comments", {"body": "您好，正在处理", "public": True}, headers)
    sla = client.get(f"{API}/tickets/{ticket_id}", headers=headers).get_json()["sla"]
    assert [c["metric"] for c in sla["clocks"]] == ["resolution"]  # the fulfilled clock leaves the brief
    assert sla["next_due_at"] == full["resolution"]["due_at"]


def test_a_ticket_without_a_policy_has_an_empty_brief(client: FlaskClient, headers: dict[str, str]) -> None:
    ticket_id = _post(client, "/tickets", {"subject": "no promise", "priority": "low"}, headers).get_json()["id"]
    sla = client.get(f"{API}/tickets/{ticket_id}?comments_limit=0", headers=headers).get_json()["sla"]
    assert sla == {"next_due_at": None, "clocks": []}


def test_openapi_documents_the_brief_on_the_ticket(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    answer = spec["paths"]["/api/v1/ticketing/tickets/{ticket_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/TicketDetail")
    assert schemas["TicketDetail"]["properties"]["sla"]["$ref"].endswith("/TicketSlaSummary")
    assert set(schemas["TicketSlaSummary"]["properties"]) == {"next_due_at", "clocks"}
    clock = schemas["TicketSlaSummary"]["properties"]["clocks"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(schemas[clock]["properties"]) == {"metric", "due_at", "paused", "breached"}


def test_a_member_tier_picks_its_policy_and_a_tier_change_moves_open_tickets(
    app: Flask, client: FlaskClient, tenant: TenantInfo, headers: dict[str, str]
) -> None:
    """The customers plugin's tier names a policy (its ``sla_policy``); when the customer moves
    to another tier, ``customer.tier_changed`` re-evaluates their open tickets."""
    standard = _post(client, "/sla-policies", {"key": "standard", "title": "S", "targets": URGENT}, headers)
    vip = _post(client, "/sla-policies", {"key": "vip.gold", "title": "Gold", "targets": [
        {"priority": "urgent", "metric": "first_reply", "minutes": 10, "business_hours": False},
    ]}, headers)
    assert vip.status_code == 201, vip.get_data(as_text=True)
    for tier in ({"key": "black_card", "name": "黑卡", "rank": 90, "sla_policy": "vip.gold"},
                 {"key": "plain", "name": "普通", "rank": 80}):
        resp = client.post("/api/v1/customers/tiers", json=tier, headers=headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    customer = client.post("/api/v1/customers/customers", json={"name": "王女士", "tier": "black_card"}, headers=headers)
    assert customer.status_code == 201, customer.get_data(as_text=True)
    customer_id = customer.get_json()["id"]
    ticket = _post(client, "/tickets", {
        "subject": "金卡会员退款", "priority": "urgent", "requester": {"customer_id": customer_id},
    }, headers).get_json()

    def first_reply() -> dict[str, Any]:
        sla = client.get(f"{API}/tickets/{ticket['id']}/sla", headers=headers).get_json()
        (clock,) = [c for c in sla["clocks"] if c["metric"] == "first_reply"]
        return {"policy_id": sla["policy_id"], **clock}

    assert first_reply()["policy_id"] == vip.get_json()["id"]
    assert first_reply()["target_minutes"] == 10

    resp = client.patch(f"/api/v1/customers/customers/{customer_id}", json={"tier": "plain"}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    run_pending(current_kernel(app), tenant_id=tenant.tenant_id)
    moved = first_reply()
    assert moved["policy_id"] == standard.get_json()["id"]
    assert moved["target_minutes"] == 30


def test_deleting_the_workspace_removes_its_calendars_policies_and_clocks(
    app: Flask, client: FlaskClient, tenant: TenantInfo, headers: dict[str, str]
) -> None:
    calendar = _post(client, "/calendars", SHANGHAI_2025, headers).get_json()
    _post(client, "/sla-policies", {"key": "standard", "title": "S", "calendar_id": calendar["id"],
                                    "targets": URGENT}, headers)
    _post(client, "/tickets", {"subject": "退款", "priority": "urgent"}, headers)
    kernel = current_kernel(app)

    def counts() -> list[int]:
        with kernel.db.transaction(tenant.tenant_id) as session:
            return [session.scalar(select(func.count()).select_from(m)) or 0 for m in (Calendar, SlaPolicy, SlaClock)]

    assert counts() == [2, 1, 2]
    assert client.delete(f"/api/v1/tenant?confirm={tenant.slug}", headers=headers).status_code == 204
    assert counts() == [0, 0, 0]
