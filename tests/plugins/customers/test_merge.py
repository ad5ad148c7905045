"""Merging two profiles: everything moves to the target, the source's id follows it."""

from __future__ import annotations

from sqlalchemy import select

from ccokit.plugins.customers.models import ContactPoint, Customer
from ccokit_sdk.ids import decode_public_id
from tests.plugins.customers.conftest import Api


def test_a_merge_moves_contact_points_tags_and_notes_and_the_old_id_follows(api: Api) -> None:
    target = api.create(name="王小明", emails=["wang@shop.cn"], tags=["vip"], notes="Calls in the morning",
                        tier="silver")
    source = api.create(name="小明", phones=["13800138000"], tags=["wholesale", "vip"], locale="zh",
                        external_ids=[{"kind": "member_id", "value": "M9"}], notes="Wants invoices", tier="gold")
    resp = api.post(f"/customers/{target['id']}/merge", json={"source_id": source["id"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    merged = resp.get_json()
    assert merged["id"] == target["id"]
    assert merged["name"] == "王小明"
    assert merged["emails"] == ["wang@shop.cn"]
    assert merged["phones"] == ["13800138000"]
    assert merged["external_ids"] == [{"kind": "member_id", "value": "M9"}]
    assert merged["tags"] == ["vip", "wholesale"]
    assert merged["notes"] == "Calls in the morning\n\nWants invoices"
    assert merged["locale"] == "zh"
    assert merged["tier"] == "gold"  # the higher of the two
    # History follows: the source's id answers with the target, and its contact points find it.
    old = api.get(f"/customers/{source['id']}")
    assert old.status_code == 200
    assert old.get_json()["id"] == target["id"]
    assert old.headers["Content-Location"] == f"/api/v1/customers/customers/{target['id']}"
    assert api.get("/customers/lookup?phone=13800138000").get_json()["id"] == target["id"]
    assert [c["id"] for c in api.get("/customers").get_json()["items"]] == [target["id"]]
    assert api.events("customer.merged", "customer.tier_changed") == [
        ("customer.merged", {"customer_id": target["id"], "merged_id": source["id"]}),
        ("customer.tier_changed", {"customer_id": target["id"], "tier": "gold", "previous_tier": "silver"}),
    ]


def test_the_tombstone_keeps_no_personal_data(api: Api) -> None:
    target = api.create(name="A", emails=["a@shop.cn"])
    source = api.create(name="A (old)", emails=["old@shop.cn"], notes="secret note", tags=["x"])
    api.post(f"/customers/{target['id']}/merge", json={"source_id": source["id"]})
    source_id = decode_public_id("cus", source["id"])
    with api.session() as session:
        tomb = session.scalar(select(Customer).where(Customer.id == source_id))
        assert tomb is not None
        assert tomb.merged_into_id == decode_public_id("cus", target["id"])
        assert (tomb.name, tomb.notes, tomb.locale, tomb.tier_id, tomb.tags) == (None, None, None, None, [])
        owners = session.scalars(select(ContactPoint.customer_id)).all()
        assert set(owners) == {decode_public_id("cus", target["id"])}


def test_chains_of_merges_lead_to_the_last_profile(api: Api) -> None:
    a, b, c = (api.create(name=n, emails=[f"{n}@shop.cn"]) for n in ("a", "b", "c"))
    assert api.post(f"/customers/{b['id']}/merge", json={"source_id": a["id"]}).status_code == 200
    assert api.post(f"/customers/{c['id']}/merge", json={"source_id": b["id"]}).status_code == 200
    assert api.get(f"/customers/{a['id']}").get_json()["id"] == c["id"]
    assert api.get(f"/customers/{b['id']}").get_json()["emails"] == ["a@shop.cn", "b@shop.cn", "c@shop.cn"]
    # Old ids in a change follow too: changing ``a`` changes ``c``.
    changed = api.patch(f"/customers/{a['id']}", json={"name": "C."})
    assert changed.get_json()["id"] == c["id"]
    assert api.get(f"/customers/{c['id']}").get_json()["name"] == "C."
    with api.session() as session:
        pointers = dict(session.execute(select(Customer.id, Customer.merged_into_id)).all())
    assert pointers[decode_public_id("cus", a["id"])] == decode_public_id("cus", c["id"])


def test_merges_that_make_no_sense_are_refused(api: Api) -> None:
    a = api.create(name="a", emails=["a@shop.cn"])
    b = api.create(name="b", emails=["b@shop.cn"])
    itself = api.post(f"/customers/{a['id']}/merge", json={"source_id": a["id"]}, lang="zh")
    assert itself.status_code == 422
    assert itself.get_json()["errors"]["source_id"] == [f"两个编号指向同一个客户（{a['id']}）。"]
    api.post(f"/customers/{a['id']}/merge", json={"source_id": b["id"]})
    again = api.post(f"/customers/{a['id']}/merge", json={"source_id": b["id"]})
    assert again.status_code == 422  # b now is a: the same customer
    missing = api.post(f"/customers/{a['id']}/merge", json={})
    assert missing.get_json()["errors"] == {"source_id": ["Missing data for required field."]}
    unknown = api.post(f"/customers/{a['id']}/merge", json={"source_id": "cus_01JD3M6ZK7Q3XG5W2V8N4T9R1B"})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"source_id": ["No customer has this id."]}
    c = api.create(name="c", emails=["c@shop.cn"])
    assert api.post(f"/customers/{c['id']}/erase").status_code == 200
    erased = api.post(f"/customers/{a['id']}/merge", json={"source_id": c["id"]})
    assert erased.status_code == 409
    assert [t for t, _ in api.events("customer.merged")] == ["customer.merged"]
