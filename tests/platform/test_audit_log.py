"""The audit log: every administrative change leaves exactly one row, in the change's transaction."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select, update

from ccokit.platform.app import create_app
from ccokit.platform.audit.models import AuditEvent
from ccokit.platform.audit.recorder import REDACTED, redact
from ccokit.platform.events.models import EventDelivery
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.plugin import Plugin, current, require_scope
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.platform.events.conftest import Pinger, build, ping

MEMBER = {"email": "new@x.example", "display_name": "New", "role": "agent", "password": "x" * 12}


def _park(kernel: Kernel, tenant: TenantInfo) -> None:
    """Run the failing handler until its event is parked (retries made due at once)."""
    for _ in range(3):
        run_pending(kernel, tenant_id=tenant.tenant_id)
        with kernel.db.transaction(tenant.tenant_id) as session:
            session.execute(
                update(EventDelivery).where(EventDelivery.status == "retrying")
                .values(next_attempt_at=None).execution_options(synchronize_session=False)
            )


def _audit(client: FlaskClient, token: str, **query: str) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/audit-events", query_string={"limit": 100, **query}, headers=bearer(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return list(resp.get_json()["items"])


def _rows(app: Flask, tenant: TenantInfo) -> int:
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _one(client: FlaskClient, token: str, action: str) -> dict[str, Any]:
    events = _audit(client, token, action=action)
    assert len(events) == 1, events
    return events[0]


def test_member_changes_are_audited_with_before_and_after(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    created = client.post("/api/v1/members", json=MEMBER, headers={**bearer(token), "X-Request-Id": "req-create-1"})
    member_id = created.get_json()["id"]
    client.patch(f"/api/v1/members/{member_id}", json={"role": "supervisor"}, headers=bearer(token))
    client.delete(f"/api/v1/members/{member_id}", headers=bearer(token))

    event = _one(client, token, "member.created")
    assert event["target"] == {"type": "member", "id": member_id}
    assert event["before"] is None
    assert event["after"]["email"] == "new@x.example"
    assert "password" not in event["after"]
    assert "x" * 12 not in str(event)
    assert event["actor"] == {"type": "client", "id": tenant.client_id, "client_id": tenant.client_id}
    assert event["request_id"] == "req-create-1"
    assert event["ip"] == "127.0.0.1"
    assert event["id"].startswith("aud_")

    updated = _one(client, token, "member.updated")
    assert (updated["before"]["role"], updated["after"]["role"]) == ("agent", "supervisor")
    disabled = _one(client, token, "member.disabled")
    assert (disabled["before"]["status"], disabled["after"]["status"]) == ("active", "disabled")
    assert [e["action"] for e in _audit(client, token, target_id=member_id)] == [
        "member.created", "member.updated", "member.disabled"
    ]
    fetched = client.get(f"/api/v1/audit-events/{event['id']}", headers=bearer(token))
    assert fetched.get_json() == event


def test_a_refused_change_leaves_no_audit_row(app: Flask, client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    before = _rows(app, tenant)
    taken = client.post("/api/v1/members", json={**MEMBER, "email": tenant.owner_email}, headers=bearer(token))
    assert taken.status_code == 409
    bad = client.put("/api/v1/plugins/order_lookup/settings", json={"settings": {"timeout_seconds": 99}},
                     headers=bearer(token))
    assert bad.status_code == 422
    owner = client.get("/api/v1/members", headers=bearer(token)).get_json()["items"][0]
    last_owner = client.patch(f"/api/v1/members/{owner['id']}", json={"role": "admin"}, headers=bearer(token))
    assert last_owner.status_code == 409
    assert _rows(app, tenant) == before


def test_a_change_that_fails_at_commit_leaves_no_audit_row(app: Flask, tenant: TenantInfo) -> None:
    """The row and the change share one transaction: a failure after both were written removes both."""
    from ccokit.platform.audit.recorder import record_audit
    from ccokit.tenants.errors import EmailTaken
    from ccokit.tenants.registry import add_member

    kernel = current_kernel(app)
    before = _rows(app, tenant)

    def change_that_fails_late() -> None:
        with kernel.db.transaction(tenant.tenant_id) as session:
            member = add_member(session, email="twice@x.example", password=None, role="agent", display_name="T")
            record_audit(session, "member.created", "member", encode_public_id("mem", member.id), after={"n": 1})
            add_member(session, email="twice@x.example", password=None, role="agent", display_name="T")

    with pytest.raises(EmailTaken):
        change_that_fails_late()
    assert _rows(app, tenant) == before


def test_plugin_switches_and_settings_are_audited(client: FlaskClient, token: str) -> None:
    assert client.post("/api/v1/plugins/order_lookup/enable", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/plugins/order_lookup/enable", headers=bearer(token)).status_code == 200  # no change
    configured = client.put(
        "/api/v1/plugins/order_lookup/settings",
        json={"settings": {"orders_url": "https://orders.example/api", "timeout_seconds": 3}},
        headers=bearer(token),
    )
    assert configured.status_code == 200
    assert client.post("/api/v1/plugins/order_lookup/disable", headers=bearer(token)).status_code == 200

    enabled = _one(client, token, "plugin.enabled")
    assert enabled["target"] == {"type": "plugin", "id": "order_lookup"}
    assert (enabled["before"]["enabled"], enabled["after"]["enabled"]) == (False, True)
    settings = _one(client, token, "plugin.configured")
    assert settings["before"]["settings"] == {}
    assert settings["after"]["settings"] == {"orders_url": "https://orders.example/api", "timeout_seconds": 3.0}
    assert _one(client, token, "plugin.disabled")["after"]["enabled"] is False


def test_client_changes_are_audited_without_secrets(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    made = client.post("/api/v1/clients", json={"name": "ERP", "scopes": ["tenant:read"], "role": "agent"},
                       headers=bearer(token)).get_json()
    client_id, secret = made["client_id"], made["client_secret"]
    client.patch(f"/api/v1/clients/{client_id}", json={"name": "ERP 2"}, headers=bearer(token))
    rotated = client.post(f"/api/v1/clients/{client_id}/rotate-secret", headers=bearer(token)).get_json()
    client.delete(f"/api/v1/clients/{client_id}", headers=bearer(token))

    events = _audit(client, token, target_type="oauth_client", target_id=client_id)
    assert [e["action"] for e in events] == [
        "oauth_client.created", "oauth_client.updated", "oauth_client.secret_rotated", "oauth_client.deleted"
    ]
    assert events[0]["after"]["scopes"] == ["tenant:read"]
    assert (events[1]["before"]["name"], events[1]["after"]["name"]) == ("ERP", "ERP 2")
    assert events[3]["after"] is None
    text = str(events)
    assert secret not in text
    assert rotated["client_secret"] not in text


def test_workspace_changes_are_audited(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    client.patch("/api/v1/tenant", json={"name": "面包坊"}, headers=bearer(token))
    renamed = _one(client, token, "workspace.updated")
    assert renamed["target"] == {"type": "workspace", "id": tenant.public_id}
    assert (renamed["before"]["name"], renamed["after"]["name"]) == (f"Shop {tenant.slug}", "面包坊")
    reader = issue_token(client, tenant)  # read the log before the suspension locks the API
    assert client.post("/api/v1/tenant/suspend", headers=bearer(token)).status_code == 200
    app = client.application
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        suspended = session.scalars(select(AuditEvent).where(AuditEvent.action == "workspace.suspended")).one()
    assert (suspended.before["status"], suspended.after["status"]) == ("active", "suspended")
    assert client.get("/api/v1/audit-events", headers=bearer(reader)).status_code == 403  # suspended now


def test_an_event_replay_is_audited(pg_settings: Any) -> None:
    pinger = Pinger()
    app = build(pg_settings.with_overrides(event_retry_base=0.01, event_retry_cap=0.01, event_max_attempts=3), pinger)
    kernel = current_kernel(app)
    try:
        client = app.test_client()
        shop = signup(client)
        token = issue_token(client, shop)
        pinger.failures_left = 3
        (event_id,) = ping(kernel, shop, 1)
        _park(kernel, shop)
        public = encode_public_id("evt", event_id)
        assert client.post(f"/api/v1/events/{public}/replay", headers=bearer(token)).status_code == 200
        run_pending(kernel, tenant_id=shop.tenant_id)
        replayed = _one(client, token, "event.replayed")
        assert replayed["target"] == {"type": "event", "id": public}
        assert replayed["after"] == {"handlers": ["pinger:record"]}
        assert client.post(f"/api/v1/events/{public}/replay", headers=bearer(token)).status_code == 409
        assert len(_audit(client, token, action="event.replayed")) == 1
    finally:
        kernel.db.dispose()


def test_tenants_see_only_their_own_log(client: FlaskClient) -> None:
    a, b = signup(client), signup(client)
    token_a, token_b = issue_token(client, a), issue_token(client, b)
    client.post("/api/v1/members", json=MEMBER, headers=bearer(token_a))
    a_event = _one(client, token_a, "member.created")
    assert _audit(client, token_b) == []
    assert client.get(f"/api/v1/audit-events/{a_event['id']}", headers=bearer(token_b)).status_code == 404


def test_the_log_filters_and_pages(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    ids = []
    for n in range(3):
        resp = client.post("/api/v1/members", json={**MEMBER, "email": f"m{n}@x.example"}, headers=bearer(token))
        ids.append(resp.get_json()["id"])
    everything = _audit(client, token)
    assert len(everything) == 3
    page = client.get("/api/v1/audit-events?limit=2", headers=bearer(token)).get_json()
    rest = client.get(f"/api/v1/audit-events?limit=2&cursor={page['next_cursor']}", headers=bearer(token)).get_json()
    assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in everything]
    assert rest["next_cursor"] is None
    assert [e["target"]["id"] for e in _audit(client, token, target_id=ids[1])] == [ids[1]]
    assert len(_audit(client, token, actor=tenant.client_id)) == 3
    assert _audit(client, token, actor="mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B") == []
    middle = everything[1]["occurred_at"]
    assert [e["id"] for e in _audit(client, token, since=middle)] == [e["id"] for e in everything[1:]]
    assert [e["id"] for e in _audit(client, token, until=middle)] == [everything[0]["id"]]
    bad = client.get("/api/v1/audit-events?since=yesterday", headers=bearer(token))
    assert bad.status_code == 422
    assert "since" in bad.get_json()["errors"]
    backwards = client.get("/api/v1/audit-events", query_string={"since": middle, "until": everything[0]["occurred_at"]},
                           headers=bearer(token))
    assert backwards.status_code == 422
    assert "until" in backwards.get_json()["errors"]


def test_reading_the_log_needs_the_audit_scope(client: FlaskClient, tenant: TenantInfo) -> None:
    narrow = issue_token(client, tenant, ["tenant:admin"])
    resp = client.get("/api/v1/audit-events", headers=bearer(narrow))
    assert resp.status_code == 403
    assert 'scope="audit:read"' in resp.headers["WWW-Authenticate"]
    agent_app = client.post("/api/v1/clients", json={"name": "bot", "scopes": ["audit:read"], "role": "agent"},
                            headers=bearer(issue_token(client, tenant)))
    assert agent_app.status_code == 422  # an agent's token cannot hold it


def test_redaction_hides_secret_looking_fields_at_any_depth() -> None:
    shown = redact({"name": "x", "api_key": "k", "nested": [{"client_secret": "s", "password": None}],
                    "webhook": {"signing_secret": "w", "url": "https://h.example"}})
    assert shown == {"name": "x", "api_key": REDACTED, "nested": [{"client_secret": REDACTED, "password": None}],
                     "webhook": {"signing_secret": REDACTED, "url": "https://h.example"}}


# -- plugins audit their own admin changes through the SDK -----------------------------------------

retrain = Blueprint("audited_bot", __name__, description="A plugin that audits its admin changes")


@retrain.post("/retrain")
@require_scope("tenant:admin")
@retrain.response(200)
def retrain_bot() -> Any:
    current().audit("bot.retrained", "bot", "bot_1", before={"version": 1},
                    after={"version": 2, "api_key": "sk-live-123"})
    if request.args.get("fail"):
        abort(409, message="the model store is busy")  # the change and its audit row go together
    current().session.commit()
    return {}


AUDITED = Plugin(name="audited", version="1", title={"en": "Audited"},
                 setup=lambda ctx: ctx.register_blueprint(retrain))


def test_a_plugin_audits_through_the_request_context(pg_settings: Any) -> None:
    app = create_app(pg_settings, plugins=[*discover_plugins(), AUDITED])
    try:
        client = app.test_client()
        shop = signup(client)
        token = issue_token(client, shop)
        assert client.post("/api/v1/audited/retrain?fail=1", headers=bearer(token)).status_code == 409
        assert _audit(client, token, action="bot.retrained") == []
        assert client.post("/api/v1/audited/retrain", headers=bearer(token)).status_code == 200
        event = _one(client, token, "bot.retrained")
        assert event["target"] == {"type": "bot", "id": "bot_1"}
        assert event["after"] == {"version": 2, "api_key": REDACTED}
        assert event["actor"]["id"] == shop.client_id
    finally:
        current_kernel(app).db.dispose()
