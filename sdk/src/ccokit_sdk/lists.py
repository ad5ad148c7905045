"""Lists that page themselves: iterate, and the next page is fetched when the last one runs out.

Every list of the API answers ``{"items": [...], "next_cursor": "..." | null}`` and takes
``cursor`` and ``limit`` (the page size, 1-100). A list method returns a pager at once, without
a request; iterating it asks for the first page, then follows ``next_cursor`` until the server
gives none. Stop early (``break``, ``itertools.islice``) and no further page is fetched.

.. code-block:: python

    for member in client.members.list():          # every member, page by page
        ...
    page = client.members.list(limit=10).first_page()   # just one page
    async for member in async_client.members.list():    # the same on AsyncClient
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPager", "Page", "Pager"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, and the cursor of the next page (``None`` on the last)."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def from_api(cls, data: Any, convert: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        items = data.get("items") if isinstance(data, dict) else None
        cursor = data.get("next_cursor") if isinstance(data, dict) else None
        next_cursor = cursor if isinstance(cursor, str) and cursor else None
        return cls([convert(item) for item in items or []], next_cursor)


class Pager(Generic[T]):
    """A lazily paged list; iterate it for the items or :meth:`pages` for whole pages."""

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch

    def first_page(self) -> Page[T]:
        return self._fetch(None)

    def pages(self) -> Iterator[Page[T]]:
        cursor: str | None = None
        while True:
            page = self._fetch(cursor)
            yield page
            if page.next_cursor is None or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPager(Generic[T]):
    """The :class:`Pager` of :class:`~ccokit_sdk.AsyncClient`: ``async for`` over the items."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch

    async def first_page(self) -> Page[T]:
        return await self._fetch(None)

    async def pages(self) -> AsyncIterator[Page[T]]:
        cursor: str | None = None
        while True:
            page = await self._fetch(cursor)
            yield page
            if page.next_cursor is None or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item
