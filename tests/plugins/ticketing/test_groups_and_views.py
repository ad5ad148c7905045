"""Groups (teams tickets are assigned to) and saved views (named filters and a sort)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.plugins.ticketing.conftest import API, Workspace

NewTicket = Callable[..., dict[str, Any]]


def test_groups_crud_and_names_are_unique(client: FlaskClient, auth: dict[str, str]) -> None:
    created = client.post(f"{API}/groups", json={"name": "售后组", "description": "After-sales"}, headers=auth)
    assert created.status_code == 201
    group = created.get_json()
    assert group["id"].startswith("grp_")
    taken = client.post(f"{API}/groups", json={"name": "售后组"}, headers={**auth, "Accept-Language": "zh"})
    assert taken.status_code == 409
    assert taken.get_json()["errors"] == {"name": ["已有分组使用该名称。"]}
    renamed = client.patch(f"{API}/groups/{group['id']}", json={"name": "After-sales"}, headers=auth)
    assert renamed.get_json()["name"] == "After-sales"
    assert client.get(f"{API}/groups", headers=auth).get_json()["items"] == [renamed.get_json()]
    assert client.delete(f"{API}/groups/{group['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/groups/{group['id']}", headers=auth).status_code == 404
    audit = client.get(f"/api/v1/audit-events?target_id={group['id']}", headers=auth).get_json()["items"]
    assert sorted(r["action"] for r in audit) == ["ticket_group.created", "ticket_group.deleted", "ticket_group.updated"]


def test_a_group_in_use_by_open_tickets_cannot_be_deleted(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    group = client.post(f"{API}/groups", json={"name": "VIP"}, headers=auth).get_json()
    ticket = new_ticket(group_id=group["id"], status="solved")
    refused = client.delete(f"{API}/groups/{group['id']}", headers=auth)
    assert refused.status_code == 409
    client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "closed"}, headers=auth)
    assert client.delete(f"{API}/groups/{group['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()["group_id"] is None


def test_saved_views_store_filters_and_list_their_tickets(workspace: Workspace) -> None:
    client, auth = workspace.client, workspace.auth
    client.post(f"{API}/fields", json={
        "key": "reason", "type": "dropdown", "titles": {"en": "Reason", "zh": "原因"},
        "options": [{"value": "late", "titles": {"en": "Late", "zh": "延误"}}],
    }, headers=auth)
    for n in range(5):
        workspace.ticket(subject=f"urgent {n}", priority="urgent", custom_fields={"reason": "late"})
    workspace.ticket(subject="calm", priority="low")
    created = client.post(f"{API}/views", json={
        "name": "Urgent and late", "filters": {"priority": ["urgent"], "cf": {"reason": "late"}},
        "sort": "number",
    }, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    view = created.get_json()
    assert view["id"].startswith("view_")
    assert view["filters"] == {"priority": ["urgent"], "cf": {"reason": "late"}}
    first = client.get(f"{API}/views/{view['id']}/tickets?limit=3", headers=auth).get_json()
    rest = client.get(f"{API}/views/{view['id']}/tickets?limit=3&cursor={first['next_cursor']}", headers=auth).get_json()
    assert [t["subject"] for t in first["items"] + rest["items"]] == [f"urgent {n}" for n in range(5)]
    assert rest["next_cursor"] is None

    changed = client.patch(f"{API}/views/{view['id']}", json={"filters": {"priority": ["low"]}, "sort": "-number"}, headers=auth)
    assert changed.get_json()["filters"] == {"priority": ["low"]}
    calm = client.get(f"{API}/views/{view['id']}/tickets", headers=auth).get_json()["items"]
    assert [t["subject"] for t in calm] == ["calm"]
    wrong_cursor = client.get(f"{API}/views/{view['id']}/tickets?cursor={first['next_cursor']}", headers=auth)
    assert wrong_cursor.status_code == 422  # a cursor of another sort
    assert client.delete(f"{API}/views/{view['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/views/{view['id']}", headers=auth).status_code == 404


def test_views_refuse_filters_the_list_would_refuse(client: FlaskClient, auth: dict[str, str]) -> None:
    resp = client.post(f"{API}/views", json={
        "name": "", "filters": {"status": ["lost"], "size": 3}, "sort": "random",
    }, headers={**auth, "Accept-Language": "zh"})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors["name"] == ["长度必须在 1 到 100 之间。"]
    assert errors["filters"] == {"status": {"0": ["必须是以下之一：new, open, pending, on_hold, solved, closed。"]},
                                 "size": ["未知字段。"]}
    assert "sort" in errors
