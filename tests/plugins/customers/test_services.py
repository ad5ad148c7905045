"""The services other plugins use, called the way they call them: through the plugin host."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from ccokit.platform.events.outbox import publish
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.customers.models import Customer
from ccokit.plugins.customers.services.contacts import insert_customer, owner_or_new_customer, owners
from ccokit_sdk.ids import decode_public_id
from tests.plugins.customers.conftest import Api, make_api


def _service(app: Flask, name: str) -> Callable[..., Any]:
    service = current_kernel(app).plugins.services[name]
    assert callable(service)
    return service


def _publisher(app: Flask, session: Any) -> Callable[[str, Mapping[str, Any]], Any]:
    """What a handler's ``ctx.publish`` does: write into the handler's transaction."""
    return lambda kind, payload: publish(session, current_kernel(app).events, kind, payload)


def test_resolve_creates_then_finds_and_fills_in_what_was_missing(app: Flask, api: Api) -> None:
    resolve = _service(app, "customers.resolve")
    with api.session() as session:
        created = resolve(session, email="Wang@Shop.CN", name="王小明", locale="zh-cn",
                          publish=_publisher(app, session))
    assert created.public_id.startswith("cus_")
    assert created.id == decode_public_id("cus", created.public_id)
    assert (created.name, created.locale, created.tier, created.erased) == ("王小明", "zh-CN", None, False)
    with api.session() as session:
        again = resolve(session, email="wang@shop.cn", phone="+86 138 0013 8000",
                        chat_id="wxid_w", chat_channel="wechat", name="Someone else",
                        publish=_publisher(app, session))
    assert again.id == created.id
    assert again.name == "王小明"  # a name it had is kept
    profile = api.get(f"/customers/{created.public_id}").get_json()
    assert profile["phones"] == ["+8613800138000"]
    assert profile["chat_ids"] == [{"channel": "wechat", "id": "wxid_w"}]
    assert api.events("customer.created", "customer.updated") == [
        ("customer.created", {"customer_id": created.public_id}),
        ("customer.updated", {"customer_id": created.public_id, "changed": ["phones", "chat_ids"]}),
    ]
    with api.session() as session:  # nothing new to add: nothing written, nothing published
        assert resolve(session, phone="+8613800138000", publish=_publisher(app, session)).id == created.id
    assert len(api.events()) == 2


def test_resolve_prefers_the_merchants_own_id_and_never_merges(app: Flask, api: Api) -> None:
    by_member = api.create(name="Member", external_ids=[{"kind": "member_id", "value": "M1"}])
    by_email = api.create(name="Email", emails=["e@shop.cn"])
    resolve = _service(app, "customers.resolve")
    with api.session() as session:
        ref = resolve(session, email="e@shop.cn", external_kind="member_id", external_id="M1",
                      publish=_publisher(app, session))
    assert ref.public_id == by_member["id"]
    # The email names the other profile; it stays there.
    assert api.get(f"/customers/{by_member['id']}").get_json()["emails"] == []
    assert api.get(f"/customers/{by_email['id']}").get_json()["emails"] == ["e@shop.cn"]


def test_resolve_without_create_only_finds(app: Flask, api: Api) -> None:
    resolve = _service(app, "customers.resolve")
    with api.session() as session:
        assert resolve(session, email="nobody@shop.cn", create=False) is None
    assert api.get("/customers").get_json()["items"] == []


def test_resolve_refuses_what_names_nobody(app: Flask, api: Api) -> None:
    resolve = _service(app, "customers.resolve")
    with api.session() as session:
        with pytest.raises(ValueError, match="email"):
            resolve(session, email="not-an-email", publish=_publisher(app, session))
        with pytest.raises(ValueError, match="chat_channel"):
            resolve(session, chat_id="wxid", publish=_publisher(app, session))
        with pytest.raises(ValueError, match="give an email"):
            resolve(session, name="Only a name", publish=_publisher(app, session))
        # Outside a request a change needs the caller's publish, so that no change goes unannounced.
        with pytest.raises(TypeError, match="publish"):
            resolve(session, email="new@shop.cn")


def test_resolve_inside_a_request_publishes_through_the_request(app: Flask, api: Api) -> None:
    """A view of another plugin passes ``current().session``; the request's publish is used."""
    from ccokit_sdk.plugin import current

    resolve = _service(app, "customers.resolve")
    seen: dict[str, Any] = {}
    with app.test_request_context("/api/v1/customers/customers"):
        from flask import g

        from ccokit.platform.kernel import RequestScope
        from ccokit_sdk.plugin import Principal

        session = current_kernel(app).db.session(api.tenant.tenant_id)
        principal = Principal(api.tenant.tenant_id, api.tenant.client_id, frozenset(), "owner")
        g.ccokit = RequestScope(api.tenant.tenant_id, principal, session, "en", {})
        seen["ref"] = resolve(current().session, phone="13900000000", name="Walk-in")
        session.commit()
        session.close()
    assert api.events("customer.created") == [("customer.created", {"customer_id": seen["ref"].public_id})]


def test_get_follows_merges_and_tier_reads_what_the_tier_earns(app: Flask, api: Api) -> None:
    target = api.create(name="Target", emails=["t@shop.cn"], tier="platinum")
    source = api.create(name="Source", emails=["s@shop.cn"])
    api.post(f"/customers/{target['id']}/merge", json={"source_id": source["id"]})
    get, tier = _service(app, "customers.get"), _service(app, "customers.tier")
    with api.session() as session:
        ref = get(session, decode_public_id("cus", source["id"]))
        assert ref.public_id == target["id"]
        assert get(session, source["id"]).id == ref.id  # a public id works too
        assert get(session, "cus_01JD3M6ZK7Q3XG5W2V8N4T9R1B") is None
        assert get(session, "not an id") is None
        level = tier(session, decode_public_id("cus", source["id"]))
    assert ref.tier == level
    assert (level.key, level.name, level.rank, level.priority_boost, level.sla_policy) == (
        "platinum", "Platinum", 4, 40, "vip")
    assert level.guarantees == ("priority_refund", "low_burden_of_proof")
    assert level.public_id.startswith("tier_")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.name = "changed"  # type: ignore[misc]


def test_an_erased_customer_is_known_as_erased_and_not_found_by_old_contacts(app: Flask, api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn"], tier="gold")
    api.post(f"/customers/{customer['id']}/erase")
    get, resolve = _service(app, "customers.get"), _service(app, "customers.resolve")
    with api.session() as session:
        ref = get(session, customer["id"])
        assert (ref.erased, ref.name, ref.tier.key) == (True, None, "gold")
        assert resolve(session, email="li@shop.cn", create=False) is None


def test_services_see_one_tenant_only(app: Flask, api: Api, other: Api) -> None:
    mine = api.create(name="Li", emails=["li@shop.cn"], tier="gold")
    get, tier, resolve = (_service(app, n) for n in ("customers.get", "customers.tier", "customers.resolve"))
    with other.session() as session:
        assert get(session, mine["id"]) is None
        assert tier(session, mine["id"]) is None
        assert resolve(session, email="li@shop.cn", create=False) is None


def _customer_count(api: Api) -> int:
    with api.session() as session:
        return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


def test_a_profile_whose_contact_was_taken_meanwhile_leaves_nothing(any_app: Flask) -> None:
    """The insert that loses a contact point to another profile deletes its own profile again
    (on both databases: ``ON CONFLICT DO NOTHING`` is spelled by each dialect)."""
    app, api = any_app, make_api(any_app, any_app.test_client())
    resolve = _service(app, "customers.resolve")
    with api.session() as session:
        first = resolve(session, email="race@shop.cn", publish=_publisher(app, session))
    with api.session() as session:
        assert insert_customer(session, [("phone", "", "+8613900000000"), ("email", "", "race@shop.cn")],
                               "Late", None) is None
        assert owners(session, [("phone", "", "+8613900000000")]) == {}
    assert _customer_count(api) == 1
    assert api.get(f"/customers/{first.public_id}").get_json()["emails"] == ["race@shop.cn"]


def test_two_requests_resolving_one_new_shopper_at_once_share_one_profile(app: Flask, api: Api) -> None:
    """PostgreSQL: the second waits on the first's uncommitted contact point, then finds its
    profile; one customer, one ``customer.created``."""
    resolve = _service(app, "customers.resolve")
    engine = current_kernel(app).db.engine

    def waiting_on_a_lock() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )) or 0)

    def second() -> Any:
        with api.session() as session:
            return resolve(session, email="rush@shop.cn", name="Second", publish=_publisher(app, session))

    with ThreadPoolExecutor(1) as pool:
        with api.session() as session:
            first = resolve(session, email="rush@shop.cn", name="First", publish=_publisher(app, session))
            later = pool.submit(second)
            deadline = time.monotonic() + 20
            while not waiting_on_a_lock() and not later.done() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert waiting_on_a_lock() == 1  # the second insert waits on our uncommitted key
        theirs = later.result(timeout=30)
    assert theirs.id == first.id
    assert _customer_count(api) == 1
    assert api.events("customer.created") == [("customer.created", {"customer_id": first.public_id})]


def test_one_statement_finds_the_owner_or_creates_a_profile_owning_the_key(app: Flask, api: Api) -> None:
    """PostgreSQL's path for a single contact point (every new ticket's requester)."""
    key = ("email", "", "one@shop.cn")
    with api.session() as session:
        owner, created = owner_or_new_customer(session, key, "One", "zh-CN")
        session.commit()
    assert owner is None
    assert created is not None
    with api.session() as session:
        assert owner_or_new_customer(session, key, "Someone else", None) == (created, None)
        assert owners(session, [key]) == {key: created}
        profile = session.get(Customer, (api.tenant.tenant_id, created))
        assert profile is not None
        assert (profile.name, profile.name_key, profile.locale) == ("One", "one", "zh-CN")
    assert _customer_count(api) == 1
