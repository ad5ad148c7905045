"""Tickets through the API: create, fetch with comments, change, transitions, ETags, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, Workspace

NewTicket = Callable[..., dict[str, Any]]


def test_create_list_and_fetch_on_both_databases(workspace: Workspace) -> None:
    first = workspace.ticket(
        subject="订单 #8812 还没发货", description="买家催单", channel="chat", category="logistics",
        priority="high", tags=["vip", "催单"], requester={"name": "王小明", "email": "wang@buyer.example"},
        due_at="2026-12-01T10:00:00+08:00",
    )
    second = workspace.ticket()
    assert (first["number"], second["number"]) == (1, 2)
    again = workspace.client.post(f"{API}/tickets", json={"subject": "third"}, headers=workspace.auth)
    assert again.headers["Location"].endswith(f"/api/v1/ticketing/tickets/{again.get_json()['id']}")
    assert again.headers["ETag"] == '"1"'
    assert first["id"].startswith("tkt_")
    assert first["status"] == "new"
    assert first["requester"] == {"name": "王小明", "email": "wang@buyer.example", "phone": None,
                                  "customer_id": first["requester"]["customer_id"]}
    assert first["tags"] == sorted(["vip", "催单"])
    assert first["due_at"] == "2026-12-01T02:00:00+00:00"
    assert (second["channel"], second["category"], second["priority"]) == ("api", "other", "normal")

    listed = workspace.client.get(f"{API}/tickets", headers=workspace.auth).get_json()
    assert [t["id"] for t in listed["items"]] == [again.get_json()["id"], second["id"], first["id"]]  # newest first
    assert listed["next_cursor"] is None

    fetched = workspace.client.get(f"{API}/tickets/{first['id']}", headers=workspace.auth)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    body = fetched.get_json()
    assert body["subject"] == "订单 #8812 还没发货"
    assert body["comments"] == []
    assert body["comments_next_cursor"] is None


def test_unknown_and_malformed_ids_answer_404(client: FlaskClient, auth: dict[str, str]) -> None:
    for ticket_id in ("tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B", "nope", "grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B"):
        resp = client.get(f"{API}/tickets/{ticket_id}", headers=auth)
        assert resp.status_code == 404
        assert resp.mimetype == "application/problem+json"


def test_bad_input_is_a_422_with_field_errors_in_english_and_chinese(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    body = {"subject": "", "priority": "asap", "assignee_id": "bob", "due_at": "tomorrow", "tags": ["a b"]}
    en = client.post(f"{API}/tickets", json=body, headers=auth)
    assert en.status_code == 422
    assert en.mimetype == "application/problem+json"
    errors = en.get_json()["errors"]
    assert set(errors) == {"subject", "priority", "assignee_id", "due_at", "tags"}
    assert errors["priority"] == ["Must be one of: low, normal, high, urgent."]
    zh = client.post(f"{API}/tickets", json=body, headers={**auth, "Accept-Language": "zh-CN"})
    zh_errors = zh.get_json()["errors"]
    assert zh.get_json()["title"] == "部分字段无效"
    assert zh_errors["priority"] == ["必须是以下之一：low, normal, high, urgent。"]
    assert zh_errors["assignee_id"] == ["不是此类的有效编号（应为 mem_…）。"]
    missing = client.post(f"{API}/tickets", json={}, headers={**auth, "Accept-Language": "zh"})
    assert missing.get_json()["errors"] == {"subject": ["缺少必填字段。"]}


def test_status_moves_only_along_allowed_transitions(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    url = f"{API}/tickets/{ticket['id']}"

    def move(status: str, lang: str = "en") -> Any:
        return client.patch(url, json={"status": status}, headers={**auth, "Accept-Language": lang})

    refused = move("closed")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "status": ["A new ticket cannot become closed; allowed: open, pending, on_hold, solved."]
    }
    assert move("closed", "zh").get_json()["errors"]["status"] == [
        "状态为 new 的工单不能变为 closed；可变为：open, pending, on_hold, solved。"
    ]
    for status in ("pending", "on_hold", "open", "solved"):
        resp = move(status)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.get_json()["status"] == status
    solved = client.get(url, headers=auth).get_json()
    assert solved["solved_at"] is not None
    assert move("pending").get_json()["errors"]["status"] == [
        "A solved ticket cannot become pending; allowed: open, closed."
    ]
    reopened = move("open").get_json()
    assert (reopened["status"], reopened["solved_at"]) == ("open", None)
    move("solved")
    closed = move("closed").get_json()
    assert closed["closed_at"] is not None
    final = client.patch(url, json={"status": "open", "subject": "again"}, headers=auth)
    assert final.status_code == 422
    assert final.get_json()["errors"] == {
        "status": ["This ticket is closed; it cannot change any more."],
        "subject": ["This ticket is closed; it cannot change any more."],
    }


def test_a_ticket_may_start_solved_but_not_closed(client: FlaskClient, auth: dict[str, str]) -> None:
    solved = client.post(f"{API}/tickets", json={"subject": "Answered on the phone", "status": "solved"}, headers=auth)
    assert solved.status_code == 201
    assert solved.get_json()["solved_at"] is not None
    closed = client.post(f"{API}/tickets", json={"subject": "x", "status": "closed"}, headers=auth)
    assert closed.status_code == 422
    assert "status" in closed.get_json()["errors"]


def test_patch_changes_fields_and_lists(
    client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(tags=["a", "b"])
    group = client.post(f"{API}/groups", json={"name": "After-sales"}, headers=auth).get_json()
    member = tenant.signup["owner"]["id"]
    url = f"{API}/tickets/{ticket['id']}"
    resp = client.patch(url, json={
        "assignee_id": member, "group_id": group["id"], "add_tags": ["c"], "remove_tags": ["a"],
        "followers": [member], "priority": "urgent", "requester": {"phone": "+86 138 0000 0000"},
    }, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["assignee_id"], body["group_id"], body["priority"]) == (member, group["id"], "urgent")
    assert body["tags"] == ["b", "c"]
    assert body["followers"] == [member]
    assert body["requester"]["phone"] == "+86 138 0000 0000"
    assert body["version"] == 2
    cleared = client.patch(url, json={"assignee_id": None, "remove_followers": [member]}, headers=auth).get_json()
    assert (cleared["assignee_id"], cleared["followers"]) == (None, [])

    unknown = client.patch(url, json={"group_id": "grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B"}, headers=auth)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"group_id": ["No group has this id."]}


def test_a_change_that_changes_nothing_keeps_the_version(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket(priority="high")
    resp = client.patch(f"{API}/tickets/{ticket['id']}", json={"priority": "high"}, headers=auth)
    assert resp.status_code == 200
    assert resp.get_json()["version"] == 1
    assert resp.headers["ETag"] == '"1"'


def test_if_match_guards_against_lost_updates(client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket) -> None:
    ticket = new_ticket()
    url = f"{API}/tickets/{ticket['id']}"
    etag = client.get(url, headers=auth).headers["ETag"]
    first = client.patch(url, json={"priority": "high"}, headers={**auth, "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"priority": "low"}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert client.get(url, headers=auth).get_json()["priority"] == "high"
    weak = client.patch(url, json={"priority": "low"}, headers={**auth, "If-Match": 'W/"2"'})
    assert weak.status_code == 200


def test_history_records_every_field_change_with_actor_and_via(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket(priority="low")
    url = f"{API}/tickets/{ticket['id']}"
    client.patch(url, json={"priority": "high", "status": "open"}, headers=auth)
    client.patch(url, json={"subject": "Renamed"}, headers=auth)
    first = client.get(f"{url}/history?limit=3", headers=auth).get_json()
    assert len(first["items"]) == 3
    rows = first["items"]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"{url}/history?limit=3&cursor={cursor}", headers=auth).get_json()
        rows += page["items"]
        cursor = page["next_cursor"]
    changes = [(r["field"], r["old"], r["new"]) for r in rows]
    assert ("priority", None, "low") in changes  # the creation
    assert changes[-3:] == [
        ("priority", "low", "high"), ("status", "new", "open"), ("subject", "Where is my parcel?", "Renamed"),
    ]
    assert {(r["actor_kind"], r["via"]) for r in rows} == {("app", "api")}


def test_reading_needs_read_and_writing_needs_write(client: FlaskClient, tenant: TenantInfo) -> None:
    reader = bearer(issue_token(client, tenant, ["tickets:read"]))
    assert client.get(f"{API}/tickets", headers=reader).status_code == 200
    refused = client.post(f"{API}/tickets", json={"subject": "x"}, headers=reader)
    assert refused.status_code == 403
    nobody = bearer(issue_token(client, tenant, ["quick_replies:read"]))
    assert client.get(f"{API}/tickets", headers=nobody).status_code == 403


@pytest.mark.parametrize("limit", [0, 2])
def test_fetch_includes_the_first_comments_and_a_cursor_to_the_rest(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket, limit: int
) -> None:
    ticket = new_ticket()
    url = f"{API}/tickets/{ticket['id']}"
    for n in range(3):
        assert client.post(f"{url}/comments", json={"body": f"note {n}", "public": False}, headers=auth).status_code == 201
    body = client.get(f"{url}?comments_limit={limit}", headers=auth).get_json()
    assert [c["body"] for c in body["comments"]] == [f"note {n}" for n in range(limit)]
    if limit:
        rest = client.get(f"{url}/comments?cursor={body['comments_next_cursor']}", headers=auth).get_json()
        assert [c["body"] for c in rest["items"]] == ["note 2"]


def test_a_write_that_lost_a_race_is_refused_not_lost(app: Any, tenant: TenantInfo, new_ticket: NewTicket) -> None:
    """Two transactions read version 1; the second to write gets StaleDataError (the route's 412)."""
    from sqlalchemy.orm.exc import StaleDataError

    from ccokit.platform.kernel import current_kernel
    from ccokit.plugins.ticketing.models.tickets import Ticket
    from ccokit.plugins.ticketing.services import changes, tickets
    from ccokit_sdk.ids import decode_public_id

    ticket_id = decode_public_id("tkt", new_ticket()["id"])
    db = current_kernel(app).db
    first, second = db.session(tenant.tenant_id), db.session(tenant.tenant_id)
    try:
        mine = first.get(Ticket, (tenant.tenant_id, ticket_id))
        theirs = second.get(Ticket, (tenant.tenant_id, ticket_id))
        assert mine is not None
        assert theirs is not None
        publish = lambda *_: None  # noqa: E731 - events are not what this test is about
        tickets.update_ticket(first, mine, {"priority": "high"}, actor=changes.SYSTEM, via="api", publish=publish)
        first.commit()
        with pytest.raises(StaleDataError):
            tickets.update_ticket(second, theirs, {"priority": "low"}, actor=changes.SYSTEM, via="api", publish=publish)
    finally:
        first.close()
        second.close()


def test_assignees_and_followers_are_active_members_of_the_workspace(
    client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    agent = client.post("/api/v1/members", headers=auth, json={
        "email": "li@shop.example", "display_name": "Agent Li", "role": "agent", "password": "x" * 12,
    }).get_json()["id"]
    other = signup(client).signup["owner"]["id"]  # a member of another workspace
    ticket = new_ticket(assignee_id=agent, followers=[agent])
    assert (ticket["assignee_id"], ticket["followers"]) == (agent, [agent])
    url = f"{API}/tickets/{ticket['id']}"
    for body, field in (
        ({"assignee_id": "mem_01J00000000000000000000000"}, "assignee_id"),
        ({"assignee_id": other}, "assignee_id"),
        ({"add_followers": [other]}, "followers"),
    ):
        resp = client.patch(url, json=body, headers={**auth, "Accept-Language": "zh"})
        assert resp.status_code == 422, body
        assert list(resp.get_json()["errors"]) == [field]
        assert "本商家空间没有编号为" in resp.get_json()["errors"][field][0]
    assert client.delete(f"/api/v1/members/{agent}", headers=auth).status_code == 204
    resp = client.post(f"{API}/tickets", json={"subject": "x", "assignee_id": agent}, headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["assignee_id"] == [f"Member {agent} is deactivated."]
    # A follower who left stays on the tickets they followed; a change that does not add them again passes.
    kept = client.patch(url, json={"priority": "high", "add_tags": ["x"]}, headers=auth)
    assert kept.status_code == 200, kept.get_data(as_text=True)
    assert kept.get_json()["followers"] == [agent]
