"""The base of every resource namespace (``client.members``, ``client.plugins``, ...).

A namespace method names the HTTP call and the result type; :class:`Namespace` (sync) and
:class:`AsyncNamespace` send it through the client's engine and turn the JSON into the result
object, a :class:`~ccokit_sdk.lists.Pager` for lists, or ``None`` for 204 answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.lists import AsyncPager, Page, Pager
from ccokit_sdk.objects import APIObject

__all__ = ["AsyncNamespace", "Namespace", "fields", "if_match", "many", "nulls", "path", "timestamp"]

T = TypeVar("T", bound=APIObject)


def path(template: str, *ids: str) -> str:
    """``template`` with each ``{}`` replaced by an id, percent-encoded so that it stays one segment."""
    for value in ids:
        if not isinstance(value, str) or not value:
            raise ValueError(f"an id must be a non-empty string, not {value!r}")
    return template.format(*(quote(value, safe="") for value in ids))


def fields(**values: Any) -> dict[str, Any]:
    """The given fields of a request, leaving out those passed as ``None`` (not given)."""
    return {name: value for name, value in values.items() if value is not None}


def nulls(names: Iterable[str] | None) -> dict[str, None]:
    """The fields of a change to set to null (``clear=["due_at"]``), since ``None`` means "keep"."""
    return dict.fromkeys(names or ())


def many(values: str | Sequence[str] | None) -> list[str] | None:
    """A filter that takes several values (sent as a repeated query key); one string is one value."""
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def if_match(version: int | None) -> dict[str, str] | None:
    """``If-Match`` for a change made only if the object is still at ``version`` (else 412)."""
    return None if version is None else {"If-Match": f'"{version}"'}


def timestamp(value: datetime | None) -> str | None:
    """A query argument for a point in time; naive datetimes are refused, as the API refuses them."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("pass a timezone-aware datetime, e.g. datetime.now(UTC)")
    return value.isoformat()


class Namespace:
    """A resource's calls on :class:`~ccokit_sdk.Client`."""

    def __init__(self, engine: SyncEngine) -> None:
        self._engine = engine

    def _call(
        self,
        result: type[T],
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        data = self._engine.request(
            method, url, params=params, body=body, idempotency_key=idempotency_key, headers=headers
        )
        return result.from_api(data or {})

    def _call_no_content(self, method: str, url: str, *, params: Mapping[str, Any] | None = None) -> None:
        self._engine.request(method, url, params=params)

    def _list(
        self, result: type[T], url: str, params: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> Pager[T]:
        def fetch(cursor: str | None) -> Page[T]:
            query = {**(params or {}), "limit": limit, "cursor": cursor}
            return Page.from_api(self._engine.request("GET", url, params=query), result.from_api)

        return Pager(fetch)


class AsyncNamespace:
    """A resource's calls on :class:`~ccokit_sdk.AsyncClient`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _call(
        self,
        result: type[T],
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        data = await self._engine.request(
            method, url, params=params, body=body, idempotency_key=idempotency_key, headers=headers
        )
        return result.from_api(data or {})

    async def _call_no_content(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None
    ) -> None:
        await self._engine.request(method, url, params=params)

    def _list(
        self, result: type[T], url: str, params: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> AsyncPager[T]:
        async def fetch(cursor: str | None) -> Page[T]:
            query = {**(params or {}), "limit": limit, "cursor": cursor}
            return Page.from_api(await self._engine.request("GET", url, params=query), result.from_api)

        return AsyncPager(fetch)
