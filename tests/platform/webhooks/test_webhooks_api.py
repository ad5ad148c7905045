"""The admin API of webhook endpoints: validation, scopes, secrets shown once, the delivery log and
replay; on PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from standardwebhooks import Webhook

from ccokit.platform.kernel import Kernel
from ccokit.platform.webhooks.endpoints import MAX_ENDPOINTS
from tests.conftest import bearer, issue_token, signup
from tests.platform.events.conftest import ping
from tests.platform.webhooks.conftest import Receiver, Shop, deliveries, pump

BASE = "/api/v1/webhooks/endpoints"
PUBLIC_URL = "https://hooks.shop.example/ccokit"


def _client_and_headers(app: Flask) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    tenant = signup(client)
    return client, bearer(issue_token(client, tenant))


def test_endpoints_are_created_read_changed_and_removed(any_app: Flask) -> None:
    client, headers = _client_and_headers(any_app)
    resp = client.post(BASE, json={"url": PUBLIC_URL, "event_types": ["quick_reply.created", "*", "*"],
                                   "description": "ERP"}, headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    assert created["id"].startswith("whe_")
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["quick_reply.created", "*"]
    assert created["status"] == "active"

    shown = client.get(f"{BASE}/{created['id']}", headers=headers).get_json()
    assert "secret" not in shown
    assert created["secret"] not in client.get(BASE, headers=headers).get_data(as_text=True)

    patched = client.patch(f"{BASE}/{created['id']}", json={"event_types": ["quick_reply.deleted"],
                                                           "description": "CRM"}, headers=headers)
    assert patched.status_code == 200
    assert patched.get_json()["event_types"] == ["quick_reply.deleted"]
    assert patched.get_json()["url"] == PUBLIC_URL
    assert client.patch(f"{BASE}/{created['id']}", json={}, headers=headers).status_code == 200

    disabled = client.post(f"{BASE}/{created['id']}/disable", headers=headers).get_json()
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "admin")
    assert client.get(f"{BASE}?status=disabled", headers=headers).get_json()["items"][0]["id"] == created["id"]
    assert client.get(f"{BASE}?status=active", headers=headers).get_json()["items"] == []

    audit = client.get("/api/v1/audit-events", headers=headers)
    assert audit.status_code == 200
    actions = [e["action"] for e in audit.get_json()["items"]]
    assert "webhook_endpoint.created" in actions
    assert "webhook_endpoint.disabled" in actions
    assert created["secret"] not in audit.get_data(as_text=True)

    assert client.delete(f"{BASE}/{created['id']}", headers=headers).status_code == 204
    assert client.get(f"{BASE}/{created['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_types": ["*"]}, "url"),
        ({"url": PUBLIC_URL}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["order.shipped"]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["job:quick_replies.x"]}, "event_types"),
        ({"url": "http://127.0.0.1:8000/x", "event_types": ["*"]}, "url"),
        ({"url": "mailto:ops@shop.example", "event_types": ["*"]}, "url"),
        ({"url": PUBLIC_URL, "event_types": ["*"], "description": "x" * 501}, "description"),
        ({"url": PUBLIC_URL, "event_types": ["*"], "secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_input_answers_422_with_the_field(any_app: Flask, body: dict[str, Any], field: str) -> None:
    client, headers = _client_and_headers(any_app)
    resp = client.post(BASE, json=body, headers=headers)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert field in resp.get_json()["errors"]


def test_messages_come_in_chinese_too(app: Flask) -> None:
    client, headers = _client_and_headers(app)
    resp = client.post(BASE, json={"url": PUBLIC_URL, "event_types": ["order.shipped"]},
                       headers={**headers, "Accept-Language": "zh-CN"})
    assert resp.get_json()["errors"]["event_types"] == ["未知的事件类型：order.shipped。"]
    assert resp.get_json()["title"] == "部分字段无效"


def test_the_scope_is_needed_and_limited_to_admins(app: Flask) -> None:
    client = app.test_client()
    tenant = signup(client)
    reader = issue_token(client, tenant, ["tenant:read"])
    resp = client.get(BASE, headers=bearer(reader))
    assert resp.status_code == 403
    assert 'scope="webhooks:manage"' in resp.headers["WWW-Authenticate"]
    assert client.get(BASE).status_code == 401
    from ccokit.platform.scopes import PLATFORM_SCOPES

    (scope,) = [s for s in PLATFORM_SCOPES if s.name == "webhooks:manage"]
    assert scope.min_role == "admin"


def test_a_workspace_has_a_limited_number_of_endpoints(app: Flask) -> None:
    client, headers = _client_and_headers(app)
    for _ in range(MAX_ENDPOINTS):
        assert client.post(BASE, json={"url": PUBLIC_URL, "event_types": ["*"]}, headers=headers).status_code == 201
    resp = client.post(BASE, json={"url": PUBLIC_URL, "event_types": ["*"]}, headers=headers)
    assert resp.status_code == 409
    assert str(MAX_ENDPOINTS) in resp.get_json()["detail"]


def test_the_delivery_log_and_replay(hooks_kernel: Kernel, shop: Shop, receiver: Receiver) -> None:
    receiver.answer = lambda got, tries: (503, {}) if got.body.find(b'"n":2') >= 0 else (202, {})
    endpoint = shop.create_endpoint(receiver.url)
    base = f"{BASE}/{endpoint['id']}/deliveries"
    ping(hooks_kernel, shop.tenant, 1, 2)
    pump(hooks_kernel, shop.tenant)

    page = shop.client.get(f"{base}?limit=1", headers=shop.headers).get_json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    rest = shop.client.get(f"{base}?cursor={page['next_cursor']}", headers=shop.headers).get_json()
    listed = page["items"] + rest["items"]
    assert len(listed) == 2
    succeeded = shop.client.get(f"{base}?status=succeeded", headers=shop.headers).get_json()["items"]
    pending = shop.client.get(f"{base}?status=pending", headers=shop.headers).get_json()["items"]
    assert len(succeeded) == 1
    assert len(pending) == 1
    ok = succeeded[0]
    assert ok["id"].startswith("whd_")
    assert ok["event_id"].startswith("evt_")
    assert (ok["status"], ok["attempts"], ok["last_status_code"]) == ("succeeded", 1, 202)
    assert ok["last_latency_ms"] >= 0
    assert "payload" not in ok
    failing = pending[0]
    assert failing["last_status_code"] == 503
    assert failing["last_error"] == "the receiver answered 503"
    # The receiver's body is never shown back.
    assert "receiver secrets" not in shop.client.get(base, headers=shop.headers).get_data(as_text=True)

    detail = shop.client.get(f"{base}/{ok['id']}", headers=shop.headers).get_json()
    assert detail["payload"]["data"] == {"n": 1}
    assert detail["payload"]["type"] == "test.pinged"
    assert shop.client.get(f"{base}/whd_00000000000000000000000000", headers=shop.headers).status_code == 404

    # Replay sends the same message again, with the same webhook-id.
    before = len(receiver.received)
    replayed = shop.client.post(f"{base}/{ok['id']}/replay", headers=shop.headers)
    assert replayed.status_code == 200
    assert replayed.get_json()["status"] == "pending"
    assert shop.client.post(f"{base}/{ok['id']}/replay", headers=shop.headers).status_code == 409
    assert shop.client.post(f"{base}/{failing['id']}/replay", headers=shop.headers).status_code == 409
    pump(hooks_kernel, shop.tenant)
    again = [r for r in receiver.received[before:] if r.webhook_id == ok["id"]]
    assert len(again) == 1
    assert Webhook(str(endpoint["secret"])).verify(again[0].body, again[0].headers)["data"] == {"n": 1}
    after = shop.client.get(f"{base}/{ok['id']}", headers=shop.headers).get_json()
    assert (after["status"], after["attempts"]) == ("succeeded", 1)

    # A disabled endpoint's deliveries are abandoned and cannot be replayed until it is enabled.
    shop.client.post(f"{BASE}/{endpoint['id']}/disable", headers=shop.headers)
    abandoned = shop.client.get(f"{base}?status=abandoned", headers=shop.headers).get_json()["items"]
    assert [d["id"] for d in abandoned] == [failing["id"]]
    assert shop.client.post(f"{base}/{failing['id']}/replay", headers=shop.headers).status_code == 409
    shop.client.post(f"{BASE}/{endpoint['id']}/enable", headers=shop.headers)
    assert shop.client.post(f"{base}/{failing['id']}/replay", headers=shop.headers).status_code == 200


def test_deleting_an_endpoint_stops_its_deliveries(hooks_kernel: Kernel, shop: Shop, receiver: Receiver) -> None:
    endpoint = shop.create_endpoint(receiver.url)
    ping(hooks_kernel, shop.tenant, 1)
    from ccokit.platform.events.relay import run_pending

    run_pending(hooks_kernel, tenant_id=shop.tenant.tenant_id)
    assert len(deliveries(hooks_kernel, shop.tenant)) == 1
    assert shop.client.delete(f"{BASE}/{endpoint['id']}", headers=shop.headers).status_code == 204
    pump(hooks_kernel, shop.tenant)
    assert receiver.received == []
    assert deliveries(hooks_kernel, shop.tenant) == []
