"""How text becomes search terms: what jieba makes of Chinese, and the rules for everything else."""

from __future__ import annotations

import pytest

from ccokit.plugins.ticketing.services.search import tokens
from ccokit.plugins.ticketing.services.search.tokens import MAX_TERM_BYTES, document_terms, query_terms


def test_chinese_is_cut_the_same_alone_and_inside_a_sentence() -> None:
    # Without jieba's HMM guesser 没到 is 没 + 到 in both places; with it, the sentence made 没到
    # a word and the query 没到 (没 + 到) found nothing.
    assert document_terms("我的快递三天了还没到") == ["我", "的", "快递", "三天", "了", "还", "没", "到"]
    assert query_terms("没到") == ["没", "到"]
    assert query_terms("快递还没到") == ["快递", "还", "没", "到"]


def test_documents_keep_the_words_inside_long_words_and_queries_the_whole_word() -> None:
    assert document_terms("增值税专用发票") == ["增值", "增值税", "专用", "发票", "专用发票"]
    assert query_terms("增值税专用发票") == ["增值税", "专用发票"]
    assert set(query_terms("专用发票")) <= set(document_terms("请开增值税专用发票"))


@pytest.mark.parametrize(("text", "terms"), [
    ("Parcels", ["parcel"]),
    ("the customer's BOXES", ["customer", "box"]),
    ("batteries watches classes", ["battery", "watch", "class"]),
    ("status address analysis bus", ["status", "address", "analysis", "bus"]),
    ("don't", ["dont"]),
    ("AB-1234", ["ab1234"]),
    ("ＡＢ１２３４", ["ab1234"]),
    ("li@shop.cn", ["lishopcn"]),
    ("iPhone15", ["iphone15"]),
])
def test_query_terms(text: str, terms: list[str]) -> None:
    assert query_terms(text) == terms


def test_a_document_keeps_compounds_their_parts_and_letter_digit_parts() -> None:
    assert document_terms("SKU AB-1234 for order SO20240615001") == [
        "sku", "ab1234", "ab", "1234", "for", "order", "so20240615001", "so", "20240615001",
    ]
    assert document_terms("订单SO1的iPhone15") == ["订单", "so1", "so", "1", "的", "iphone15", "iphone", "15"]


def test_function_words_are_left_out_of_a_query_unless_nothing_else_is_left() -> None:
    assert query_terms("where is my parcel") == ["parcel"]
    assert query_terms("我的快递") == ["快递"]
    assert query_terms("the") == ["the"]
    assert query_terms("的") == ["的"]


def test_nothing_searchable_gives_no_terms() -> None:
    assert query_terms("  ？！… --- ") == []
    assert document_terms("", None, "。。") == []


def test_long_terms_are_cut_to_the_same_bytes_everywhere() -> None:
    word = "x" * 100
    assert document_terms(word) == query_terms(word) == ["x" * MAX_TERM_BYTES]
    assert tokens._clip("中" * 40) == "中" * (MAX_TERM_BYTES // 3)  # never half a character


def test_a_query_has_at_most_max_query_terms() -> None:
    assert len(query_terms(" ".join(f"w{n}" for n in range(40)))) == tokens.MAX_QUERY_TERMS


def test_warm_up_loads_the_dictionary_once() -> None:
    tokens.warm_up()
    first = tokens._jieba()
    tokens.warm_up()
    assert tokens._jieba() is first
    assert first.initialized
