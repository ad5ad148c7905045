"""CSV imports: streamed, upserts by contact point, all or nothing, with a report per row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, func, select, text
from werkzeug.test import TestResponse

from ccokit.platform.events.outbox import publish
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.customers.models import ContactPoint, Customer
from ccokit.plugins.customers.services.imports import MAX_ERRORS, import_customers
from tests.plugins.customers.conftest import Api


def _upload(api: Api, csv_text: str | bytes, query: str = "", **kwargs: Any) -> TestResponse:
    """POST the CSV as a browser would. The body is encoded here: the test client would spool a
    large one to a temporary file that nobody closes."""
    data = csv_text.encode() if isinstance(csv_text, str) else csv_text
    boundary = "ccokit-test-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="customers.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return api.post(f"/imports{query}", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


def _count(api: Api) -> int:
    with api.session() as session:
        return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


def test_an_import_creates_and_updates_by_contact_point(api: Api) -> None:
    existing = api.create(name="Old name", emails=["wang@shop.cn"], tags=["vip"])
    resp = _upload(api, (
        "Name,Email,Phone,External IDs,Tier,Tags,Locale\n"
        "王小明,WANG@shop.cn,,member_id:M1,三点牛,wholesale,zh\n"
        "Li Lei,li@shop.cn;lilei@home.cn,+86 139 0000 1111,member_id:M2;shop_account:tb_li,platinum,vip;new,en\n"
        ",,,,,,\n"
        "Li L.,,+8613900001111,,,,\n"
    ))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    report = resp.get_json()
    assert (report["rows"], report["created"], report["updated"], report["errors"]) == (3, 1, 1, [])
    assert report["id"].startswith("cimp_")
    assert report["dry_run"] is False
    wang = api.get(f"/customers/{existing['id']}").get_json()
    assert wang["name"] == "王小明"
    assert wang["tier"] == "gold"  # found by its Chinese name
    assert wang["tags"] == ["vip", "wholesale"]  # added to, not replaced
    assert wang["external_ids"] == [{"kind": "member_id", "value": "M1"}]
    li = api.get("/customers/lookup?external_kind=shop_account&external_id=tb_li").get_json()
    assert li["name"] == "Li L."  # the last row naming the same phone updated the profile the file made
    assert li["emails"] == ["li@shop.cn", "lilei@home.cn"]
    assert li["phones"] == ["+8613900001111"]
    assert li["tier"] == "platinum"
    assert li["locale"] == "en"
    assert api.events("customers.imported") == [
        ("customers.imported", {"import_id": report["id"], "rows": 3, "created": 1, "updated": 1}),
    ]
    assert api.events("customer.created")[1:] == []  # one event for the import, none per row
    audit = api.get("/api/v1/audit-events?action=customers.imported").get_json()["items"]
    assert audit[0]["target"] == {"type": "customer_import", "id": report["id"]}
    assert audit[0]["after"] == {"rows": 3, "created": 1, "updated": 1}


def test_one_bad_row_and_nothing_is_imported(api: Api) -> None:
    existing = api.create(name="Keep me", emails=["keep@shop.cn"])
    csv_text = (
        "name,email,phone,tier,tags\n"
        "Renamed,keep@shop.cn,,,\n"
        "Good,good@shop.cn,,,\n"
        "Bad,not-an-email,12,diamond,\n"
        "Nobody,,,,\n"
    )
    resp = _upload(api, csv_text)
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["detail"] == "4 problems in the file; nothing was imported."
    assert problem["errors"] == [
        {"row": 4, "column": "email", "message": "Not a valid email address."},
        {"row": 4, "column": "phone", "message": problem["errors"][1]["message"]},
        {"row": 4, "column": "tier", "message": "No tier has the key diamond."},
        {"row": 5, "column": None,
         "message": "Each row needs an email, a phone or an external id, so that it names one customer."},
    ]
    assert problem["errors"][1]["message"].startswith("A phone number is")
    assert _count(api) == 1
    assert api.get(f"/customers/{existing['id']}").get_json()["name"] == "Keep me"
    assert api.get("/customers/lookup?email=good@shop.cn").status_code == 404
    assert api.events("customers.imported") == []
    zh = _upload(api, csv_text, lang="zh").get_json()
    assert zh["detail"] == "文件中有 4 处问题；未导入任何数据。"
    assert zh["errors"][0]["message"] == "邮箱地址无效。"


def test_a_row_naming_two_customers_is_an_error(api: Api) -> None:
    a = api.create(name="A", emails=["a@shop.cn"])
    b = api.create(name="B", phones=["13800000000"])
    resp = _upload(api, "name,email,phone\nAB,a@shop.cn,13800000000\n")
    assert resp.status_code == 422
    (error,) = resp.get_json()["errors"]
    assert error["row"] == 2
    assert a["id"] in error["message"]
    assert b["id"] in error["message"]


def test_a_dry_run_counts_without_writing(api: Api) -> None:
    api.create(name="A", emails=["a@shop.cn"])
    resp = _upload(api, "email,name\na@shop.cn,A2\nb@shop.cn,B\nc@shop.cn,C\n", query="?dry_run=true")
    assert resp.status_code == 200
    report = resp.get_json()
    assert (report["dry_run"], report["rows"], report["created"], report["updated"]) == (True, 3, 2, 1)
    assert _count(api) == 1
    assert api.get("/customers/lookup?email=a@shop.cn").get_json()["name"] == "A"
    assert api.events("customers.imported") == []
    failing = _upload(api, "email\nbroken\n", query="?dry_run=true")
    assert failing.status_code == 422


def test_headers_are_checked_before_any_row(api: Api) -> None:
    unknown = _upload(api, "name,emial,phone\nA,a@shop.cn,\n")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["row"] == 1
    assert unknown.get_json()["errors"][0]["column"] == "emial"
    no_identity = _upload(api, "name,tags\nA,vip\n", lang="zh")
    assert no_identity.get_json()["errors"] == [
        {"row": 1, "column": None, "message": "表头至少需要 email、phone、external_ids 中的一列。"},
    ]
    empty = _upload(api, "")
    assert empty.get_json()["errors"] == [{"row": 1, "column": None, "message": "The file has no header row."}]
    chinese_headers = _upload(api, "姓名,邮箱,会员等级\n王芳,wf@shop.cn,gold\n")
    assert chinese_headers.status_code == 200
    assert chinese_headers.get_json()["created"] == 1


def test_encodings_excel_uses_are_read(api: Api) -> None:
    bom = _upload(api, "\ufeffname,email\n王芳,wf@shop.cn\n".encode())
    assert bom.status_code == 200, bom.get_data(as_text=True)
    gbk = "name,email\n李雷,ll@shop.cn\n".encode("gb18030")
    as_utf8 = _upload(api, gbk)
    assert as_utf8.status_code == 422
    assert "gb18030" in as_utf8.get_json()["errors"][0]["message"]
    assert _upload(api, gbk, query="?encoding=gb18030").status_code == 200
    assert api.get("/customers/lookup?email=ll@shop.cn").get_json()["name"] == "李雷"
    assert api.get("/customers/lookup?email=wf@shop.cn").get_json()["name"] == "王芳"


def test_the_report_stops_at_a_thousand_errors(api: Api) -> None:
    csv_text = "email\n" + "bad\n" * (MAX_ERRORS + 500)
    resp = _upload(api, csv_text)
    assert resp.status_code == 422
    assert len(resp.get_json()["errors"]) == MAX_ERRORS
    assert resp.get_json()["detail"].startswith(f"{MAX_ERRORS}+ problems")


def test_row_and_size_limits_come_from_the_settings(api: Api) -> None:
    resp = api.client.put("/api/v1/plugins/customers/settings", json={"settings": {
        "import_max_rows": 2, "import_max_bytes": 2048,
    }}, headers={"Authorization": f"Bearer {api.token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    too_many = _upload(api, "email\na@shop.cn\nb@shop.cn\nc@shop.cn\n")
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"] == [
        {"row": 4, "column": None, "message": "The file has more than 2 rows; split it or raise import_max_rows."},
    ]
    too_big = _upload(api, "email\n" + "".join(f"c{i}@shop.cn\n" for i in range(300)))
    assert too_big.status_code == 413
    assert too_big.mimetype == "application/problem+json"
    assert _count(api) == 0


def test_the_file_is_required_and_json_is_not_a_file(api: Api) -> None:
    missing = api.post("/imports", data={"other": "x"}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"file": ["Missing data for required field."]}
    assert api.post("/imports", json={"file": "name,email"}).status_code == 422
    # Other routes still take JSON only.
    assert api.post("/customers", data={"name": "x"}, content_type="multipart/form-data").status_code == 415


def test_twenty_thousand_rows_over_http(api: Api) -> None:
    """Larger than the platform's 1 MiB request limit: the import route takes the plugin's own."""
    lines = ["name,email,phone,tags,tier"]
    lines += [f"Shopper {i},shopper{i}@shop.cn,+86 138000{i:05d},bulk,silver" for i in range(20_000)]
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) > 1 << 20
    resp = _upload(api, body)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.get_json()["created"] == 20_000
    assert _count(api) == 20_000
    last = api.get("/customers/lookup?phone=%2B8613800019999").get_json()
    assert last["name"] == "Shopper 19999"
    assert last["tier"] == "silver"
    assert last["tags"] == ["bulk"]
    assert len(api.get("/customers?tag=bulk&tier=silver&limit=100").get_json()["items"]) == 100


def test_rows_are_written_while_the_file_is_still_being_read(api: Api) -> None:
    """The importer takes a lazy stream of lines: writing starts long before the last line is
    read, and the session never holds more than a chunk of customers."""
    total = 5_000
    read = {"lines": 0}

    def lines() -> Iterator[str]:
        yield "name,email\n"
        for i in range(total):
            read["lines"] += 1
            yield f"S{i},s{i}@shop.cn\n"

    kernel = current_kernel(api.app)
    seen: list[tuple[int, int]] = []
    with api.session() as session:
        def on_flush(flushed: Any, _context: Any) -> None:
            if any(isinstance(o, Customer) for o in flushed.new):
                seen.append((read["lines"], len(flushed.identity_map)))

        event.listen(session, "after_flush", on_flush)
        report = import_customers(
            session, lines(), max_rows=100_000, dry_run=False,
            publish=lambda kind, payload: publish(session, kernel.events, kind, payload),
        )
        event.remove(session, "after_flush", on_flush)
    assert report.created == total
    assert report.errors == []
    assert len(seen) >= total // 500
    assert seen[0][0] <= 501  # the first chunk is written after about 500 lines, not 5,000
    assert max(size for _, size in seen) < 1_500  # one chunk: 500 customers, their 500 emails, the tiers
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(ContactPoint)) == total


def test_an_import_plans_its_look_ups_for_the_tables_as_they_are(api: Api) -> None:
    """Each chunk's look-ups are planned with the tables' current size (a generic plan kept
    from the first chunks read every contact point per chunk: twenty thousand rows took
    minutes), for the import's transaction only."""
    kernel = current_kernel(api.app)
    with api.session() as session:
        assert session.scalar(text("SHOW plan_cache_mode")) == "auto"
        report = import_customers(
            session, iter(["name,email\n", "A,a@shop.cn\n"]), max_rows=10, dry_run=False,
            publish=lambda kind, payload: publish(session, kernel.events, kind, payload),
        )
        assert report.created == 1
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    with api.session() as session:
        assert session.scalar(text("SHOW plan_cache_mode")) == "auto"


def test_a_nul_character_in_a_row_is_that_row_s_error(api: Api) -> None:
    """PostgreSQL cannot store U+0000: the row that carries one is reported, nothing is written."""
    resp = _upload(api, "name,email\nGood,good@shop.cn\nBa\x00d,bad@shop.cn\n")
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert [e["row"] for e in resp.get_json()["errors"]] == [3]
    assert _count(api) == 0


def test_an_import_over_a_mebibyte_with_an_idempotency_key_runs_once(api: Api) -> None:
    """The SDK sends an Idempotency-Key with every POST: a 1.5 MB file must not meet the
    platform's 1 MiB default before the import raises its own limit, and a retry replays."""
    rows = "".join(f"Shopper {i:06d},shopper{i:06d}@big.example,{'x' * 40}\n" for i in range(22_000))
    csv_text = "name,email,tags\n" + rows
    assert len(csv_text.encode()) > 1_500_000
    key = {"Idempotency-Key": "import-2026-11-23-a"}
    first = _upload(api, csv_text, headers=key)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["created"] == 22_000
    again = _upload(api, csv_text, headers=key)
    assert again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = _upload(api, csv_text + "One more,one.more@big.example,y\n", headers=key)
    assert other.status_code == 422
    assert other.get_json()["type"].endswith("idempotency-key-reused")
    assert _count(api) == 22_000
