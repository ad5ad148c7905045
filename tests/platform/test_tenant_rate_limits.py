"""Per-tenant rate limits: one merchant's flood never costs another a single request.

Counters live in the real Redis of the run (one database per xdist worker). Limits here are per
hour or per day so that no window rolls over during a test.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from ccokit.platform.kernel import current_kernel
from ccokit.tenants.models import Tenant
from ccokit.tenants.plans import PLANS
from tests.conftest import bearer, issue_token, signup

MEMBER = {"display_name": "Agent", "role": "agent", "password": "x" * 12}


def _rate_headers(resp: object) -> dict[str, int]:
    headers = resp.headers  # type: ignore[attr-defined]
    return {name: int(headers[name]) for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")}


def test_a_tenant_held_at_three_times_its_limit_costs_another_tenant_nothing(
    build: Callable[..., Flask],
) -> None:
    limit = 10
    app = build(tenant_rate_limit=f"{limit} per hour")
    client = app.test_client()
    a, b = signup(client), signup(client)
    token_a, token_b = issue_token(client, a), issue_token(client, b)

    a_statuses: list[int] = []
    b_statuses: list[int] = []
    for i in range(3 * limit):
        resp = client.get("/api/v1/tenant", headers=bearer(token_a))
        a_statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert resp.mimetype == "application/problem+json"
            assert int(resp.headers["Retry-After"]) >= 1
            assert resp.headers["RateLimit-Remaining"] == "0"
        if i % 3 == 2:  # B spends exactly its own budget, interleaved with A's flood
            b_statuses.append(client.get("/api/v1/tenant", headers=bearer(token_b)).status_code)

    assert a_statuses.count(200) == limit
    assert a_statuses.count(429) == 2 * limit
    assert b_statuses == [200] * limit
    assert b_statuses.count(429) == 0


def test_concurrent_floods_over_real_sockets_stay_within_the_flooding_tenant(build: Callable[..., Flask]) -> None:
    """A floods from eight connections at once while B works: A gets exactly its budget, B all."""
    limit = 40
    app = build(tenant_rate_limit=f"{limit} per hour")
    client = app.test_client()
    a, b = signup(client), signup(client)
    token_a, token_b = issue_token(client, a), issue_token(client, b)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/tenant"
    try:
        with httpx.Client(timeout=30) as http:
            def call(token: str) -> int:
                return http.get(url, headers=bearer(token)).status_code

            with ThreadPoolExecutor(max_workers=10) as pool:
                a_calls = [pool.submit(call, token_a) for _ in range(3 * limit)]
                b_calls = [pool.submit(call, token_b) for _ in range(limit)]
                a_statuses = [f.result() for f in a_calls]
                b_statuses = [f.result() for f in b_calls]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert a_statuses.count(200) == limit  # the Redis counter is atomic across threads
    assert a_statuses.count(429) == 2 * limit
    assert b_statuses.count(429) == 0
    assert b_statuses == [200] * limit


def test_the_budget_is_the_tenants_not_the_tokens(build: Callable[..., Flask]) -> None:
    """A second token of the same tenant draws from the same budget (minting tokens buys nothing)."""
    app = build(tenant_rate_limit="4 per hour")
    client = app.test_client()
    shop = signup(client)
    first, second = issue_token(client, shop), issue_token(client, shop)
    statuses = [client.get("/api/v1/tenant", headers=bearer(t)).status_code for t in (first, second) * 3]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_the_limit_comes_from_the_plan(build: Callable[..., Flask]) -> None:
    app = build(tenant_rate_limit=None)
    client = app.test_client()
    shop = signup(client)
    token = issue_token(client, shop)
    first = _rate_headers(client.get("/api/v1/tenant", headers=bearer(token)))
    assert first["RateLimit-Limit"] == PLANS["free"].requests_per_minute
    assert first["RateLimit-Remaining"] == PLANS["free"].requests_per_minute - 1
    assert 0 <= first["RateLimit-Reset"] <= 60
    second = _rate_headers(client.post("/api/v1/members", json={**MEMBER, "email": "m@x.example"},
                                       headers=bearer(token)))
    assert second["RateLimit-Remaining"] == first["RateLimit-Remaining"] - 1  # one budget for all routes

    with current_kernel(app).db.transaction() as session:
        tenant = session.get(Tenant, shop.tenant_id)
        assert tenant is not None
        tenant.plan = "standard"
    upgraded = _rate_headers(client.get("/api/v1/tenant", headers=bearer(token)))
    assert upgraded["RateLimit-Limit"] == PLANS["standard"].requests_per_minute


def test_public_calls_are_limited_per_ip_and_do_not_touch_tenant_budgets(build: Callable[..., Flask]) -> None:
    app = build(public_rate_limit="3 per hour", tenant_rate_limit="100 per hour")
    client = app.test_client()
    shop = signup(client)  # one public call
    token = issue_token(client, shop)
    other_ip = {"REMOTE_ADDR": "192.0.2.7"}
    statuses = [client.get("/api/openapi.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/api/openapi.json", headers={"Accept-Language": "zh"})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["title"] == "请求过于频繁"
    assert "3" in refused.get_json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    # Another address still gets in, and the tenant's calls from the throttled address too.
    assert client.get("/api/openapi.json", environ_base=other_ip).status_code == 200
    assert client.get("/api/v1/tenant", headers=bearer(token)).status_code == 200


def test_a_tenant_refusal_names_the_limit_in_the_callers_language(build: Callable[..., Flask]) -> None:
    app = build(tenant_rate_limit="1 per hour")
    client = app.test_client()
    token = issue_token(client, signup(client))
    assert client.get("/api/v1/tenant", headers=bearer(token)).status_code == 200
    en = client.get("/api/v1/tenant", headers=bearer(token)).get_json()
    zh = client.get("/api/v1/tenant", headers={**bearer(token), "Accept-Language": "zh-CN"}).get_json()
    assert en["status"] == zh["status"] == 429
    assert en["type"] == "https://ccokit.dev/problems/too-many-requests"
    assert "1 API calls per 3600 seconds" in en["detail"]
    assert "每 3600 秒最多调用 API 1 次" in zh["detail"]


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_redis_down_requests_are_served_and_limits_fall_back_per_process(
    build: Callable[..., Flask], client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    shop = signup(client)  # provisioned through the healthy app
    dead = f"redis://127.0.0.1:{_unused_port()}/0"
    app = build(redis_url=dead, tenant_rate_limit="5 per hour")
    down = app.test_client()
    token = issue_token(down, shop)
    with caplog.at_level(logging.INFO):
        statuses = [down.get("/api/v1/tenant", headers=bearer(token)).status_code for _ in range(4)]
        created = down.post("/api/v1/members", json={**MEMBER, "email": "down@x.example"}, headers=bearer(token))
    assert statuses == [200, 200, 200, 200]
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["RateLimit-Remaining"] == "0"  # counted in this process's memory
    assert down.get("/api/v1/tenant", headers=bearer(token)).status_code == 429
    warnings = [r.getMessage() for r in caplog.records if r.name == "ccokit.platform.rate_limits"]
    assert any("rate_limit_storage=unavailable" in m for m in warnings)
