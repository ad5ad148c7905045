"""The embedded default (SQLite) behaves like PostgreSQL for the everyday flows."""

from __future__ import annotations

from flask import Flask

from tests.plugins.customers.conftest import make_api


def test_create_look_up_merge_import_and_erase_on_each_database(any_app: Flask) -> None:
    api = make_api(any_app, any_app.test_client(), locale="zh")
    assert [t["name"] for t in api.get("/tiers").get_json()["items"]] == ["一点牛", "二点牛", "三点牛", "超级牛"]
    a = api.create(name="Wang Fang", emails=["WF@shop.cn"], tags=["vip"], tier="gold")
    b = api.create(name="wang_li", phones=["+86 139 0000 0000"])
    assert api.post("/customers", json={"emails": ["wf@SHOP.cn"]}).status_code == 409
    assert [c["name"] for c in api.get("/customers?q=wang_").get_json()["items"]] == ["wang_li"]
    assert api.get("/customers/lookup?phone=%2B8613900000000").get_json()["id"] == b["id"]
    assert api.post(f"/customers/{a['id']}/merge", json={"source_id": b["id"]}).status_code == 200
    assert api.get(f"/customers/{b['id']}").get_json()["phones"] == ["+8613900000000"]
    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\r\n"
    body += "email,name,tier\nnew@shop.cn,新客,超级牛\nwf@shop.cn,Wang F.,\n".encode() + b"\r\n--x--\r\n"
    report = api.post("/imports", data=body, content_type="multipart/form-data; boundary=x").get_json()
    assert (report["created"], report["updated"]) == (1, 1)
    bad = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\r\nemail\nok@shop.cn\nbad\r\n--x--\r\n"
    assert api.post("/imports", data=bad, content_type="multipart/form-data; boundary=x").status_code == 422
    assert api.get("/customers/lookup?email=ok@shop.cn").status_code == 404
    erased = api.post(f"/customers/{a['id']}/erase").get_json()
    assert erased["emails"] == []
    assert erased["name"] is None
    assert [t for t, _ in api.events("customer.merged", "customer.erased", "customers.imported")] == [
        "customer.merged", "customers.imported", "customer.erased",
    ]
