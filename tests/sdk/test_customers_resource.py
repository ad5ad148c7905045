"""``client.customers`` and ``client.customers.tiers`` against the real app (PostgreSQL) in-process."""

from __future__ import annotations

import asyncio

import pytest
from flask import Flask

from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit_sdk import AsyncClient, Client, Conflict, NotFound, ValidationError
from ccokit_sdk.testing import AsyncWSGITransport
from ccokit_sdk.types import ChatId, Customer, ExternalId, Tier
from tests.conftest import TenantInfo
from tests.sdk.conftest import FAST_RETRIES, Recorder

CUSTOMERS = "/api/v1/customers/customers"


def test_create_get_update_and_look_up(sdk: Client) -> None:
    wang = sdk.customers.create(
        name="王小明", emails=["Wang@Shop.CN"], phones=["+86 138-0013-8000"],
        chat_ids=[{"channel": "WeChat", "id": "wxid_4kd9"}], external_ids=[{"kind": "member_id", "value": "M001"}],
        tier="gold", tags=["vip"], locale="zh-cn",
    )
    assert isinstance(wang, Customer)
    assert wang.id.startswith("cus_")
    assert (wang.emails, wang.phones, wang.locale, wang.tier) == (["wang@shop.cn"], ["+8613800138000"], "zh-CN", "gold")
    assert wang.chat_ids == [ChatId.from_api({"channel": "wechat", "id": "wxid_4kd9"})]
    assert isinstance(wang.external_ids[0], ExternalId)
    assert wang.external_ids[0].value == "M001"
    assert wang.erased_at is None
    assert sdk.customers.get(wang.id) == wang

    changed = sdk.customers.update(wang.id, tags=["vip", "wholesale"], notes="Prefers WeChat")
    assert (changed.tags, changed.notes, changed.name) == (["vip", "wholesale"], "Prefers WeChat", "王小明")
    out_of_tiers = sdk.customers.update(wang.id, clear=["tier", "notes"])
    assert (out_of_tiers.tier, out_of_tiers.notes) == (None, None)

    assert sdk.customers.lookup(email="WANG@shop.cn").id == wang.id
    assert sdk.customers.lookup(phone="0086 13800138000").id == wang.id
    assert sdk.customers.lookup(chat_channel="wechat", chat_id="wxid_4kd9").id == wang.id
    assert sdk.customers.lookup(external_kind="member_id", external_id="M001").id == wang.id
    with pytest.raises(NotFound):
        sdk.customers.lookup(email="nobody@shop.cn")


def test_list_filters_and_lazy_paging(sdk: Client, recorder: Recorder) -> None:
    made = [sdk.customers.create(name=f"Li {n}", tags=["vip"] if n % 2 else None) for n in range(5)]
    sdk.customers.create(name="Zhang", tier="silver")
    pages_before = len(recorder.requests("GET", CUSTOMERS))
    pager = sdk.customers.list(q="li", limit=2)
    assert len(recorder.requests("GET", CUSTOMERS)) == pages_before
    assert [c.id for c in pager] == [c.id for c in made]  # oldest first, across three pages
    assert len(recorder.requests("GET", CUSTOMERS)) == pages_before + 3
    assert [c.name for c in sdk.customers.list(tag="vip")] == ["Li 1", "Li 3"]
    assert [c.name for c in sdk.customers.list(tier="silver")] == ["Zhang"]
    with pytest.raises(ValidationError) as half_pair:
        sdk.customers.list(chat_id="wxid_1").first_page()
    assert "chat_channel" in half_pair.value.errors


def test_invalid_and_conflicting_profiles(sdk: Client) -> None:
    with pytest.raises(ValidationError) as invalid:
        sdk.customers.create(name="Li", emails=["not an email"], phones=["12"])
    assert invalid.value.status == 422
    assert set(invalid.value.errors) == {"emails", "phones"}
    with pytest.raises(ValidationError) as empty:
        sdk.customers.create(tags=["vip"])
    assert "_schema" in empty.value.errors
    with pytest.raises(ValidationError) as unknown_tier:
        sdk.customers.create(name="Li", tier="diamond")
    assert "tier" in unknown_tier.value.errors
    first = sdk.customers.create(emails=["li@shop.cn"])
    with pytest.raises(Conflict) as taken:
        sdk.customers.create(emails=["LI@shop.cn"])
    assert first.id in str(taken.value.errors["emails"])


def test_merge_and_erase(sdk: Client, app: Flask, tenant: TenantInfo) -> None:
    visitor = sdk.customers.create(chat_ids=[{"channel": "web", "id": "visitor-77"}])
    buyer = sdk.customers.create(name="Chen", emails=["chen@shop.cn"])
    ticket = sdk.tickets.create(subject="Where is my order?", requester={"customer_id": visitor.id})
    merged = sdk.customers.merge(buyer.id, source_id=visitor.id)
    assert merged.id == buyer.id
    assert [c.channel for c in merged.chat_ids] == ["web"]
    assert sdk.customers.get(visitor.id).id == buyer.id  # the merged-away id answers with the survivor
    assert [c.id for c in sdk.customers.list()] == [buyer.id]
    assert list(sdk.tickets.list(customer_id=buyer.id)) == []
    run_pending(current_kernel(app), tenant_id=tenant.tenant_id)  # the relay tells ticketing of the merge
    assert [t.id for t in sdk.tickets.list(customer_id=buyer.id)] == [ticket.id]
    with pytest.raises(ValidationError) as itself:
        sdk.customers.merge(buyer.id, source_id=buyer.id)
    assert "source_id" in itself.value.errors

    erased = sdk.customers.erase(buyer.id)
    assert erased.erased_at is not None
    assert (erased.name, erased.emails, erased.chat_ids) == (None, [], [])
    assert sdk.customers.erase(buyer.id).erased_at == erased.erased_at  # repeating changes nothing
    with pytest.raises(NotFound):
        sdk.customers.lookup(email="chen@shop.cn")


def test_the_tier_ladder(sdk: Client) -> None:
    ladder = list(sdk.customers.tiers.list())
    assert all(isinstance(t, Tier) for t in ladder)
    assert [t.key for t in ladder] == ["bronze", "silver", "gold", "platinum"]
    diamond = sdk.customers.tiers.create(key="diamond", name="Diamond", rank=9, names={"zh": "钻石"},
                                         priority_boost=80, sla_policy="vip", guarantees=["priority_refund"])
    assert diamond.id.startswith("tier_")
    assert (diamond.names, diamond.guarantees) == ({"zh": "钻石"}, ["priority_refund"])
    assert sdk.customers.tiers.get(diamond.id) == diamond
    renamed = sdk.customers.tiers.update(diamond.id, name="Black", clear=["sla_policy"])
    assert (renamed.name, renamed.sla_policy, renamed.rank) == ("Black", None, 9)
    with pytest.raises(Conflict):
        sdk.customers.tiers.create(key="diamond2", name="Other", rank=9)
    holder = sdk.customers.create(name="Rich", tier="diamond")
    with pytest.raises(Conflict):
        sdk.customers.tiers.delete(diamond.id)
    sdk.customers.update(holder.id, clear=["tier"])
    sdk.customers.tiers.delete(diamond.id)
    with pytest.raises(NotFound):
        sdk.customers.tiers.get(diamond.id)


def test_the_async_namespace(recorder: Recorder, tenant: TenantInfo) -> None:
    async def scenario() -> None:
        async with AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                               transport=AsyncWSGITransport(recorder), retry=FAST_RETRIES) as aio:
            made = [await aio.customers.create(name=f"Wu {n}", emails=[f"wu{n}@shop.cn"]) for n in range(3)]
            assert [c.id async for c in aio.customers.list(limit=2)] == [c.id for c in made]
            assert (await aio.customers.lookup(email="WU1@shop.cn")).id == made[1].id
            assert (await aio.customers.update(made[0].id, tier="gold")).tier == "gold"
            assert (await aio.customers.get(made[0].id)).tier == "gold"
            assert (await aio.customers.merge(made[0].id, source_id=made[1].id)).emails == ["wu0@shop.cn", "wu1@shop.cn"]
            assert (await aio.customers.erase(made[2].id)).erased_at is not None
            assert [t.rank async for t in aio.customers.tiers.list()] == [1, 2, 3, 4]
            tier = await aio.customers.tiers.create(key="jade", name="Jade", rank=7)
            assert (await aio.customers.tiers.update(tier.id, rank=8)).rank == 8
            assert (await aio.customers.tiers.get(tier.id)).key == "jade"
            await aio.customers.tiers.delete(tier.id)
            with pytest.raises(ValidationError):
                await aio.customers.create(emails=["nope"])

    asyncio.run(scenario())
