"""Erasure on request (GDPR, PIPL): the person is gone from the row, an anonymised stub stays."""

from __future__ import annotations

from sqlalchemy import select, text

from ccokit.plugins.customers.models import ContactPoint, Customer, CustomerTag
from ccokit_sdk.ids import decode_public_id
from tests.plugins.customers.conftest import Api


def test_erasure_removes_the_personal_data_and_keeps_a_stub(api: Api) -> None:
    customer = api.create(
        name="王小明", emails=["wang@shop.cn"], phones=["13800138000"], notes="Lives at 1 Nanjing Rd",
        chat_ids=[{"channel": "wechat", "id": "wxid_wang"}], external_ids=[{"kind": "member_id", "value": "M1"}],
        tags=["vip"], locale="zh", tier="gold",
    )
    resp = api.post(f"/customers/{customer['id']}/erase")
    assert resp.status_code == 200
    stub = resp.get_json()
    assert stub["id"] == customer["id"]
    assert stub["erased_at"] is not None
    assert (stub["name"], stub["notes"], stub["locale"]) == (None, None, None)
    assert stub["emails"] == stub["phones"] == stub["chat_ids"] == stub["external_ids"] == stub["tags"] == []
    assert stub["tier"] == "gold"
    assert api.get(f"/customers/{customer['id']}").get_json() == stub
    customer_id = decode_public_id("cus", customer["id"])
    with api.session() as session:
        row = session.scalar(select(Customer).where(Customer.id == customer_id))
        assert row is not None
        assert row.erased_at is not None
        assert (row.name, row.name_key, row.notes, row.locale) == (None, None, None, None)
        assert session.scalars(select(ContactPoint)).all() == []
        assert session.scalars(select(CustomerTag)).all() == []
        # Nothing of the person is left anywhere in the customers tables, not even in raw rows.
        dump = str(session.execute(text("SELECT * FROM customers")).all())
        dump += str(session.execute(text("SELECT * FROM customer_contact_points")).all())
    for personal in ("王小明", "wang@shop.cn", "13800138000", "wxid_wang", "M1", "Nanjing"):
        assert personal not in dump
    # Nor in any event the workspace published about them.
    outbox = str(api.events())
    for personal in ("王小明", "wang@shop.cn", "13800138000", "wxid_wang", "Nanjing"):
        assert personal not in outbox
    assert api.events("customer.erased") == [("customer.erased", {"customer_id": customer["id"]})]


def test_erasure_is_audited_and_happens_once(api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn"])
    assert api.post(f"/customers/{customer['id']}/erase").status_code == 200
    assert api.post(f"/customers/{customer['id']}/erase").status_code == 200
    assert len(api.events("customer.erased")) == 1
    audit = api.get("/api/v1/audit-events?action=customer.erased").get_json()["items"]
    assert len(audit) == 1
    assert audit[0]["target"] == {"type": "customer", "id": customer["id"]}
    assert audit[0]["before"] is None
    assert audit[0]["after"] is None


def test_an_erased_profile_takes_no_change_and_frees_its_contact_points(api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn"])
    api.post(f"/customers/{customer['id']}/erase")
    refused = api.patch(f"/customers/{customer['id']}", json={"name": "Li again"}, lang="zh")
    assert refused.status_code == 409
    assert customer["id"] in refused.get_json()["detail"]
    assert api.get("/customers/lookup?email=li@shop.cn").status_code == 404
    assert api.get("/customers").get_json()["items"] == []
    # The same shopper coming back is a new profile.
    again = api.create(name="Li", emails=["li@shop.cn"])
    assert again["id"] != customer["id"]


def test_erasing_a_merged_id_erases_the_profile_it_was_merged_into(api: Api) -> None:
    target = api.create(name="A", emails=["a@shop.cn"])
    source = api.create(name="A old", phones=["13900000000"])
    api.post(f"/customers/{target['id']}/merge", json={"source_id": source["id"]})
    resp = api.post(f"/customers/{source['id']}/erase")
    assert resp.get_json()["id"] == target["id"]
    assert resp.get_json()["phones"] == []
    assert api.events("customer.erased") == [("customer.erased", {"customer_id": target["id"]})]
