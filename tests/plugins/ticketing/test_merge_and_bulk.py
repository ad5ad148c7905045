"""Merging tickets and bulk updates: one transaction each, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TenantInfo
from tests.plugins.ticketing.conftest import API, events_of

NewTicket = Callable[..., dict[str, Any]]


def test_merge_moves_comments_closes_sources_and_notes_it_everywhere(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    target = new_ticket(subject="Parcel lost", tags=["logistics"])
    sources = [new_ticket(subject=f"Also lost {n}", tags=[f"dup{n}"], status="pending") for n in range(2)]
    for n, source in enumerate(sources):
        client.post(f"{API}/tickets/{source['id']}/comments", json={"body": f"from source {n}"}, headers=auth)
    resp = client.post(f"{API}/tickets/{target['id']}/merge", json={"source_ids": [s["id"] for s in sources]}, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    merged = resp.get_json()
    assert merged["tags"] == ["dup0", "dup1", "logistics"]

    target_now = client.get(f"{API}/tickets/{target['id']}", headers=auth).get_json()
    bodies = [c["body"] for c in target_now["comments"]]
    assert bodies[:2] == ["from source 0", "from source 1"]
    assert bodies[-1].startswith(f"Merged #{sources[0]['number']}, #{sources[1]['number']} into this ticket.")
    assert target_now["comments"][-1]["author_kind"] == "system"
    assert target_now["comments"][-1]["public"] is False
    for source in sources:
        closed = client.get(f"{API}/tickets/{source['id']}", headers=auth).get_json()
        assert (closed["status"], closed["merged_into_id"]) == ("closed", target["id"])
        assert [c["body"] for c in closed["comments"]] == [
            f"Merged into #{target['number']}. / 已合并到工单 #{target['number']}。"
        ]
        history = client.get(f"{API}/tickets/{source['id']}/history", headers=auth).get_json()["items"]
        statuses = [(h["old"], h["new"], h["via"]) for h in history if h["field"] == "status"]
        assert statuses[-1] == ("pending", "closed", "merge")
    merged_events = [p for t, p in events_of(app, tenant, "ticket.merged")]
    assert merged_events == [{
        "ticket": merged_events[0]["ticket"], "source_ids": [s["id"] for s in sources],
        "via": "merge", "actor": {"kind": "app", "id": None},
    }]
    assert merged_events[0]["ticket"]["id"] == target["id"]
    closed_events = [p for t, p in events_of(app, tenant, "ticket.closed")]
    assert {p["merged_into_id"] for p in closed_events} == {target["id"]}


def test_a_refused_merge_changes_nothing(client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket) -> None:
    target = new_ticket()
    source = new_ticket()
    client.post(f"{API}/tickets/{source['id']}/comments", json={"body": "keep me"}, headers=auth)
    closed = new_ticket(status="solved")
    client.patch(f"{API}/tickets/{closed['id']}", json={"status": "closed"}, headers=auth)
    unknown = "tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B"
    resp = client.post(
        f"{API}/tickets/{target['id']}/merge", json={"source_ids": [source["id"], closed["id"]]}, headers=auth
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "source_ids": [f"Ticket #{closed['number']} is closed and cannot take part in a merge."]
    }
    resp = client.post(f"{API}/tickets/{target['id']}/merge", json={"source_ids": [unknown]}, headers=auth)
    assert resp.get_json()["errors"] == {"source_ids": [f"No ticket has the id {unknown}."]}
    itself = client.post(f"{API}/tickets/{target['id']}/merge", json={"source_ids": [target["id"]]}, headers=auth)
    assert itself.get_json()["errors"] == {"source_ids": ["A ticket cannot be merged into itself."]}
    still = client.get(f"{API}/tickets/{source['id']}", headers=auth).get_json()
    assert (still["status"], [c["body"] for c in still["comments"]]) == ("open", ["keep me"])


def test_bulk_update_changes_every_ticket(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    tickets = [new_ticket(tags=["a"]) for _ in range(3)]
    resp = client.post(f"{API}/tickets/bulk", json={
        "ids": [t["id"] for t in tickets], "changes": {"priority": "urgent", "add_tags": ["flood"], "status": "open"},
    }, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [(t["priority"], t["tags"], t["status"]) for t in resp.get_json()["items"]] == [("urgent", ["a", "flood"], "open")] * 3
    updated = [p for t, p in events_of(app, tenant, "ticket.updated") if p["via"] == "bulk"]
    assert len(updated) == 3


def test_bulk_update_is_all_or_nothing_with_every_ticket_s_errors(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    fine = new_ticket()
    solved = [new_ticket(status="solved") for _ in range(2)]
    resp = client.post(f"{API}/tickets/bulk", json={
        "ids": [fine["id"], *(t["id"] for t in solved)], "changes": {"status": "pending", "priority": "high"},
    }, headers={**auth, "Accept-Language": "zh"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["detail"] == "未作任何修改：其中 2 个工单无法应用这些修改。"
    assert body["errors"] == {"tickets": {
        t["id"]: {"status": ["状态为 solved 的工单不能变为 pending；可变为：open, closed。"]} for t in solved
    }}
    untouched = client.get(f"{API}/tickets/{fine['id']}", headers=auth).get_json()
    assert (untouched["status"], untouched["priority"], untouched["version"]) == ("new", "normal", 1)


def test_bulk_update_checks_its_input(client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket) -> None:
    too_many = client.post(f"{API}/tickets/bulk", json={
        "ids": ["tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B"] * 101, "changes": {"priority": "low"},
    }, headers=auth)
    assert too_many.status_code == 422
    assert set(too_many.get_json()["errors"]) == {"ids"}
    unknown = client.post(f"{API}/tickets/bulk", json={
        "ids": ["tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B"], "changes": {"priority": "low"},
    }, headers=auth)
    assert unknown.get_json()["errors"] == {"ids": ["No ticket has the id tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B."]}
    nothing = client.post(f"{API}/tickets/bulk", json={"ids": [new_ticket()["id"]], "changes": {}}, headers=auth)
    assert nothing.status_code == 422
    assert nothing.get_json()["errors"] == {"changes": ["Give at least one change."]}
