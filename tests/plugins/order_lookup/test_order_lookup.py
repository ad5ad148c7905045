"""order_lookup against a real HTTP order system on loopback: answers, outages and nonsense."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import TenantInfo, bearer, issue_token

GOOD = {
    "order_number": "A1001",
    "status": "shipped",
    "items": [{"name": "黄油面包", "quantity": 2}],
    "carrier": "SF Express",
    "tracking_number": "SF123",
    "estimated_delivery": "2026-11-25",
    "internal_margin": 0.4,
}


class OrderSystem:
    """A merchant's order system whose behaviour each test chooses."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.path)
        number = request.path.rsplit("/", 1)[-1]
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "missing":
            response = Response("no", status=404)
        elif self.mode == "error":
            response = Response("boom", status=500)
        elif self.mode == "html":
            response = Response("<html>maintenance</html>", content_type="text/html")
        elif self.mode == "wrong_shape":
            response = Response(json.dumps({"order_number": number, "status": "teleported", "items": "x"}))
        else:
            response = Response(json.dumps({**GOOD, "order_number": number}), content_type="application/json")
        return response(environ, start_response)


@pytest.fixture
def order_system() -> Iterator[tuple[OrderSystem, str]]:
    system = OrderSystem()
    server = make_server("127.0.0.1", 0, system, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield system, f"http://127.0.0.1:{server.server_port}/api/orders"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _configure(client: FlaskClient, token: str, **settings: Any) -> None:
    assert client.post("/api/v1/plugins/order_lookup/enable", headers=bearer(token)).status_code == 200
    resp = client.put("/api/v1/plugins/order_lookup/settings", json={"settings": settings}, headers=bearer(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_disabled_by_default_and_404_until_enabled(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    assert client.get("/api/v1/order_lookup/orders/A1001", headers=bearer(token)).status_code == 404


def test_an_order_is_answered_checked_and_translated(
    client: FlaskClient, tenant: TenantInfo, token: str, order_system: tuple[OrderSystem, str]
) -> None:
    system, url = order_system
    _configure(client, token, orders_url=url, timeout_seconds=1)
    resp = client.get("/api/v1/order_lookup/orders/A1001", headers={**bearer(token), "Accept-Language": "zh"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    order = resp.get_json()
    assert order["status"] == "shipped"
    assert order["status_text"] == "已发货"
    assert order["items"] == [{"name": "黄油面包", "quantity": 2}]
    assert "internal_margin" not in order
    assert system.requests == ["/api/orders/A1001"]


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        ("missing", 404, "no order A1001"),
        ("error", 502, "HTTP 500"),
        ("html", 502, "not an order"),
        ("wrong_shape", 502, "not an order"),
        ("slow", 504, "within 1 s"),
    ],
)
def test_every_failure_of_the_order_system_is_a_clear_problem(
    client: FlaskClient, token: str, order_system: tuple[OrderSystem, str], mode: str, status: int, words: str
) -> None:
    system, url = order_system
    system.mode = mode
    _configure(client, token, orders_url=url, timeout_seconds=1)
    resp = client.get("/api/v1/order_lookup/orders/A1001", headers=bearer(token))
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json"
    assert words in resp.get_json()["detail"]
    assert "teleported" not in resp.get_data(as_text=True) or mode == "wrong_shape"


def test_an_unreachable_system_and_a_missing_setting(client: FlaskClient, token: str) -> None:
    _configure(client, token, orders_url=None)
    resp = client.get("/api/v1/order_lookup/orders/A1001", headers=bearer(token))
    assert resp.status_code == 409
    assert "orders_url" in resp.get_json()["detail"]
    _configure(client, token, orders_url="http://127.0.0.1:1/orders", timeout_seconds=1)
    resp = client.get("/api/v1/order_lookup/orders/A1001", headers=bearer(token))
    assert resp.status_code == 502
    assert "cannot be reached" in resp.get_json()["detail"]


def test_settings_and_order_numbers_are_validated(client: FlaskClient, token: str) -> None:
    assert client.post("/api/v1/plugins/order_lookup/enable", headers=bearer(token)).status_code == 200
    resp = client.put(
        "/api/v1/plugins/order_lookup/settings",
        json={"settings": {"orders_url": "ftp://orders.example", "timeout_seconds": 99}},
        headers=bearer(token),
    )
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]["settings"]) == {"orders_url", "timeout_seconds"}
    resp = client.get("/api/v1/order_lookup/orders/bad%20number!", headers=bearer(token))
    assert resp.status_code == 422


def test_each_tenant_asks_its_own_order_system(
    client: FlaskClient, make_tenant: Any, order_system: tuple[OrderSystem, str]
) -> None:
    system, url = order_system
    a, b = make_tenant(), make_tenant()
    token_a, token_b = issue_token(client, a), issue_token(client, b)
    _configure(client, token_a, orders_url=url, timeout_seconds=1)
    assert client.get("/api/v1/order_lookup/orders/A1", headers=bearer(token_b)).status_code == 404
    assert client.get("/api/v1/order_lookup/orders/A1", headers=bearer(token_a)).status_code == 200
    assert system.requests == ["/api/orders/A1"]
