"""The tier ladder: seeded at sign-up in the workspace's language, changed by admins, audited."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from ccokit.plugins.customers.plugin import plugin
from tests.plugins.customers.conftest import Api, make_api


def _ladder(api: Api) -> list[tuple[str, str, int, int, str | None, list[str]]]:
    items = api.get("/tiers").get_json()["items"]
    return [(t["key"], t["name"], t["rank"], t["priority_boost"], t["sla_policy"], t["guarantees"]) for t in items]


def test_a_chinese_workspace_starts_with_the_four_cows(app: Flask, client: FlaskClient) -> None:
    api = make_api(app, client, locale="zh")
    assert _ladder(api) == [
        ("bronze", "一点牛", 1, 0, None, []),
        ("silver", "二点牛", 2, 10, None, []),
        ("gold", "三点牛", 3, 20, "priority", ["priority_refund"]),
        ("platinum", "超级牛", 4, 40, "vip", ["priority_refund", "low_burden_of_proof"]),
    ]
    assert api.get("/tiers").get_json()["items"][3]["names"] == {"en": "Platinum", "zh": "超级牛"}


def test_an_english_workspace_starts_with_metals(api: Api) -> None:
    assert [name for _, name, *_ in _ladder(api)] == ["Bronze", "Silver", "Gold", "Platinum"]


def test_admins_change_the_ladder_and_the_audit_log_records_it(api: Api) -> None:
    resp = api.post("/tiers", json={
        "key": "diamond", "name": "钻石牛", "names": {"en": "Diamond", "zh": "钻石牛"}, "rank": 5,
        "priority_boost": 80, "sla_policy": "vip", "guarantees": ["priority_refund", "priority_refund", "free_returns"],
    })
    assert resp.status_code == 201, resp.get_data(as_text=True)
    tier = resp.get_json()
    assert tier["id"].startswith("tier_")
    assert tier["guarantees"] == ["priority_refund", "free_returns"]
    assert resp.headers["Location"] == f"/api/v1/customers/tiers/{tier['id']}"
    path = f"/tiers/{tier['id']}"
    changed = api.patch(path, json={"priority_boost": 100, "name": "Diamond"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.get_json()["priority_boost"] == 100
    assert api.patch(path, json={"rank": 6}, headers={"If-Match": '"1"'}).status_code == 412
    assert api.patch(path, json={"key": "other"}).get_json()["errors"] == {"key": ["Unknown field."]}
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    audit = api.get("/api/v1/audit-events?target_type=customer_tier").get_json()["items"]
    assert [a["action"] for a in audit] == ["customer_tier.created", "customer_tier.updated", "customer_tier.deleted"]
    assert audit[1]["before"]["priority_boost"] == 80
    assert audit[1]["after"]["priority_boost"] == 100
    assert audit[2]["after"] is None
    assert audit[2]["target"]["id"] == tier["id"]


def test_keys_and_ranks_are_one_per_tier(api: Api) -> None:
    taken_key = api.post("/tiers", json={"key": "gold", "name": "Gold 2", "rank": 9})
    assert taken_key.status_code == 409
    assert taken_key.get_json()["errors"] == {"key": ["Another tier has the key gold."]}
    taken_rank = api.post("/tiers", json={"key": "iron", "name": "Iron", "rank": 1}, lang="zh")
    assert taken_rank.status_code == 409
    assert "1" in taken_rank.get_json()["errors"]["rank"][0]
    gold = next(t for t in api.get("/tiers").get_json()["items"] if t["key"] == "gold")
    assert api.patch(f"/tiers/{gold['id']}", json={"rank": 4}).status_code == 409
    assert api.patch(f"/tiers/{gold['id']}", json={"rank": 3}).status_code == 200  # its own rank


def test_a_tier_customers_hold_cannot_be_removed(api: Api) -> None:
    gold = next(t for t in api.get("/tiers").get_json()["items"] if t["key"] == "gold")
    customer = api.create(name="Li", emails=["li@shop.cn"], tier="gold")
    refused = api.delete(f"/tiers/{gold['id']}")
    assert refused.status_code == 409
    assert "1 customers" in refused.get_json()["detail"]
    api.patch(f"/customers/{customer['id']}", json={"tier": None})
    assert api.delete(f"/tiers/{gold['id']}").status_code == 204


def test_tier_validation_in_both_languages(api: Api) -> None:
    body = {"key": "Not A Key", "name": "", "rank": 0, "priority_boost": 5000, "names": {"fr": "Or"},
            "sla_policy": "has space"}
    en = api.post("/tiers", json=body).get_json()["errors"]
    assert set(en) == {"key", "name", "rank", "priority_boost", "names", "sla_policy"}
    zh = api.post("/tiers", json=body, lang="zh").get_json()["errors"]
    assert zh["rank"] == ["必须大于等于 1 且小于等于 100。"]
    assert zh["name"] == ["长度必须在 1 到 60 之间。"]
    assert zh["names"] == ["按语言填写名称：键为 en 和 zh，每个 1-60 个字符。"]


def test_the_ladder_is_for_admins(api: Api) -> None:
    assert {s.name: s.min_role for s in plugin.scopes}["customers:admin"] == "admin"
    agent = api.with_scopes("customers:read", "customers:write")
    assert agent.get("/tiers").status_code == 200
    denied = agent.post("/tiers", json={"key": "iron", "name": "Iron", "rank": 9})
    assert denied.status_code == 403
    assert 'scope="customers:admin"' in denied.headers["WWW-Authenticate"]
    tier = api.get("/tiers").get_json()["items"][0]
    assert agent.patch(f"/tiers/{tier['id']}", json={"name": "x"}).status_code == 403
    assert agent.delete(f"/tiers/{tier['id']}").status_code == 403


def test_another_tenants_tier_is_not_found(api: Api, other: Api) -> None:
    tier = api.get("/tiers").get_json()["items"][0]
    assert other.get(f"/tiers/{tier['id']}").status_code == 404
    assert other.patch(f"/tiers/{tier['id']}", json={"name": "mine"}).status_code == 404
    assert other.delete(f"/tiers/{tier['id']}").status_code == 404
    assert api.get(f"/tiers/{tier['id']}").get_json()["name"] == "Bronze"
