"""Lists page themselves lazily, by cursor, against the real app."""

from __future__ import annotations

import itertools

from ccokit_sdk import Client
from ccokit_sdk.lists import Page, Pager
from tests.sdk.conftest import Recorder

LIST_PATH = "/api/v1/quick_replies/replies"


def _fill(sdk: Client, count: int) -> list[str]:
    return [
        sdk.quick_replies.create(shortcut=f"/r{i}", title=f"Reply {i}", body="text").id for i in range(count)
    ]


def test_iterating_follows_the_cursor_to_the_end(sdk: Client, recorder: Recorder) -> None:
    ids = _fill(sdk, 23)
    before = len(recorder.requests("GET", LIST_PATH))
    seen = [r.id for r in sdk.quick_replies.list(limit=5) if r.shortcut != "/hello"]
    assert seen == ids  # every one, once, in creation order
    pages = recorder.requests("GET", LIST_PATH)[before:]
    assert len(pages) == 5  # 24 replies with sign-up's /hello, five per page


def test_a_list_asks_nothing_until_iterated_and_stops_when_the_caller_stops(
    sdk: Client, recorder: Recorder
) -> None:
    _fill(sdk, 12)
    before = len(recorder.requests("GET", LIST_PATH))
    pager = sdk.quick_replies.list(limit=4)
    assert isinstance(pager, Pager)
    assert len(recorder.requests("GET", LIST_PATH)) == before
    first_six = list(itertools.islice(pager, 6))
    assert len(first_six) == 6
    assert len(recorder.requests("GET", LIST_PATH)) == before + 2  # pages of 4: two were enough


def test_pages_and_first_page(sdk: Client) -> None:
    _fill(sdk, 6)
    first = sdk.quick_replies.list(limit=4).first_page()
    assert isinstance(first, Page)
    assert len(first.items) == 4
    assert first.next_cursor
    sizes = [len(page.items) for page in sdk.quick_replies.list(limit=4).pages()]
    assert sizes == [4, 3]
    last = list(sdk.quick_replies.list(limit=4).pages())[-1]
    assert last.next_cursor is None


def test_the_same_pager_can_be_iterated_again(sdk: Client) -> None:
    _fill(sdk, 3)
    pager = sdk.quick_replies.list(limit=2)
    assert [r.id for r in pager] == [r.id for r in pager]


def test_a_list_without_cursor_is_one_page(sdk: Client, recorder: Recorder) -> None:
    names = [p.name for p in sdk.plugins.list()]
    assert "quick_replies" in names
    assert len(recorder.requests("GET", "/api/v1/plugins")) == 1
