"""The number of SQL statements a read issues does not grow with the data it returns.

A listener on the engine counts every statement sent while one request runs. A ticket with 3 or
with 30 comments, and a page of 5 or of 50 tickets, must cost exactly the same number, so that a
deep page or a long conversation never turns into N+1 queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from ccokit.platform.kernel import current_kernel
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, insert_tickets


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = current_kernel(app).db.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _cost(app: Flask, client: FlaskClient, url: str, auth: dict[str, str]) -> int:
    client.get(url, headers=auth)  # warm: first-request work (caches, lazy setup) is not measured
    with counting(app) as statements:
        resp = client.get(url, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return len(statements)


def _workspace(app: Flask) -> tuple[FlaskClient, TenantInfo, dict[str, str]]:
    client = app.test_client()
    tenant = signup(client)
    return client, tenant, bearer(issue_token(client, tenant))


def test_one_ticket_with_3_or_30_comments_costs_the_same(app: Flask) -> None:
    """The answer nests the ticket's running SLA clocks too (one more query, whatever their number)."""
    client, _tenant, auth = _workspace(app)
    policy = client.post(f"{API}/sla-policies", json={"key": "standard", "title": "Standard", "targets": [
        {"priority": "normal", "metric": metric, "minutes": 60} for metric in ("first_reply", "next_reply", "resolution")
    ]}, headers=auth)
    assert policy.status_code == 201, policy.get_data(as_text=True)
    costs = []
    for n in (3, 30):
        ticket = client.post(f"{API}/tickets", json={"subject": f"{n} comments"}, headers=auth).get_json()
        for i in range(n):
            client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": f"c{i}"}, headers=auth)
        url = f"{API}/tickets/{ticket['id']}"
        body = client.get(url, headers=auth).get_json()
        assert len(body["comments"]) == n
        assert body["sla"]["clocks"], "the ticket should have running clocks to summarise"
        costs.append(_cost(app, client, url, auth))
    assert costs[0] == costs[1]


def test_a_page_of_5_or_50_tickets_costs_the_same(app: Flask) -> None:
    costs: dict[str, list[int]] = {}
    for n in (5, 50):
        client, tenant, auth = _workspace(app)
        client.post(f"{API}/fields", json={
            "key": "order_amount", "type": "number", "titles": {"en": "Amount", "zh": "金额"},
        }, headers=auth)
        insert_tickets(app, tenant, [
            {"tags": ["vip"], "custom_fields": {"order_amount": 1}} for _ in range(n)
        ])
        view = client.post(f"{API}/views", json={"name": "VIP", "filters": {"tag": ["vip"]}}, headers=auth).get_json()
        for name, url in {
            "plain": f"{API}/tickets?limit=100",
            "filtered": f"{API}/tickets?limit=100&status=open&tag=vip&sort=-updated_at&cf.order_amount=1",
            "view": f"{API}/views/{view['id']}/tickets?limit=100",
        }.items():
            assert len(client.get(url, headers=auth).get_json()["items"]) == n, name
            costs.setdefault(name, []).append(_cost(app, client, url, auth))
    for name, (small, large) in costs.items():
        assert small == large, name


def test_creating_a_ticket_for_a_new_shopper_costs_six_statements(app: Flask) -> None:
    """PostgreSQL: the tenant's row, the requester (looked up and created in one), the number,
    the ticket with its search row, the history rows and the events; nothing read back, since
    the new ticket joins the session with every column set. The row is searchable at once."""
    client, _tenant, auth = _workspace(app)

    def create(email: str) -> Any:
        return client.post(f"{API}/tickets", headers=auth, json={
            "subject": "蓝牙耳机 破损", "description": "The left earbud arrived cracked",
            "requester": {"email": email}, "channel": "chat", "category": "after_sales",
        })

    warm = create("warm@shop.cn")
    assert warm.status_code == 201
    with counting(app) as statements:
        resp = create("new@shop.cn")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert len(statements) == 6, statements
    assert resp.get_json()["version"] == 1
    found = client.get(f"{API}/search", query_string={"q": "earbud"}, headers=auth).get_json()["items"]
    assert {hit["id"] for hit in found} == {warm.get_json()["id"], resp.get_json()["id"]}
