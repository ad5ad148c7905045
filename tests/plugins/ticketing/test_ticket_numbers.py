"""Ticket numbers: per workspace, from 1, never reused, without gaps or duplicates when created at
once; on PostgreSQL the counter is not locked for the length of a creating transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.services.numbering import next_number
from tests.conftest import LiveServer, bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API


def test_concurrent_creations_get_distinct_consecutive_numbers(live_server: LiveServer) -> None:
    client: FlaskClient = live_server.app.test_client()
    tenant = signup(client)
    auth = bearer(issue_token(client, tenant))
    other_auth = bearer(issue_token(client, signup(client)))

    def create(n: int) -> int:
        with requests.Session() as http:
            resp = http.post(f"{live_server.url}{API}/tickets", json={"subject": f"rush {n}"}, headers=auth, timeout=30)
            assert resp.status_code == 201, resp.text
            return int(resp.json()["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert sorted(numbers) == list(range(1, 41))
    other = client.post(f"{API}/tickets", json={"subject": "elsewhere"}, headers=other_auth).get_json()
    assert other["number"] == 1  # every workspace counts on its own


def test_a_refused_creation_gives_its_number_back(client: FlaskClient, auth: dict[str, str]) -> None:
    client.post(f"{API}/fields", json={
        "key": "order_amount", "type": "number", "required": True, "titles": {"en": "A", "zh": "金额"},
    }, headers=auth)
    assert client.post(f"{API}/tickets", json={"subject": "no amount"}, headers=auth).status_code == 422
    created = client.post(f"{API}/tickets", json={"subject": "ok", "custom_fields": {"order_amount": 1}}, headers=auth)
    assert created.get_json()["number"] == 1


class _RolledBack(Exception):
    pass


def _take_and_roll_back(db: Any, tenant_id: uuid.UUID, meanwhile: Callable[[], None] = lambda: None) -> int:
    """Take a number in a transaction that fails afterwards; ``meanwhile`` runs while it is open."""
    taken = []
    try:
        with db.transaction(tenant_id) as session:
            taken.append(next_number(session))
            meanwhile()
            raise _RolledBack
    except _RolledBack:
        pass
    return taken[0]


def _take(db: Any, tenant_id: uuid.UUID, lock_timeout: str | None = None) -> int:
    with db.transaction(tenant_id) as session:
        if lock_timeout:
            session.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
        return next_number(session)


def test_an_open_creation_does_not_hold_the_counter_and_a_failed_one_leaves_its_number(app: Flask) -> None:
    """PostgreSQL: the number comes from a side transaction, so a second creation does not wait
    for the first to commit (a 2 s lock timeout would fail it), and a creation that fails after
    taking its number leaves the number unused rather than handing it out twice."""
    client = app.test_client()
    tenant = signup(client)
    db = current_kernel(app).db
    meanwhile: list[int] = []
    taken = _take_and_roll_back(db, tenant.tenant_id, lambda: meanwhile.append(_take(db, tenant.tenant_id, "2s")))
    assert meanwhile == [taken + 1]
    assert _take(db, tenant.tenant_id) == taken + 2
    auth = bearer(issue_token(client, tenant))
    created = client.post(f"{API}/tickets", json={"subject": "after"}, headers=auth).get_json()
    assert created["number"] == taken + 3


def test_a_number_taken_on_sqlite_is_given_back_when_the_creation_rolls_back(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    tenant = signup(client)
    db = current_kernel(sqlite_app).db
    assert _take_and_roll_back(db, tenant.tenant_id) == 1
    assert _take(db, tenant.tenant_id) == 1


def test_the_number_function_keeps_a_scoped_transaction_to_its_tenant(app: Flask) -> None:
    """PostgreSQL's ``ccokit_next_ticket_number`` refuses another tenant inside a transaction
    scoped to one, changes nothing then, and leaves the caller's scope as it was."""
    client = app.test_client()
    mine, theirs = signup(client), signup(client)
    db = current_kernel(app).db
    _take(db, theirs.tenant_id)  # their counter row exists: 1
    call = text("SELECT ccokit_next_ticket_number(:tenant, 'tickets')")
    setting = text("SELECT current_setting('ccokit.tenant_id')")

    with db.transaction(mine.tenant_id) as session:
        assert session.scalar(call, {"tenant": mine.tenant_id}) == 1
        assert session.scalar(setting) == str(mine.tenant_id)
    with pytest.raises(DBAPIError, match="scoped to another tenant"), db.transaction(mine.tenant_id) as session:
        session.scalar(call, {"tenant": theirs.tenant_id})
    assert _take(db, theirs.tenant_id) == 2  # their counter did not move
    assert _take(db, mine.tenant_id) == 2
