"""Ticket numbers: per workspace, from 1, without gaps or duplicates when created at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from flask.testing import FlaskClient

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
