"""``AsyncClient``: the same surface awaited, against the real app in-process and over loopback."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from flask.testing import FlaskClient

from ccokit_sdk import AsyncClient, Conflict, NotFound, ServerError, ValidationError
from ccokit_sdk.lists import AsyncPager
from ccokit_sdk.testing import AsyncWSGITransport
from ccokit_sdk.types import Member, QuickReply
from tests.conftest import PASSWORD, TenantInfo, signup
from tests.sdk.conftest import FAST_RETRIES, Fault, Loopback, Recorder


def _client(recorder: Recorder, tenant: TenantInfo) -> AsyncClient:
    return AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                       transport=AsyncWSGITransport(recorder), retry=FAST_RETRIES)


def test_every_namespace_answers_awaited(recorder: Recorder, tenant: TenantInfo) -> None:
    async def scenario() -> None:
        async with _client(recorder, tenant) as sdk:
            assert (await sdk.tenant.get()).slug == tenant.slug
            assert (await sdk.tenant.update(name="Async shop")).name == "Async shop"
            member = await sdk.members.create(email="a@shop.example", display_name="A", role="agent",
                                              password=PASSWORD)
            assert isinstance(member, Member)
            assert (await sdk.members.update(member.id, display_name="B")).display_name == "B"
            assert (await sdk.members.get(member.id)).display_name == "B"
            await sdk.members.disable(member.id)
            assert (await sdk.members.get(member.id)).status == "disabled"
            names = [p.name async for p in sdk.plugins.list()]
            assert "quick_replies" in names
            assert (await sdk.plugins.disable("order_lookup")).enabled is False
            assert (await sdk.plugins.enable("order_lookup")).enabled is True
            assert (await sdk.plugins.get("order_lookup")).enabled is True
            configured = await sdk.plugins.configure("quick_replies", {"max_replies": 50})
            assert configured.settings["max_replies"] == 50
            reply = await sdk.quick_replies.create(shortcut="/a", title="A", body="Dear {name}")
            assert isinstance(reply, QuickReply)
            assert (await sdk.quick_replies.render(reply.id, {"name": "Li"})).text == "Dear Li"
            assert (await sdk.quick_replies.update(reply.id, title="AA")).title == "AA"
            assert (await sdk.quick_replies.get(reply.id)).usage_count == 1
            await sdk.quick_replies.delete(reply.id)
            with pytest.raises(NotFound):
                await sdk.quick_replies.get(reply.id)
            events = [e async for e in sdk.events.list(type="quick_reply.deleted")]
            assert [e.payload["id"] for e in events] == [reply.id]
            assert (await sdk.events.get(events[0].id)).handlers is not None
            with pytest.raises(Conflict):
                await sdk.events.replay(events[0].id)
            actions = [a.action async for a in sdk.audit_events.list(target_type="member")]
            assert actions == ["member.created", "member.updated", "member.disabled"]
            first = await sdk.audit_events.list(limit=1).first_page()
            assert (await sdk.audit_events.get(first.items[0].id)).id == first.items[0].id
            with pytest.raises(ValidationError) as invalid:
                await sdk.members.create(email="nope", display_name="X", role="agent", password=PASSWORD)
            assert "email" in invalid.value.errors
            app_client = await sdk.api_clients.create(name="Sync job", scopes=["tenant:read"])
            assert app_client.client_secret
            assert (await sdk.api_clients.update(app_client.client_id, name="Job")).name == "Job"
            assert app_client.client_id in [c.client_id async for c in sdk.api_clients.list()]
            assert (await sdk.api_clients.rotate_secret(app_client.client_id)).client_secret
            assert (await sdk.api_clients.get(app_client.client_id)).client_secret is None
            await sdk.api_clients.delete(app_client.client_id)

    asyncio.run(scenario())


def test_async_lists_page_lazily(recorder: Recorder, tenant: TenantInfo) -> None:
    path = "/api/v1/quick_replies/replies"

    async def scenario() -> None:
        async with _client(recorder, tenant) as sdk:
            for i in range(9):
                await sdk.quick_replies.create(shortcut=f"/r{i}", title=f"R{i}", body="b")
            pager = sdk.quick_replies.list(limit=4)
            assert isinstance(pager, AsyncPager)
            assert not recorder.requests("GET", path)
            shortcuts = [r.shortcut async for r in pager]
            assert shortcuts == ["/hello", *(f"/r{i}" for i in range(9))]
            assert len(recorder.requests("GET", path)) == 3
            sizes = [len(page.items) async for page in sdk.quick_replies.list(limit=4).pages()]
            assert sizes == [4, 4, 2]
            async for _ in sdk.quick_replies.list(limit=4):
                break
            assert len(recorder.requests("GET", path)) == 7  # the loop that broke fetched one page

    asyncio.run(scenario())


def test_concurrent_calls_share_one_token(recorder: Recorder, tenant: TenantInfo) -> None:
    async def scenario() -> list[str]:
        async with _client(recorder, tenant) as sdk:
            workspaces = await asyncio.gather(*(sdk.tenant.get() for _ in range(10)))
            return [w.slug for w in workspaces]

    assert asyncio.run(scenario()) == [tenant.slug] * 10
    assert len(recorder.requests("POST", "/oauth/token")) == 1


def test_tenants_stay_apart(recorder: Recorder, tenant: TenantInfo, client: FlaskClient) -> None:
    other = signup(client)

    async def scenario() -> None:
        async with _client(recorder, tenant) as mine, _client(recorder, other) as theirs:
            their_reply = await theirs.quick_replies.create(shortcut="/x", title="X", body="x")
            with pytest.raises(NotFound):
                await mine.quick_replies.get(their_reply.id)
            assert their_reply.id not in [r.id async for r in mine.quick_replies.list()]

    asyncio.run(scenario())


def test_async_retries_reuse_the_idempotency_key(flaky: Loopback, tenant: TenantInfo) -> None:
    members = "/api/v1/members"
    flaky.recorder.fail(Fault("POST", members, times=1, status=503, after_app=True))
    flaky.recorder.fail(Fault("GET", "/api/v1/tenant", times=5, status=500))

    async def scenario() -> None:
        async with AsyncClient(flaky.url, client_id=tenant.client_id, client_secret=tenant.client_secret,
                               retry=FAST_RETRIES) as sdk:
            created = await sdk.members.create(email="async@shop.example", display_name="A", role="agent",
                                               password=PASSWORD)
            assert created.email == "async@shop.example"
            with pytest.raises(ServerError):
                await sdk.tenant.get()

    asyncio.run(scenario())
    tries = flaky.recorder.requests("POST", members)
    assert [t.status for t in tries] == [503, 201]
    assert tries[0].headers["idempotency-key"] == tries[1].headers["idempotency-key"]
    assert tries[1].response_headers["idempotent-replayed"] == "true"
    assert len(flaky.recorder.requests("GET", "/api/v1/tenant")) == 3


def test_first_page_is_a_coroutine_and_items_are_typed(recorder: Recorder, tenant: TenantInfo) -> None:
    async def scenario() -> list[Member]:
        async with _client(recorder, tenant) as sdk:
            page = await sdk.members.list(limit=1).first_page()
            return list(itertools.chain(page.items))

    members = asyncio.run(scenario())
    assert [m.email for m in members] == [tenant.owner_email]
