"""Ticket search through the API, the same cases on PostgreSQL and on SQLite (the embedded default).

Chinese is segmented by jieba (without its HMM guesser), English words are folded for case and
plural; every word of the query must match; results come newest ticket first, a page at a time.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccokit.plugins.ticketing.services.search import query
from ccokit.plugins.ticketing.services.search.tokens import document_terms
from tests.conftest import bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, Workspace

SEARCH = f"{API}/search"


def _found(ws: Workspace, q: str, **params: Any) -> list[str]:
    """The ids of every ticket ``q`` finds (following the cursor to the end)."""
    ids: list[str] = []
    cursor = None
    while True:
        args = {"q": q, **params, **({"cursor": cursor} if cursor else {})}
        resp = ws.client.get(SEARCH, query_string=args, headers=ws.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def _comment(ws: Workspace, ticket: dict[str, Any], body: str, public: bool = True) -> None:
    resp = ws.client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": body, "public": public},
                          headers=ws.auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_chinese_words_find_a_segmented_subject(workspace: Workspace) -> None:
    parcel = workspace.ticket(subject="我的快递三天了还没到")
    refund = workspace.ticket(subject="退款什么时候到账")
    # What jieba makes of the subject (search mode, no HMM): every character run it knows.
    assert document_terms("我的快递三天了还没到") == ["我", "的", "快递", "三天", "了", "还", "没", "到"]
    assert _found(workspace, "快递") == [parcel["id"]]
    assert _found(workspace, "没到") == [parcel["id"]]  # 没 + 到, both in the subject
    assert _found(workspace, "快递还没到") == [parcel["id"]]
    assert _found(workspace, "我的快递") == [parcel["id"]]  # 我 and 的 are function words: ignored
    assert _found(workspace, "退款") == [refund["id"]]
    assert _found(workspace, "快递 退款") == []  # every word must match
    assert _found(workspace, "发票") == []


def test_long_chinese_words_are_found_by_their_parts(workspace: Workspace) -> None:
    invoice = workspace.ticket(subject="麻烦重新开具增值税专用发票")
    for part in ("增值税专用发票", "增值税", "专用发票", "发票", "专用"):
        assert _found(workspace, part) == [invoice["id"]], part
    assert _found(workspace, "普通发票") == []


def test_english_words_match_across_case_plural_and_possessive(workspace: Workspace) -> None:
    ticket = workspace.ticket(subject="Damaged PARCELS", description="The customer's boxes arrived crushed.")
    other = workspace.ticket(subject="Invoice request")
    for q in ("parcel", "Parcels", "PARCEL'S", "box", "customer", "customers", "CRUSHED"):
        assert _found(workspace, q) == [ticket["id"]], q
    assert _found(workspace, "the invoices") == [other["id"]]  # "the" is a function word
    assert _found(workspace, "parcel invoice") == []


def test_mixed_text_with_order_numbers_and_skus(workspace: Workspace) -> None:
    ticket = workspace.ticket(
        subject="订单SO20240615001的手机壳尺寸不对",
        description="SKU AB-1234，颜色：黑色；电话 138-0013-8000",
    )
    workspace.ticket(subject="订单SO20240615002已发货", description="SKU AB-5678")
    for q in ("SO20240615001", "so20240615001", "20240615001", "AB-1234", "ab1234", "ＡＢ－１２３４",
              "13800138000", "手机壳 尺寸", "订单 AB-1234", "黑色"):
        assert _found(workspace, q) == [ticket["id"]], q
    assert len(_found(workspace, "订单")) == 2


def test_replies_and_internal_notes_make_their_ticket_found(workspace: Workspace) -> None:
    ticket = workspace.ticket(subject="Where is my order")
    other = workspace.ticket(subject="Where is my order too")
    _comment(workspace, ticket, "您好，退款已原路返回，请注意查收。")
    _comment(workspace, ticket, "Warehouse forgot the free gift (仓库漏发了赠品)", public=False)
    assert _found(workspace, "退款") == [ticket["id"]]
    assert _found(workspace, "原路返回") == [ticket["id"]]
    assert _found(workspace, "赠品") == [ticket["id"]]
    assert _found(workspace, "gift warehouse") == [ticket["id"]]
    assert _found(workspace, "order 赠品") == [ticket["id"]]  # subject and note together
    assert _found(workspace, "order") == [other["id"], ticket["id"]]


def test_a_changed_subject_replaces_its_words_and_keeps_the_comments(workspace: Workspace) -> None:
    ticket = workspace.ticket(subject="Broken screen", description="屏幕碎了")
    _comment(workspace, ticket, "Sent a replacement unit")
    resp = workspace.client.patch(
        f"{API}/tickets/{ticket['id']}", json={"subject": "Wrong colour", "description": "颜色发错了"},
        headers=workspace.auth,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _found(workspace, "screen") == []
    assert _found(workspace, "屏幕") == []
    assert _found(workspace, "colour") == [ticket["id"]]
    assert _found(workspace, "颜色") == [ticket["id"]]
    assert _found(workspace, "replacement colour") == [ticket["id"]]


def test_status_filter(workspace: Workspace) -> None:
    new = workspace.ticket(subject="Late parcel one")
    pending = workspace.ticket(subject="Late parcel two", status="pending")
    solved = workspace.ticket(subject="Late parcel three")
    resp = workspace.client.patch(f"{API}/tickets/{solved['id']}", json={"status": "solved"}, headers=workspace.auth)
    assert resp.status_code == 200
    assert _found(workspace, "parcel", status="solved") == [solved["id"]]
    assert _found(workspace, "parcel", status=["new", "pending"]) == [pending["id"], new["id"]]
    assert _found(workspace, "parcel", status="closed") == []
    assert _found(workspace, "parcel") == [solved["id"], pending["id"], new["id"]]


def test_another_workspaces_tickets_never_appear(workspace: Workspace) -> None:
    other_client = workspace.app.test_client()
    other_tenant = signup(other_client)
    other = Workspace(workspace.app, other_client, other_tenant, bearer(issue_token(other_client, other_tenant)))
    theirs = other.ticket(subject="快递丢了 secret parcel")
    ours = workspace.ticket(subject="快递丢了 our parcel")
    assert _found(workspace, "快递") == [ours["id"]]
    assert _found(workspace, "secret") == []
    assert _found(other, "parcel") == [theirs["id"]]


def test_pages_follow_the_cursor_newest_first(workspace: Workspace) -> None:
    made = [workspace.ticket(subject=f"发货延迟 {n}")["id"] for n in range(5)]
    workspace.ticket(subject="Something else")
    first = workspace.client.get(SEARCH, query_string={"q": "发货", "limit": 2}, headers=workspace.auth).get_json()
    assert [i["id"] for i in first["items"]] == made[::-1][:2]
    assert first["next_cursor"]
    assert _found(workspace, "发货", limit=2) == made[::-1]
    assert _found(workspace, "发货", limit=5) == made[::-1]


def test_a_hit_carries_the_ticket_summary_and_a_highlighted_snippet(workspace: Workspace) -> None:
    long_start = "说明：" + "这是一段很长的背景介绍。" * 8
    ticket = workspace.ticket(subject="Parcel late", description=long_start + "客户的快递三天还没到，请尽快处理。",
                              priority="high")
    body = workspace.client.get(SEARCH, query_string={"q": "快递"}, headers=workspace.auth).get_json()
    (hit,) = body["items"]
    assert {k: hit[k] for k in ("id", "number", "subject", "status", "priority")} == {
        "id": ticket["id"], "number": ticket["number"], "subject": "Parcel late", "status": "new", "priority": "high",
    }
    assert hit["updated_at"] == ticket["updated_at"]
    assert hit["snippet"].startswith("…")
    assert "快递三天还没到" in hit["snippet"]
    assert len(hit["snippet"]) <= query.SNIPPET_CHARS + 2
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["快递"]
    plain = workspace.ticket(subject="Refund", description="Two REFUNDS asked")
    hit = workspace.client.get(SEARCH, query_string={"q": "refund"}, headers=workspace.auth).get_json()["items"][0]
    assert hit["id"] == plain["id"]
    assert (hit["snippet"], [hit["snippet"][a:b] for a, b in hit["highlights"]]) == ("Two REFUNDS asked", ["REFUND"])


@pytest.mark.parametrize(("params", "en", "zh"), [
    ({}, "Missing data for required field.", "缺少必填字段。"),
    ({"q": ""}, "Length must be between 1 and 200.", "长度必须在 1 到 200 之间。"),
    ({"q": "   "}, "Enter a word or a phrase to search for.", "请输入要搜索的词或短语。"),
    ({"q": "快" * 201}, "Length must be between 1 and 200.", "长度必须在 1 到 200 之间。"),
    ({"q": "？！..."}, "Search for letters, digits or Chinese characters; punctuation alone finds nothing.",
     "请搜索字母、数字或汉字；仅有标点符号无法搜索。"),
])
def test_a_bad_query_answers_422_with_a_field_error_in_english_and_chinese(
    workspace: Workspace, params: dict[str, str], en: str, zh: str
) -> None:
    for language, message in (("en", en), ("zh", zh)):
        resp = workspace.client.get(
            SEARCH, query_string=params, headers={**workspace.auth, "Accept-Language": language}
        )
        assert resp.status_code == 422, resp.get_data(as_text=True)
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"] == {"q": [message]}


def test_bad_status_limit_or_cursor_answer_422(workspace: Workspace) -> None:
    for params in ({"q": "x", "status": "lost"}, {"q": "x", "limit": 0}, {"q": "x", "cursor": "!!"}):
        resp = workspace.client.get(SEARCH, query_string=params, headers=workspace.auth)
        assert resp.status_code == 422, params
        assert resp.mimetype == "application/problem+json"


def test_search_needs_tickets_read_and_the_plugin(workspace: Workspace) -> None:
    ws = workspace
    assert ws.client.get(SEARCH, query_string={"q": "x"}).status_code == 401
    narrow = bearer(issue_token(ws.client, ws.tenant, ["tenant:read"]))
    assert ws.client.get(SEARCH, query_string={"q": "x"}, headers=narrow).status_code == 403
    admin = bearer(issue_token(ws.client, ws.tenant))
    assert ws.client.post("/api/v1/plugins/ticketing/disable", headers=admin).status_code == 200
    resp = ws.client.get(SEARCH, query_string={"q": "x"}, headers=ws.auth)
    assert resp.status_code == 404


@pytest.mark.parametrize("extended", [0, 1, 3, 100])
def test_pages_are_right_when_older_matches_come_from_the_index(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, extended: int
) -> None:
    """On PostgreSQL the newest ``RECENT_WINDOW`` tickets are read in key order, then (when they
    held a match) ``EXTENDED_WINDOW`` more, then older matches come from the GIN index. A window
    of 2 and stretches of 0 (no second step), 1 and 3 (all three steps, the page completed across
    them) and 100 (the second step reads everything) must all give the same pages."""
    monkeypatch.setattr(query, "RECENT_WINDOW", 2)
    monkeypatch.setattr(query, "EXTENDED_WINDOW", extended)
    old = [workspace.ticket(subject=f"赠品漏发 {n}")["id"] for n in range(4)]
    workspace.ticket(subject="Unrelated one")
    workspace.ticket(subject="Unrelated two")
    newest = workspace.ticket(subject="赠品漏发 newest")["id"]
    expected = [newest, *old[::-1]]
    assert _found(workspace, "赠品") == expected
    assert _found(workspace, "赠品", limit=2) == expected
    assert _found(workspace, "赠品", limit=1) == expected
    workspace.client.patch(f"{API}/tickets/{old[1]}", json={"status": "pending"}, headers=workspace.auth)
    assert _found(workspace, "赠品", status="pending") == [old[1]]
    assert _found(workspace, "赠品 newest") == [newest]
    assert _found(workspace, "赠品 3") == [old[3]]
    assert _found(workspace, "nothing") == []

