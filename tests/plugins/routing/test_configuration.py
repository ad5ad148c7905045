"""Routing's configuration API: groups, queues and agents, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ccokit.platform.audit.models import AuditEvent
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.routing.models import RoutingConversation
from ccokit_sdk.ids import decode_public_id
from tests.conftest import TenantInfo, bearer, issue_token, signup

API = "/api/v1/routing"


class Desk:
    """A workspace with a token, on one of the databases."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.tenant: TenantInfo = signup(self.client)
        self.auth = bearer(issue_token(self.client, self.tenant))

    def post(self, path: str, body: dict[str, Any], status: int = 201, **headers: str) -> dict[str, Any]:
        resp = self.client.post(f"{API}/{path}", json=body, headers={**self.auth, **headers})
        assert resp.status_code == status, resp.get_data(as_text=True)
        return dict(resp.get_json() or {})

    def member(self, email: str = "agent@shop.example", role: str = "agent") -> str:
        resp = self.client.post("/api/v1/members", headers=self.auth, json={
            "email": email, "display_name": "Agent", "role": role, "password": "x" * 12})
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return str(resp.get_json()["id"])


@pytest.fixture
def desk(any_app: Flask) -> Desk:
    return Desk(any_app)


def test_a_queue_with_its_whole_policy_round_trips(desk: Desk):
    presales = desk.post("groups", {"name": "售前"})
    aftersales = desk.post("groups", {"name": "售后"})
    body = {
        "name": "店铺咨询", "group_ids": [presales["id"]], "skills": {"presales": 2},
        "strategy": "best_skill", "aging_per_min": 2.5, "channel_weights": {"video": 10},
        "value_weight": 0.5, "sticky_s": 1800, "max_length": 500, "max_wait_s": 600, "ring_s": 15,
        "wrapup_s": 30, "auto_accept": True, "service_level_s": 20,
        "overflow": [{"after_s": 60, "group_ids": [aftersales["id"]]},
                     {"after_s": 180, "group_ids": None, "keep_skills": False}],
        "hours": {"timezone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "21:00"]]},
                  "closed_dates": ["2026-02-17"]},
    }
    queue = desk.post("queues", body)
    assert queue["id"].startswith("que_")
    fetched = desk.client.get(f"{API}/queues/{queue['id']}", headers=desk.auth).get_json()
    for key, value in body.items():
        if key == "overflow":
            assert fetched[key] == [{"after_s": 60, "group_ids": [aftersales["id"]], "keep_skills": True},
                                    {"after_s": 180, "group_ids": None, "keep_skills": False}]
        else:
            assert fetched[key] == value, key
    resp = desk.client.patch(f"{API}/queues/{queue['id']}", json={"strategy": "round_robin", "hours": None},
                             headers=desk.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert (resp.get_json()["strategy"], resp.get_json()["hours"], resp.get_json()["ring_s"]) == (
        "round_robin", None, 15)


def test_defaults_make_a_working_queue(desk: Desk):
    queue = desk.post("queues", {"name": "Default"})
    assert (queue["strategy"], queue["ring_s"], queue["auto_accept"], queue["group_ids"], queue["hours"]) == (
        "longest_idle", 20, False, [], None)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "q", "strategy": "random"}, "strategy"),
    ({"name": "q", "skills": {"Refund!": 1}}, "skills"),
    ({"name": "q", "skills": {"refund": 9}}, "skills"),
    ({"name": "q", "channel_weights": {"fax": 1}}, "channel_weights"),
    ({"name": "q", "ring_s": 1}, "ring_s"),
    ({"name": "q", "overflow": [{"after_s": 120}, {"after_s": 60}]}, "overflow"),
    ({"name": "q", "hours": {"timezone": "Mars/Olympus"}}, "hours"),
    ({"name": "q", "hours": {"timezone": "UTC", "weekly": {"mon": [["18:00", "09:00"]]}}}, "hours"),
    ({"name": "q", "hours": {"timezone": "UTC", "closed_dates": ["2026-13-01"]}}, "hours"),
    ({"name": "q", "group_ids": ["grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B"]}, "group_ids"),
])
def test_bad_queues_are_refused_with_field_errors(desk: Desk, body, field):
    resp = desk.client.post(f"{API}/queues", json=body, headers=desk.auth)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert field in resp.get_json()["errors"]


def test_unknown_groups_are_named_and_errors_speak_chinese(desk: Desk):
    missing = "rgrp_01JD3M6ZK7Q3XG5W2V8N4T9R1B"
    resp = desk.client.post(f"{API}/queues", headers={**desk.auth, "Accept-Language": "zh"}, json={
        "name": "q", "group_ids": [missing], "overflow": [{"after_s": 60, "group_ids": [missing]}]})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["group_ids"] == [f"本工作区没有分组 {missing}。"]
    assert errors["overflow.0.group_ids"] == [f"本工作区没有分组 {missing}。"]
    resp = desk.client.post(f"{API}/queues", headers={**desk.auth, "Accept-Language": "zh"},
                            json={"name": "q", "overflow": [{"after_s": 120}, {"after_s": 60}]})
    assert resp.get_json()["errors"]["overflow"] == ["溢出阶段的等待时间必须逐级递增。"]
    resp = desk.client.post(f"{API}/queues", headers={**desk.auth, "Accept-Language": "zh"},
                            json={"name": "q", "strategy": "random"})
    assert resp.get_json()["errors"]["strategy"][0].startswith("必须是以下之一")


def test_names_are_unique_per_workspace(desk: Desk, any_app: Flask):
    desk.post("queues", {"name": "VIP"})
    resp = desk.client.post(f"{API}/queues", json={"name": "VIP"}, headers=desk.auth)
    assert resp.status_code == 409
    assert resp.get_json()["errors"]["name"] == ["Another one already has this name."]
    Desk(any_app).post("queues", {"name": "VIP"})  # another workspace may


def test_agents_are_members_with_skills_seats_and_groups(desk: Desk):
    group = desk.post("groups", {"name": "Presales"})
    member_id = desk.member()
    agent = desk.post("agents", {"id": member_id, "skills": {"presales": 3, "refund": 1},
                                 "languages": ["zh", "en"], "capacity": {"chat": 5, "video": 1},
                                 "group_ids": [group["id"]]})
    assert (agent["id"], agent["presence"], agent["capacity"]) == (member_id, "offline", {"chat": 5, "video": 1})
    assert desk.post("agents", {"id": member_id}, status=409)["errors"]["id"] == [
        "This member is already an agent."]
    unknown = "mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B"
    assert desk.post("agents", {"id": unknown}, status=422)["errors"]["id"] == [
        f"No member {unknown} in this workspace."]
    resp = desk.client.patch(f"{API}/agents/{member_id}", json={"capacity": {"chat": 8}}, headers=desk.auth)
    assert resp.status_code == 200
    assert resp.get_json()["capacity"] == {"chat": 8}
    listed = desk.client.get(f"{API}/agents", headers=desk.auth).get_json()["items"]
    assert [a["id"] for a in listed] == [member_id]


def test_a_groups_name_and_supervisors_change(desk: Desk):
    lead = desk.member("lead@shop.example", role="supervisor")
    group = desk.post("groups", {"name": "售前"})
    assert group["supervisor_ids"] == []
    resp = desk.client.patch(f"{API}/groups/{group['id']}", json={"supervisor_ids": [lead]}, headers=desk.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert (resp.get_json()["name"], resp.get_json()["supervisor_ids"]) == ("售前", [lead])
    renamed = desk.client.patch(f"{API}/groups/{group['id']}", json={"name": "售前 VIP"}, headers=desk.auth)
    assert (renamed.get_json()["name"], renamed.get_json()["supervisor_ids"]) == ("售前 VIP", [lead])
    stranger = desk.client.patch(f"{API}/groups/{group['id']}", json={"supervisor_ids": ["mem_01M85SSMT6FGDTXGEQTGTKCTDX"]},
                                 headers=desk.auth)
    assert stranger.status_code == 422
    assert "supervisor_ids" in stranger.get_json()["errors"]


def test_a_group_in_use_cannot_be_deleted(desk: Desk):
    group = desk.post("groups", {"name": "Presales"})
    queue = desk.post("queues", {"name": "q", "overflow": [{"after_s": 30, "group_ids": [group["id"]]}]})
    resp = desk.client.delete(f"{API}/groups/{group['id']}", headers=desk.auth)
    assert resp.status_code == 409
    assert "1" in resp.get_json()["detail"]
    assert desk.client.patch(f"{API}/queues/{queue['id']}", json={"overflow": []},
                             headers=desk.auth).status_code == 200
    assert desk.client.delete(f"{API}/groups/{group['id']}", headers=desk.auth).status_code == 204
    assert desk.client.get(f"{API}/groups/{group['id']}", headers=desk.auth).status_code == 404


def _conversation(app: Flask, tenant: TenantInfo, queue_id: str, state: str, agent: str | None = None) -> None:
    now = datetime.now(UTC)
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        session.add(RoutingConversation(
            queue_id=decode_public_id("que", queue_id), channel="chat", state=state, arrived_at=now,
            agent_id=decode_public_id("mem", agent) if agent else None, skills={}, declined_by=[]))


def test_deleting_a_queue_removes_it_archives_it_or_is_refused(desk: Desk):
    empty = desk.post("queues", {"name": "empty"})
    assert desk.client.delete(f"{API}/queues/{empty['id']}", headers=desk.auth).status_code == 204
    used = desk.post("queues", {"name": "used"})
    other = desk.post("queues", {"name": "other"})
    desk.post("conversations", {"queue_id": other["id"], "channel": "chat"})  # the queues are cached now
    _conversation(desk.app, desk.tenant, used["id"], "queued")
    resp = desk.client.delete(f"{API}/queues/{used['id']}", headers=desk.auth)
    assert resp.status_code == 409
    with current_kernel(desk.app).db.transaction(desk.tenant.tenant_id) as session:
        row = session.scalars(select(RoutingConversation).where(
            RoutingConversation.queue_id == decode_public_id("que", used["id"]))).one()
        row.state = "ended"
    assert desk.client.delete(f"{API}/queues/{used['id']}", headers=desk.auth).status_code == 204
    assert desk.client.get(f"{API}/queues/{used['id']}", headers=desk.auth).status_code == 404
    listed = desk.client.get(f"{API}/queues", headers=desk.auth).get_json()["items"]
    assert [q["id"] for q in listed] == [other["id"]]
    late = desk.post("conversations", {"queue_id": used["id"], "channel": "chat"}, status=422)
    assert "queue_id" in late["errors"]  # an archived queue takes no one, whatever a process cached
    archived = desk.client.get(f"{API}/queues?archived=true", headers=desk.auth).get_json()["items"]
    assert sorted(q["id"] for q in archived) == sorted([used["id"], other["id"]])  # history still names it


def test_an_agent_holding_conversations_stays(desk: Desk):
    member_id = desk.member()
    desk.post("agents", {"id": member_id})
    queue = desk.post("queues", {"name": "q"})
    _conversation(desk.app, desk.tenant, queue["id"], "assigned", member_id)
    resp = desk.client.delete(f"{API}/agents/{member_id}", headers={**desk.auth, "Accept-Language": "zh"})
    assert resp.status_code == 409
    assert resp.get_json()["detail"] == "该坐席仍持有 1 个会话，请先转接或结束。"


def test_changes_are_audited(desk: Desk):
    group = desk.post("groups", {"name": "Presales"})
    desk.client.patch(f"{API}/groups/{group['id']}", json={"name": "售前"}, headers=desk.auth)
    tenant_id = desk.tenant.tenant_id
    with current_kernel(desk.app).db.transaction(tenant_id) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.target_type == "routing_group")
                               .order_by(AuditEvent.id)).all()
        assert [r.action for r in rows] == ["routing_group.created", "routing_group.updated"]
        assert (rows[1].before["name"], rows[1].after["name"]) == ("Presales", "售前")


def test_reading_needs_routing_read_and_changing_routing_write(desk: Desk):
    reader = bearer(issue_token(desk.client, desk.tenant, ["routing:read"]))
    assert desk.client.get(f"{API}/queues", headers=reader).status_code == 200
    resp = desk.client.post(f"{API}/queues", json={"name": "q"}, headers=reader)
    assert resp.status_code == 403
