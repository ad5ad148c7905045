"""Customer profiles over HTTP: create, read, change, list, look up, and what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ccokit.plugins.customers.models import Customer
from ccokit.plugins.customers.services.profiles import update_customer
from ccokit_sdk.ids import decode_public_id
from tests.plugins.customers.conftest import Api


def test_a_profile_is_stored_in_one_spelling_and_read_back(api: Api) -> None:
    resp = api.post("/customers", json={
        "name": "  王小明 ", "emails": ["Wang@Shop.CN", "wang@shop.cn"], "phones": ["+86 138-0013-8000"],
        "chat_ids": [{"channel": "WeChat", "id": "wxid_4kD9"}],
        "external_ids": [{"kind": "member_id", "value": " M001 "}],
        "locale": "zh-cn", "tier": "gold", "tags": ["vip", "vip", "批发"], "notes": "Prefers SF Express",
    })
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    assert created["id"].startswith("cus_")
    assert resp.headers["Location"] == f"/api/v1/customers/customers/{created['id']}"
    assert resp.headers["ETag"] == '"1"'
    assert created["name"] == "王小明"
    assert created["emails"] == ["wang@shop.cn"]
    assert created["phones"] == ["+8613800138000"]
    assert created["chat_ids"] == [{"channel": "wechat", "id": "wxid_4kD9"}]
    assert created["external_ids"] == [{"kind": "member_id", "value": "M001"}]
    assert created["locale"] == "zh-CN"
    assert created["tier"] == "gold"
    assert sorted(created["tags"]) == ["vip", "批发"]
    got = api.get(f"/customers/{created['id']}")
    assert got.status_code == 200
    assert got.get_json() == created
    assert got.headers["ETag"] == '"1"'
    assert "Content-Location" not in got.headers


def test_events_name_the_customer_and_carry_no_personal_data(api: Api) -> None:
    created = api.create(name="王小明", emails=["wang@shop.cn"], tier="silver")
    api.patch(f"/customers/{created['id']}", json={"name": "王大明", "tier": "gold", "phones": ["13800138000"]})
    assert api.events("customer.created", "customer.updated", "customer.tier_changed") == [
        ("customer.created", {"customer_id": created["id"]}),
        ("customer.updated", {"customer_id": created["id"], "changed": ["name", "tier", "phones"]}),
        ("customer.tier_changed", {"customer_id": created["id"], "tier": "gold", "previous_tier": "silver"}),
    ]
    assert "王" not in str(api.events())
    assert "wang@" not in str(api.events())


def test_field_errors_come_in_english_and_chinese(api: Api) -> None:
    body = {"emails": ["not-an-email"], "phones": ["12ab"], "chat_ids": [{"channel": "we chat"}],
            "tags": ["a;b"], "locale": "zh_CN_x_y_z", "colour": "red"}
    en = api.post("/customers", json=body)
    assert en.status_code == 422
    assert en.mimetype == "application/problem+json"
    errors = en.get_json()["errors"]
    assert errors["emails"] == {"0": ["Not a valid email address."]}
    assert errors["phones"]["0"][0].startswith("A phone number is 5-15 digits")
    assert errors["chat_ids"]["0"]["id"] == ["Missing data for required field."]
    assert errors["chat_ids"]["0"]["channel"][0].startswith("A channel is")
    assert errors["tags"]["0"][0].startswith("Tags are 1-40 characters")
    assert errors["colour"] == ["Unknown field."]
    zh = api.post("/customers", json=body, lang="zh-CN").get_json()
    assert zh["title"] == "部分字段无效"
    assert zh["errors"]["emails"] == {"0": ["邮箱地址无效。"]}
    assert zh["errors"]["chat_ids"]["0"]["id"] == ["此项必填。"]
    assert zh["errors"]["colour"] == ["未知字段。"]
    assert zh["errors"]["phones"]["0"][0].startswith("电话号码为 5-15 位数字")


def test_a_profile_needs_a_name_or_a_contact_point_and_a_known_tier(api: Api) -> None:
    empty = api.post("/customers", json={"name": "  ", "tags": ["vip"]}, lang="zh")
    assert empty.status_code == 422
    assert empty.get_json()["errors"]["_schema"] == ["请至少填写姓名、邮箱、电话、聊天账号或外部编号之一。"]
    unknown = api.post("/customers", json={"name": "A", "tier": "diamond"})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"tier": ["No tier has the key diamond."]}
    assert api.get("/customers").get_json()["items"] == []


def test_one_contact_point_names_one_customer(api: Api) -> None:
    first = api.create(name="A", emails=["a@shop.cn"], external_ids=[{"kind": "member_id", "value": "M1"}])
    clash = api.post("/customers", json={"name": "B", "emails": ["A@Shop.cn"]})
    assert clash.status_code == 409
    problem = clash.get_json()
    assert problem["errors"] == {"emails": [f"a@shop.cn already belongs to customer {first['id']}."]}
    assert first["id"] in problem["detail"]
    second = api.create(name="B", emails=["b@shop.cn"])
    patched = api.patch(f"/customers/{second['id']}", json={"external_ids": [{"kind": "member_id", "value": "M1"}]},
                        lang="zh")
    assert patched.status_code == 409
    assert patched.get_json()["errors"] == {"external_ids": [f"M1 已属于客户 {first['id']}。"]}
    # The same value under another kind or channel is another contact point.
    api.create(name="C", external_ids=[{"kind": "shop_account", "value": "M1"}])
    assert [c["name"] for c in api.get("/customers").get_json()["items"]] == ["A", "B", "C"]


def test_look_up_by_each_kind_of_contact_point(api: Api) -> None:
    customer = api.create(
        name="Li", emails=["li@shop.cn"], phones=["+86 139 0000 1111"],
        chat_ids=[{"channel": "wangwang", "id": "tb_li"}], external_ids=[{"kind": "member_id", "value": "M7"}],
    )
    for query in ("email=LI@shop.cn", "phone=%2B86-139-0000-1111", "phone=0086%2013900001111",
                  "chat_channel=wangwang&chat_id=tb_li", "external_kind=member_id&external_id=M7"):
        resp = api.get(f"/customers/lookup?{query}")
        assert resp.status_code == 200, query
        assert resp.get_json()["id"] == customer["id"]
        assert resp.headers["ETag"] == '"1"'
    assert api.get("/customers/lookup?email=nobody@shop.cn").status_code == 404
    assert api.get("/customers/lookup?chat_channel=wechat&chat_id=tb_li").status_code == 404
    two = api.get("/customers/lookup?email=li@shop.cn&phone=13900001111")
    assert two.status_code == 422
    assert "exactly one" in two.get_json()["errors"]["_schema"][0]
    half = api.get("/customers/lookup?chat_id=tb_li")
    assert half.get_json()["errors"] == {"chat_channel": ["Give chat_channel too."]}


def test_a_change_replaces_the_lists_it_names_and_keeps_the_rest(api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn", "li@home.cn"], tags=["vip"], phones=["13900001111"])
    resp = api.patch(f"/customers/{customer['id']}", json={"emails": ["li@home.cn", "li@work.cn"], "notes": None})
    assert resp.status_code == 200
    changed = resp.get_json()
    assert changed["emails"] == ["li@home.cn", "li@work.cn"]
    assert changed["phones"] == ["13900001111"]
    assert changed["tags"] == ["vip"]
    assert resp.headers["ETag"] == '"2"'
    # The dropped email is free again: it names nobody, and another profile may take it.
    assert api.get("/customers/lookup?email=li@shop.cn").status_code == 404
    api.create(name="Other", emails=["li@shop.cn"])
    # A change that changes nothing publishes nothing and keeps the version.
    same = api.patch(f"/customers/{customer['id']}", json={"name": "Li"})
    assert same.headers["ETag"] == '"2"'
    assert [p["changed"] for _, p in api.events("customer.updated")] == [["emails"]]


def test_if_match_refuses_a_change_made_on_a_stale_read(api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn"])
    path = f"/customers/{customer['id']}"
    etag = api.get(path).headers["ETag"]
    assert api.patch(path, json={"name": "Li Lei"}, headers={"If-Match": etag}).status_code == 200
    stale = api.patch(path, json={"name": "Han Meimei"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert '"2"' in stale.get_json()["detail"]
    assert api.get(path).get_json()["name"] == "Li Lei"
    assert api.patch(path, json={"name": "Han Meimei"}, headers={"If-Match": '"2"'}).status_code == 200
    assert api.patch(path, json={"notes": "x"}, headers={"If-Match": "*"}).status_code == 200


def test_lists_filter_by_tag_tier_name_prefix_and_contact_point_and_page_by_cursor(api: Api) -> None:
    api.create(name="Wang Fang", emails=["wf@shop.cn"], tags=["vip"], tier="gold")
    api.create(name="wang_li", emails=["wl@shop.cn"], tags=["vip", "wholesale"])
    api.create(name="Zhang Wei", phones=["13800000001"], tier="gold")
    api.create(name="100% cotton", emails=["c@shop.cn"])

    def names(query: str) -> list[str]:
        resp = api.get(f"/customers?{query}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [c["name"] for c in resp.get_json()["items"]]

    assert names("tag=vip") == ["Wang Fang", "wang_li"]
    assert names("tag=vip&tier=gold") == ["Wang Fang"]
    assert names("tier=gold") == ["Wang Fang", "Zhang Wei"]
    assert names("q=WANG") == ["Wang Fang", "wang_li"]
    assert names("q=wang_") == ["wang_li"]  # _ is a character here, not a wildcard
    assert names("q=100%25") == ["100% cotton"]
    assert names("q=fang") == []
    assert names("email=WL@shop.cn") == ["wang_li"]
    assert names("phone=138-0000-0001") == ["Zhang Wei"]
    assert names("tier=diamond") == []
    first = api.get("/customers?limit=3").get_json()
    assert [c["name"] for c in first["items"]] == ["Wang Fang", "wang_li", "Zhang Wei"]
    rest = api.get(f"/customers?limit=3&cursor={first['next_cursor']}").get_json()
    assert [c["name"] for c in rest["items"]] == ["100% cotton"]
    assert rest["next_cursor"] is None


def test_scopes_guard_reading_writing_and_erasing(api: Api) -> None:
    customer = api.create(name="Li", emails=["li@shop.cn"])
    reader = api.with_scopes("customers:read")
    assert reader.get(f"/customers/{customer['id']}").status_code == 200
    denied = reader.post("/customers", json={"name": "X"})
    assert denied.status_code == 403
    assert 'scope="customers:write"' in denied.headers["WWW-Authenticate"]
    writer = api.with_scopes("customers:read", "customers:write")
    assert writer.patch(f"/customers/{customer['id']}", json={"name": "Li Lei"}).status_code == 200
    assert writer.post(f"/customers/{customer['id']}/erase").status_code == 403
    assert api.client.get("/api/v1/customers/customers").status_code == 401


def test_another_tenants_customer_is_not_found(api: Api, other: Api) -> None:
    mine = api.create(name="Li", emails=["li@shop.cn"], tags=["vip"])
    path = f"/customers/{mine['id']}"
    assert other.get(path).status_code == 404
    assert other.patch(path, json={"name": "stolen"}).status_code == 404
    assert other.post(f"{path}/merge", json={"source_id": mine["id"]}).status_code == 404
    assert other.post(f"{path}/erase").status_code == 404
    assert other.get("/customers/lookup?email=li@shop.cn").status_code == 404
    assert other.get("/customers?tag=vip").get_json()["items"] == []
    # Uniqueness is per workspace: the other merchant has its own shopper with this email.
    theirs = other.create(name="Li (B)", emails=["li@shop.cn"])
    theirs_source = other.post(f"/customers/{theirs['id']}/merge", json={"source_id": mine["id"]})
    assert theirs_source.status_code == 422
    assert api.get(path).get_json()["name"] == "Li"
    assert decode_public_id("cus", mine["id"]) != decode_public_id("cus", theirs["id"])


def test_malformed_ids_are_not_found(api: Api) -> None:
    assert api.get("/customers/qr_01JD3M6ZK7Q3XG5W2V8N4T9R1B").status_code == 404
    assert api.get("/customers/cus_nonsense").status_code == 404
    assert api.patch("/customers/cus_01JD3M6ZK7Q3XG5W2V8N4T9R1B", json={"name": "x"}).status_code == 404


def test_two_writes_racing_cannot_both_win(api: Api) -> None:
    """Two transactions read version 1; the one that writes second is refused, not merged in."""
    created = api.create(name="Li", emails=["li@shop.cn"])
    customer_id = decode_public_id("cus", created["id"])
    def ignore(*_: object) -> None:
        """Events are not what this test is about."""

    with api.session() as first, api.session() as second:
        mine = first.scalar(select(Customer).where(Customer.id == customer_id))
        theirs = second.scalar(select(Customer).where(Customer.id == customer_id))
        update_customer(first, mine, {"name": "Li Lei"}, ignore)
        first.commit()
        with pytest.raises(StaleDataError):
            update_customer(second, theirs, {"name": "Han Meimei"}, ignore)
    assert api.get(f"/customers/{created['id']}").get_json()["name"] == "Li Lei"
