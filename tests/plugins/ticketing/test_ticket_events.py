"""Ticket writes publish their events in their own transaction, and call the plugin's listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ccokit.plugins.ticketing.services import changes, tickets
from tests.conftest import TenantInfo
from tests.plugins.ticketing.conftest import API, events_of

NewTicket = Callable[..., dict[str, Any]]


def test_a_ticket_s_life_publishes_its_events(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    member = tenant.signup["owner"]["id"]
    ticket = new_ticket(assignee_id=member, priority="high")
    url = f"{API}/tickets/{ticket['id']}"
    client.patch(url, json={"status": "solved", "tags": ["done"]}, headers=auth)
    client.patch(url, json={"status": "open"}, headers=auth)
    client.patch(url, json={"status": "solved"}, headers=auth)
    client.patch(url, json={"status": "closed"}, headers=auth)
    published = events_of(app, tenant, "ticket.")
    assert [t for t, _ in published] == [
        "ticket.created", "ticket.assigned",
        "ticket.updated", "ticket.solved",
        "ticket.updated", "ticket.reopened",
        "ticket.updated", "ticket.solved",
        "ticket.updated", "ticket.closed",
    ]
    created = published[0][1]
    assert created["ticket"]["id"] == ticket["id"]
    assert (created["ticket"]["assignee_id"], created["via"], created["actor"]) == (
        member, "api", {"kind": "app", "id": None},
    )
    assert published[1][1]["previous_assignee_id"] is None
    assert published[2][1]["changes"] == {
        "status": {"old": "new", "new": "solved"}, "tags": {"old": [], "new": ["done"]},
    }
    assert published[9][1]["merged_into_id"] is None


def test_a_refused_write_publishes_nothing(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    before = events_of(app, tenant)
    resp = client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "closed"}, headers=auth)
    assert resp.status_code == 422
    assert events_of(app, tenant) == before


def test_listeners_run_in_the_write_s_transaction_and_may_change_the_ticket_again(
    monkeypatch: pytest.MonkeyPatch, client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    seen: list[tuple[str, bool, bool, list[str]]] = []

    def tag_solved(write: changes.TicketWrite) -> None:
        seen.append((write.via, write.created, write.comment is not None, sorted(write.changes)))
        if write.via != "trigger" and write.changes.get("status", (None, None))[1] == "solved":
            tickets.update_ticket(
                write.session, write.ticket, {"add_tags": ["auto-solved"]},
                actor=changes.SYSTEM, via="trigger", publish=write.publish,
            )

    monkeypatch.setattr(changes, "on_ticket_changed", [tag_solved])
    ticket = new_ticket()
    client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": "Done"}, headers=auth)
    resp = client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "solved"}, headers=auth)
    assert resp.get_json()["tags"] == ["auto-solved"]  # the listener's change is in the answer
    assert resp.get_json()["version"] == 4
    assert seen[0][:3] == ("api", True, False)
    assert seen[1] == ("api", False, True, ["first_replied_at", "status"])
    assert seen[2:] == [("api", False, False, ["status"]), ("trigger", False, False, ["tags"])]
    history = client.get(f"{API}/tickets/{ticket['id']}/history", headers=auth).get_json()["items"]
    assert (history[-1]["field"], history[-1]["via"], history[-1]["actor_kind"]) == ("tags", "trigger", "system")
