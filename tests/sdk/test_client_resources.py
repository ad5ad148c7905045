"""Every namespace of ``ccokit_sdk.Client`` against the real app (PostgreSQL) in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ccokit_sdk import Client, Conflict, NotFound, PermissionDenied, ValidationError
from ccokit_sdk.types import AuditEvent, Event, Member, PluginInfo, QuickReply, Tenant
from tests.conftest import PASSWORD, TenantInfo, signup
from tests.sdk.conftest import Recorder


def test_tenant_get_and_update(sdk: Client, tenant: TenantInfo) -> None:
    workspace = sdk.tenant.get()
    assert isinstance(workspace, Tenant)
    assert (workspace.id, workspace.slug, workspace.status) == (tenant.public_id, tenant.slug, "active")
    assert workspace.created_at.tzinfo is not None
    renamed = sdk.tenant.update(name="面包坊 Bakery")
    assert renamed.name == "面包坊 Bakery"
    assert sdk.tenant.get().name == "面包坊 Bakery"


def test_members_create_get_update_list_and_disable(sdk: Client, tenant: TenantInfo) -> None:
    created = sdk.members.create(
        email="agent@shop.example", display_name="Agent Li", role="agent", password=PASSWORD, locale="zh"
    )
    assert isinstance(created, Member)
    assert created.id.startswith("mem_")
    assert created.locale == "zh"
    assert created.last_login_at is None
    assert sdk.members.get(created.id) == created
    promoted = sdk.members.update(created.id, role="supervisor")
    assert (promoted.role, promoted.display_name) == ("supervisor", "Agent Li")  # untouched fields stay
    emails = [m.email for m in sdk.members.list()]
    assert emails == [tenant.owner_email, "agent@shop.example"]
    sdk.members.disable(created.id)
    assert sdk.members.get(created.id).status == "disabled"


def test_member_errors_carry_the_problem(sdk: Client) -> None:
    sdk.members.create(email="dup@shop.example", display_name="A", role="agent", password=PASSWORD)
    with pytest.raises(Conflict) as conflict:
        sdk.members.create(email="dup@shop.example", display_name="B", role="agent", password=PASSWORD)
    assert conflict.value.status == 409
    assert conflict.value.code == "email-taken"
    assert conflict.value.errors == {"email": ["This email is already a member."]}
    with pytest.raises(ValidationError) as invalid:
        sdk.members.create(email="not-an-email", display_name="", role="boss", password="short")
    assert set(invalid.value.errors) == {"email", "display_name", "role", "password"}
    assert invalid.value.request_id
    with pytest.raises(NotFound):
        sdk.members.get("mem_01J00000000000000000000000")


def test_another_tenants_member_is_not_found(sdk: Client, client: FlaskClient, recorder: Recorder) -> None:
    other = signup(client)
    with Client("http://localhost", client_id=other.client_id, client_secret=other.client_secret,
                transport=httpx.WSGITransport(app=recorder)) as theirs:
        their_agent = theirs.members.create(
            email="theirs@other.example", display_name="T", role="agent", password=PASSWORD
        )
    with pytest.raises(NotFound):
        sdk.members.get(their_agent.id)
    with pytest.raises(NotFound):
        sdk.members.update(their_agent.id, display_name="hijacked")


def test_ids_stay_one_path_segment(sdk: Client, recorder: Recorder) -> None:
    with pytest.raises(NotFound):
        sdk.members.get("../tenant")
    assert recorder.seen[-1].path == "/api/v1/members/../tenant"  # one segment, percent-encoded on the wire
    with pytest.raises(ValueError, match="non-empty"):
        sdk.members.get("")


def test_plugins_list_get_switch_and_configure(sdk: Client) -> None:
    plugins = {p.name: p for p in sdk.plugins.list()}
    assert {"quick_replies", "order_lookup"} <= set(plugins)
    assert all(isinstance(p, PluginInfo) for p in plugins.values())
    assert plugins["quick_replies"].enabled is True
    assert "quick_replies:read" in plugins["quick_replies"].scopes
    assert sdk.plugins.disable("quick_replies").enabled is False
    with pytest.raises(NotFound):  # a disabled plugin's routes answer 404 to this workspace
        sdk.quick_replies.list().first_page()
    assert sdk.plugins.enable("quick_replies").enabled is True
    configured = sdk.plugins.configure("quick_replies", {"max_replies": 3, "default_language": "en"})
    assert configured.settings == {"max_replies": 3, "default_language": "en"}
    assert sdk.plugins.get("quick_replies").settings["max_replies"] == 3
    with pytest.raises(ValidationError) as invalid:
        sdk.plugins.configure("quick_replies", {"max_replies": 0})
    assert "max_replies" in invalid.value.errors["settings"]
    with pytest.raises(NotFound):
        sdk.plugins.get("no_such_plugin")


def test_quick_replies_crud_render_and_search(sdk: Client) -> None:
    reply = sdk.quick_replies.create(
        shortcut="/refund", title="Refund", body="Hello {name}, your refund is on its way.", tags=["billing"]
    )
    assert isinstance(reply, QuickReply)
    assert reply.id.startswith("qr_")
    assert reply.tags == ["billing"]
    assert reply.usage_count == 0
    sdk.quick_replies.create(shortcut="/ship", title="Shipping", body="It ships today.", language="en")
    rendered = sdk.quick_replies.render(reply.id, {"name": "Wang"})
    assert rendered.text == "Hello Wang, your refund is on its way."
    assert sdk.quick_replies.get(reply.id).usage_count == 1
    assert [r.shortcut for r in sdk.quick_replies.list(q="refund")] == ["/refund"]
    assert [r.shortcut for r in sdk.quick_replies.list(language="en")] == ["/hello", "/ship"]  # /hello: sign-up's
    updated = sdk.quick_replies.update(reply.id, title="Refunds")
    assert (updated.title, updated.shortcut) == ("Refunds", "/refund")
    with pytest.raises(Conflict) as taken:
        sdk.quick_replies.update(reply.id, shortcut="/ship")
    assert "shortcut" in taken.value.errors
    sdk.quick_replies.delete(reply.id)
    with pytest.raises(NotFound):
        sdk.quick_replies.get(reply.id)


def test_events_list_get_and_replay(sdk: Client) -> None:
    reply = sdk.quick_replies.create(shortcut="/hi", title="Hi", body="Hi there")
    events = list(sdk.events.list(type="quick_reply.created"))
    assert [e.payload["id"] for e in events] == [reply.id]
    assert isinstance(events[0], Event)
    assert events[0].handlers is None
    detail = sdk.events.get(events[0].id)
    assert detail.type == "quick_reply.created"
    assert isinstance(detail.handlers, list)
    assert list(sdk.events.list(status="parked")) == []
    with pytest.raises(Conflict) as nothing_parked:
        sdk.events.replay(events[0].id)
    assert "parked" in (nothing_parked.value.detail or "")
    with pytest.raises(ValidationError) as invalid:
        sdk.events.list(status="lost").first_page()
    assert "status" in invalid.value.errors


def test_audit_events_list_filter_and_get(sdk: Client, tenant: TenantInfo) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    member = sdk.members.create(email="a@shop.example", display_name="A", role="agent", password=PASSWORD)
    sdk.tenant.update(name="Renamed")
    created = list(sdk.audit_events.list(action="member.created", since=start))
    assert len(created) == 1
    event = created[0]
    assert isinstance(event, AuditEvent)
    assert (event.target.type, event.target.id) == ("member", member.id)
    assert event.actor.type == "client"
    assert event.actor.client_id == tenant.client_id
    assert event.before is None
    assert event.after is not None
    assert event.after["email"] == "a@shop.example"
    assert sdk.audit_events.get(event.id) == event
    assert [e.action for e in sdk.audit_events.list(target_type="workspace")] == ["workspace.updated"]
    assert list(sdk.audit_events.list(until=start)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        sdk.audit_events.list(since=datetime.now())


def test_a_narrow_token_is_refused_what_it_may_not_do(app: Flask, tenant: TenantInfo, recorder: Recorder) -> None:
    with Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                scopes=["tenant:read"], transport=httpx.WSGITransport(app=recorder)) as reader:
        assert reader.tenant.get().slug == tenant.slug
        with pytest.raises(PermissionDenied) as denied:
            reader.tenant.update(name="nope")
    assert denied.value.status == 403
    token_request = recorder.requests("POST", "/oauth/token")[0]
    assert token_request.status == 200


def test_api_clients_create_use_rotate_and_delete(sdk: Client, recorder: Recorder) -> None:
    app_client = sdk.api_clients.create(name="Reporting", scopes=["tenant:read", "members:read"], role="agent")
    assert app_client.client_id.startswith("cli_")
    assert app_client.client_secret
    assert app_client.client_secret not in repr(app_client)
    listed = {c.client_id: c for c in sdk.api_clients.list()}
    assert listed[app_client.client_id].client_secret is None
    assert sdk.api_clients.update(app_client.client_id, name="Reports").name == "Reports"
    with Client("http://localhost", client_id=app_client.client_id, client_secret=app_client.client_secret,
                transport=httpx.WSGITransport(app=recorder)) as reporting:
        assert [m.role for m in reporting.members.list()] == ["owner"]
        with pytest.raises(PermissionDenied):
            reporting.members.create(email="x@shop.example", display_name="X", role="agent", password=PASSWORD)
    rotated = sdk.api_clients.rotate_secret(app_client.client_id)
    assert rotated.client_secret
    assert rotated.client_secret != app_client.client_secret
    sdk.api_clients.delete(app_client.client_id)
    with pytest.raises(NotFound):
        sdk.api_clients.get(app_client.client_id)
