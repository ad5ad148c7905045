"""Comments: replies and internal notes, and what they do to the ticket's status and clocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TenantInfo
from tests.plugins.ticketing.conftest import API, events_of

NewTicket = Callable[..., dict[str, Any]]


def _comment(client: FlaskClient, auth: dict[str, str], ticket: dict[str, Any], **body: Any) -> Any:
    return client.post(f"{API}/tickets/{ticket['id']}/comments", json=body, headers=auth)


def test_the_first_public_agent_reply_opens_the_ticket_and_stops_the_first_reply_clock(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    note = _comment(client, auth, ticket, body="Checking with the warehouse", public=False)
    assert note.status_code == 201
    after_note = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert (after_note["status"], after_note["first_replied_at"]) == ("new", None)
    assert after_note["version"] == 2  # the note still changed the ticket (updated_at)

    reply = _comment(client, auth, ticket, body="您好，已为您催促仓库发货。")
    assert reply.status_code == 201
    body = reply.get_json()
    assert (body["author_kind"], body["public"], body["id"][:4]) == ("agent", True, "cmt_")
    replied = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert replied["status"] == "open"
    assert replied["first_replied_at"] == body["created_at"]

    _comment(client, auth, ticket, body="Second reply")
    again = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert again["first_replied_at"] == body["created_at"]
    assert [c["body"] for c in again["comments"]] == [
        "Checking with the warehouse", "您好，已为您催促仓库发货。", "Second reply",
    ]


def test_a_customer_reply_reopens_a_solved_ticket(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(requester={"name": "Li Lei", "email": "li@buyer.example"})
    client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "solved"}, headers=auth)
    resp = _comment(client, auth, ticket, body="还是没收到", author_kind="customer")
    assert resp.status_code == 201
    assert resp.get_json()["author_name"] == "Li Lei"
    reopened = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert (reopened["status"], reopened["solved_at"]) == ("open", None)
    assert [t for t, _ in events_of(app, tenant, "ticket.reopened")] == ["ticket.reopened"]
    added = [p for t, p in events_of(app, tenant, "comment.added")]
    assert added[-1]["comment"]["author_kind"] == "customer"
    assert added[-1]["ticket_number"] == ticket["number"]


def test_a_customer_note_on_a_new_ticket_leaves_the_status(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    _comment(client, auth, ticket, body="More details", author_kind="customer")
    after = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert (after["status"], after["first_replied_at"]) == ("new", None)


def test_comments_are_refused_on_closed_tickets_and_checked(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    ticket = new_ticket(status="solved")
    client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "closed"}, headers=auth)
    closed = _comment(client, auth, ticket, body="late", )
    assert closed.status_code == 422
    assert closed.get_json()["errors"] == {"body": ["This ticket is closed; it cannot change any more."]}
    open_ticket = new_ticket()
    bad = _comment(client, auth, open_ticket, body="", author_kind="robot", author_id="x")
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"body", "author_kind"}
    wrong_id = _comment(client, auth, open_ticket, body="hi", author_kind="customer", author_id="mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B")
    assert wrong_id.status_code == 422
    assert wrong_id.get_json()["errors"] == {"author_id": ["Not a valid author id (cus_…)."]}


def test_comments_page_with_a_cursor(client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket) -> None:
    ticket = new_ticket()
    for n in range(5):
        _comment(client, auth, ticket, body=f"c{n}", public=False)
    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = client.get(f"{API}/tickets/{ticket['id']}/comments{query}", headers=auth).get_json()
        seen += [c["body"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"c{n}" for n in range(5)]
