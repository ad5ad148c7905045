"""Requesters become customer profiles when the customers plugin is there, and tickets follow
what happens to those profiles (merges, erasure)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services import customer_events, other_plugins
from ccokit_sdk.events import Event
from ccokit_sdk.ids import decode_public_id, encode_public_id
from ccokit_sdk.models import utcnow
from tests.conftest import TenantInfo
from tests.plugins.ticketing.conftest import API

NewTicket = Callable[..., dict[str, Any]]
CUSTOMERS = "/api/v1/customers/customers"


def test_a_requester_is_resolved_to_one_customer_profile(
    client: FlaskClient, auth: dict[str, str], new_ticket: NewTicket
) -> None:
    first = new_ticket(requester={"email": "Mei@Buyer.example", "name": "Mei"})
    customer_id = first["requester"]["customer_id"]
    assert customer_id.startswith("cus_")
    profile = client.get(f"{CUSTOMERS}/{customer_id}", headers=auth)
    assert profile.status_code == 200
    again = new_ticket(requester={"email": "mei@buyer.example"})
    assert again["requester"]["customer_id"] == customer_id
    assert again["requester"]["name"] == "Mei"  # taken from the profile
    by_id = new_ticket(requester={"customer_id": customer_id})
    assert by_id["requester"]["customer_id"] == customer_id
    mine = client.get(f"{API}/tickets?customer_id={customer_id}", headers=auth).get_json()["items"]
    assert {t["id"] for t in mine} == {first["id"], again["id"], by_id["id"]}


def test_an_unknown_customer_id_is_refused(client: FlaskClient, auth: dict[str, str]) -> None:
    resp = client.post(f"{API}/tickets", json={
        "subject": "x", "requester": {"customer_id": "cus_01JD3M6ZK7Q3XG5W2V8N4T9R1B"},
    }, headers={**auth, "Accept-Language": "zh"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"requester": {"customer_id": ["没有该编号的客户。"]}}


def test_without_the_customers_plugin_the_requester_is_kept_as_given(
    monkeypatch: pytest.MonkeyPatch, new_ticket: NewTicket
) -> None:
    def absent(name: str) -> object:
        raise LookupError(name)

    monkeypatch.setattr(other_plugins.SERVICES, "_lookup", absent)
    ticket = new_ticket(requester={"email": "solo@buyer.example", "name": "Solo", "phone": "+86 21 5555 0000"})
    assert ticket["requester"] == {
        "email": "solo@buyer.example", "name": "Solo", "phone": "+86 21 5555 0000", "customer_id": None,
    }


def test_tickets_follow_a_customer_merge(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    keep = new_ticket(requester={"email": "keep@buyer.example"})["requester"]["customer_id"]
    moved = [new_ticket(requester={"email": "dup@buyer.example"}) for _ in range(2)]
    gone = moved[0]["requester"]["customer_id"]
    resp = client.post(f"{CUSTOMERS}/{keep}/merge", json={"source_id": gone}, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    run_pending(current_kernel(app), tenant_id=tenant.tenant_id)
    for ticket in moved:
        now = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
        assert now["requester"]["customer_id"] == keep
        history = client.get(f"{API}/tickets/{ticket['id']}/history", headers=auth).get_json()["items"]
        assert (history[-1]["field"], history[-1]["old"], history[-1]["new"], history[-1]["via"]) == (
            "customer_id", gone, keep, "system",
        )


def test_erasure_blanks_the_person_on_tickets_comments_and_history(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(requester={"email": "erase@buyer.example", "name": "Erin", "phone": "+86 10 1234 5678"})
    other = new_ticket(requester={"email": "stay@buyer.example", "name": "Stay"})
    customer = ticket["requester"]["customer_id"]
    client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": "我的地址是…", "author_kind": "customer"}, headers=auth)
    client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": "Noted", "author_name": "Agent Wu"}, headers=auth)
    resp = client.post(f"{CUSTOMERS}/{customer}/erase", headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    run_pending(current_kernel(app), tenant_id=tenant.tenant_id)

    erased = client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()
    assert erased["requester"] == {"name": None, "email": None, "phone": None, "customer_id": customer}
    assert [c["author_name"] for c in erased["comments"]] == ["", "Agent Wu"]
    history = client.get(f"{API}/tickets/{ticket['id']}/history", headers=auth).get_json()["items"]
    personal = [h for h in history if h["field"].startswith("requester_")]
    assert personal
    assert all(h["old"] is None and h["new"] is None for h in personal)
    kept = client.get(f"{API}/tickets/{other['id']}", headers=auth).get_json()
    assert kept["requester"]["name"] == "Stay"


def test_erasure_replaces_the_person_where_they_were_written_into_text(
    app: Flask, client: FlaskClient, auth: dict[str, str], tenant: TenantInfo, new_ticket: NewTicket
) -> None:
    ticket = new_ticket(
        subject="王芳的快递没到", description="电话 138-0013-8000，邮箱 WangFang@Buyer.example，订单 E123",
        requester={"email": "wangfang@buyer.example", "name": "王芳", "phone": "+86 138 0013 8000"},
    )
    other = new_ticket(subject="王芳 is also a colleague's name", requester={"email": "stay@buyer.example"})
    url = f"{API}/tickets/{ticket['id']}"
    client.post(f"{url}/comments", json={"body": "I am 王芳, call 13800138000", "author_kind": "customer"},
                headers=auth)
    client.post(f"{url}/comments", json={"body": "Called +86 13800138000, left a message", "public": False},
                headers=auth)
    client.patch(url, json={"description": "已改：联系 wangfang@buyer.example"}, headers=auth)
    version = client.get(url, headers=auth).get_json()["version"]
    customer = ticket["requester"]["customer_id"]
    assert client.post(f"{CUSTOMERS}/{customer}/erase", headers=auth).status_code == 200
    run_pending(current_kernel(app), tenant_id=tenant.tenant_id)

    erased = client.get(url, headers=auth).get_json()
    assert erased["subject"] == "[erased]的快递没到"
    assert erased["description"] == "已改：联系 [erased]"
    assert [c["body"] for c in erased["comments"]] == [
        "I am [erased], call [erased]", "Called [erased], left a message",
    ]
    assert erased["version"] == version + 1
    history = client.get(f"{url}/history", headers=auth).get_json()["items"]
    texts = " ".join(str(h["old"]) + str(h["new"]) for h in history if h["field"] in ("subject", "description"))
    assert "13800138000" not in texts.replace("-", "")
    assert "wangfang" not in texts.lower()
    assert "王芳" not in texts
    for words in ("13800138000", "wangfang", "王芳"):
        hits = client.get(f"{API}/search", query_string={"q": words}, headers=auth).get_json()["items"]
        assert ticket["id"] not in [h["id"] for h in hits], words
    # Another person's ticket keeps its text, even where it holds the same characters.
    assert client.get(f"{API}/tickets/{other['id']}", headers=auth).get_json()["subject"] == (
        "王芳 is also a colleague's name")


class _HandlerContext:
    def __init__(self, tenant_id: uuid.UUID, session: Any) -> None:
        self.tenant_id = tenant_id
        self.session = session
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, event_type: str, payload: dict[str, Any]) -> uuid.UUID:
        self.published.append((event_type, dict(payload)))
        return uuid.uuid4()


def test_the_handlers_give_the_same_result_when_run_twice(
    app: Flask, tenant: TenantInfo, new_ticket: NewTicket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(other_plugins.SERVICES, "_lookup", None)
    source, target = uuid.uuid4(), uuid.uuid4()
    ticket = new_ticket(requester={"customer_id": encode_public_id("cus", source), "name": "Ann"})
    merged = Event(uuid.uuid4(), "customer.merged", tenant.tenant_id, utcnow(), {
        "customer_id": encode_public_id("cus", target), "merged_id": encode_public_id("cus", source),
    })
    erased = Event(uuid.uuid4(), "customer.erased", tenant.tenant_id, utcnow(), {
        "customer_id": encode_public_id("cus", target),
    })
    db = current_kernel(app).db
    for attempt in range(2):
        with db.transaction(tenant.tenant_id) as session:
            ctx = _HandlerContext(tenant.tenant_id, session)
            customer_events.on_customer_merged(merged, ctx)
            customer_events.on_customer_erased(erased, ctx)
            assert [t for t, _ in ctx.published] == (["ticket.updated"] if attempt == 0 else [])
    with db.transaction(tenant.tenant_id) as session:
        row = session.get(Ticket, (tenant.tenant_id, decode_public_id("tkt", ticket["id"])))
        assert row is not None
        assert (row.customer_id, row.requester_name, row.version) == (target, None, 3)  # moved, erased
