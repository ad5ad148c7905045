"""The cross-tenant sweep: tenant B's token on tenant A's objects gets 404 and none of A's data.

The sweep reads the OpenAPI document, so a route added by the platform or any plugin joins it
without anyone editing this file. Every operation whose path has a parameter naming an object
(a prefixed public id) is called with B's token on one of A's objects. To find A's objects, the
sweep lists the collection above the parameter with A's token; a new route whose collection
lists nothing for A fails the sweep until A gets such an object in :func:`_populate`.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TenantInfo, bearer, issue_token, signup

PARAM = re.compile(r"\{([^}]+)\}")
#: Path parameters that name a kind of thing every tenant has, not an object of one tenant.
NOT_OBJECTS = {
    ("/api/v1/plugins/{name}", "name"),
    # An order number in the merchant's own order system, asked of each tenant's own system.
    ("/api/v1/order_lookup/orders/{order_number}", "order_number"),
    # Signed blob links carry no bearer token: the signed token names one key of one tenant, and
    # tests/platform/test_blobs.py shows an altered or foreign token gets 403 and nothing else.
    ("/api/v1/blobs/upload/{token}", "token"),
    ("/api/v1/blobs/{token}", "token"),
}
READ_ONLY = {"id", "created_at", "updated_at", "usage_count", "last_login_at", "client_id", "client_secret"}


def _populate(client: FlaskClient, token: str) -> None:
    """Give tenant A at least one object behind every collection."""
    customers = "/api/v1/customers"
    for path, body in (
        ("tiers", {"key": "a_secret", "name": "A's secret tier", "rank": 50}),
        ("customers", {"name": "A's secret", "emails": ["shopper@a.example"], "tier": "a_secret"}),
    ):
        resp = client.post(f"{customers}/{path}", json=body, headers=bearer(token))
        assert resp.status_code == 201, resp.get_data(as_text=True)
    resp = client.post(
        "/api/v1/quick_replies/replies",
        json={"shortcut": "/secret-a", "title": "A's secret", "body": "A only"},
        headers=bearer(token),
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    # A name that does not resolve is accepted at registration (it is vetted again at each send).
    resp = client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "https://hooks.shop-a.example/ccokit", "event_types": ["*"], "description": "A's secret"},
        headers=bearer(token),
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    resp = client.post(
        "/api/v1/members",
        json={"email": "agent@a.example", "display_name": "A agent", "role": "agent", "password": "x" * 12},
        headers=bearer(token),
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    ticketing = "/api/v1/ticketing"
    for path, body in (
        ("groups", {"name": "A's secret desk"}),
        ("fields", {"key": "order_amount", "type": "number", "titles": {"en": "Amount", "zh": "金额"}}),
        ("views", {"name": "A's secret view", "filters": {"status": ["open"]}}),
        ("calendars", {"name": "A's secret calendar", "time_zone": "Asia/Shanghai",
                       "weekly_hours": {"monday": [{"start": "09:00", "end": "18:00"}]}}),
        ("sla-policies", {"key": "a-secret", "title": "A's secret", "targets": [
            {"priority": "normal", "metric": "first_reply", "minutes": 30}]}),
        ("macros", {"title": "A's secret macro", "actions": [{"action": "add_tags", "value": ["a_secret"]}]}),
        ("triggers", {"title": "A's secret trigger", "actions": [{"action": "add_tags", "value": ["a_secret"]}],
                      "conditions": {"all": [{"field": "tags", "operator": "contains", "value": "a_secret"}]}}),
        ("automations", {"title": "A's secret automation", "actions": [{"action": "add_tags", "value": ["a_secret"]}],
                         "conditions": {"all": [{"field": "hours_since.created", "operator": "gt", "value": 1},
                                                {"field": "tags", "operator": "not_contains", "value": "a_secret"}]}}),
        ("tickets", {"subject": "A's secret", "custom_fields": {"order_amount": 10}}),
    ):
        resp = client.post(f"{ticketing}/{path}", json=body, headers=bearer(token))
        assert resp.status_code == 201, resp.get_data(as_text=True)
    # An attachment on A's ticket, uploaded through its signed link (local disk) and completed.
    resp = client.post(f"{ticketing}/tickets/{resp.get_json()['id']}/attachments", headers=bearer(token),
                       json={"filename": "A's secret.txt", "content_type": "text/plain", "size": 10})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    attachment = resp.get_json()
    upload = attachment["upload"]
    sent = client.post(urlsplit(upload["url"]).path, content_type="multipart/form-data",
                       data={**upload["fields"], "file": (io.BytesIO(b"A's secret"), "a.txt", "text/plain")})
    assert sent.status_code == 204, sent.get_data(as_text=True)
    resp = client.post(f"{ticketing}/tickets/{attachment['ticket_id']}/attachments/{attachment['id']}/complete",
                       headers=bearer(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    routing = "/api/v1/routing"
    group = client.post(f"{routing}/groups", json={"name": "A's secret desk"}, headers=bearer(token))
    assert group.status_code == 201, group.get_data(as_text=True)
    queue = None
    for path, body in (
        ("queues", {"name": "A's secret queue", "group_ids": [group.get_json()["id"]]}),
        ("agents", {"id": client.get("/api/v1/members", headers=bearer(token)).get_json()["items"][0]["id"],
                    "capacity": {"chat": 3}, "group_ids": [group.get_json()["id"]]}),
    ):
        resp = client.post(f"{routing}/{path}", json=body, headers=bearer(token))
        assert resp.status_code == 201, resp.get_data(as_text=True)
        queue = queue or resp.get_json()["id"]
    resp = client.post(f"{routing}/conversations", json={"queue_id": queue, "channel": "chat",
                                                          "external_ref": "A's secret chat"}, headers=bearer(token))
    assert resp.status_code == 201, resp.get_data(as_text=True)


def _object_operations(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    ops = []
    for path, item in spec["paths"].items():
        params = PARAM.findall(path)
        if not path.startswith("/api/") or not params:
            continue
        first = params[0]
        if (path[: path.index("{" + first + "}") + len(first) + 2], first) in NOT_OBJECTS:
            continue
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method, path, first))
    return ops


def _collection(path: str, param: str) -> str:
    return path[: path.index("{" + param + "}")].rstrip("/")


def _a_object(client: FlaskClient, token: str, path: str, param: str) -> tuple[str, dict[str, Any]]:
    collection = _collection(path, param)
    resp = client.get(collection, headers=bearer(token))
    assert resp.status_code == 200, f"cannot list {collection} for tenant A: {resp.status_code}"
    items = resp.get_json().get("items") or []
    assert items, f"tenant A has no object under {collection}: extend _populate() for {path}"
    item = items[-1]
    key = "client_id" if "client_id" in item and param == "client_id" else "id"
    return str(item[key]), item


def _writable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in READ_ONLY and not isinstance(v, dict)}


def _sweep(app: Flask) -> int:
    client = app.test_client()
    a: TenantInfo = signup(client)
    b: TenantInfo = signup(client)
    token_a, token_b = issue_token(client, a), issue_token(client, b)
    _populate(client, token_a)
    spec = client.get("/api/openapi.json").get_json()
    operations = _object_operations(spec)
    assert operations, "the sweep found no operation that addresses an object"
    a_markers = {a.slug, a.public_id, a.owner_email, a.client_id, "A's secret"}
    for method, path, param in operations:
        object_id, item = _a_object(client, token_a, path, param)
        url = PARAM.sub(lambda m, oid=object_id, p=param: oid if m.group(1) == p else "x", path)
        call = getattr(client, method)
        resp = call(url, json={} if method != "get" else None, headers=bearer(token_b))
        if resp.status_code == 422 and method != "get":
            resp = call(url, json=_writable(item), headers=bearer(token_b))
        body = resp.get_data(as_text=True)
        assert resp.status_code == 404, f"{method.upper()} {path}: B got {resp.status_code}: {body}"
        assert resp.mimetype == "application/problem+json"
        leaked = {m for m in a_markers | {object_id} if m in body and m != url.rsplit("/", 1)[-1]}
        leaked.discard(object_id)  # the id B itself sent may be echoed in `instance`
        assert not leaked, f"{method.upper()} {path}: response shows A's data {leaked}"
        # A still has its object after B's attempt (B's DELETE removed nothing).
        own = client.get(f"{_collection(path, param)}/{object_id}", headers=bearer(token_a))
        assert own.status_code == 200, f"{method.upper()} {path}: A lost its object"
    return len(operations)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_tenant_b_cannot_reach_tenant_a_objects(backend: str, request: pytest.FixtureRequest) -> None:
    app: Flask = request.getfixturevalue("app" if backend == "postgres" else "sqlite_app")
    swept = _sweep(app)
    assert swept >= 8
