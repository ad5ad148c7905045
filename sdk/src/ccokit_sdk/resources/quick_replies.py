"""``client.quick_replies``: the workspace's library of quick replies (快捷短语) for agents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path

__all__ = ["AsyncQuickReplyService", "QuickReply", "QuickReplyService", "RenderedReply"]

URL = "/api/v1/quick_replies/replies"
ONE = "/api/v1/quick_replies/replies/{}"


@dataclass(frozen=True, kw_only=True)
class QuickReply(APIObject):
    """A quick reply (``qr_…``): typed as ``shortcut`` (``/refund``), ``body`` may hold ``{placeholders}``."""

    id: str
    shortcut: str
    title: str
    body: str
    language: str
    tags: list[str]
    usage_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class RenderedReply(APIObject):
    """A quick reply's text with its placeholders filled, ready to send."""

    id: str
    text: str


def _body(
    shortcut: str | None,
    title: str | None,
    body: str | None,
    language: str | None,
    tags: Sequence[str] | None,
) -> dict[str, object]:
    return fields(
        shortcut=shortcut, title=title, body=body, language=language,
        tags=list(tags) if tags is not None else None,
    )


class QuickReplyService(Namespace):
    def list(
        self, *, language: str | None = None, q: str | None = None, limit: int | None = None
    ) -> Pager[QuickReply]:
        """Quick replies oldest first; ``q`` searches title and body (scope ``quick_replies:read``)."""
        return self._list(QuickReply, URL, fields(language=language, q=q), limit)

    def create(
        self,
        *,
        shortcut: str,
        title: str,
        body: str,
        language: str | None = None,
        tags: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> QuickReply:
        """Add a quick reply (scope ``quick_replies:write``); 409 if the shortcut is taken."""
        return self._call(
            QuickReply, "POST", URL, body=_body(shortcut, title, body, language, tags),
            idempotency_key=idempotency_key,
        )

    def get(self, reply_id: str) -> QuickReply:
        return self._call(QuickReply, "GET", path(ONE, reply_id))

    def update(
        self,
        reply_id: str,
        *,
        shortcut: str | None = None,
        title: str | None = None,
        body: str | None = None,
        language: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> QuickReply:
        """Change the given fields; those left ``None`` stay as they are."""
        return self._call(
            QuickReply, "PATCH", path(ONE, reply_id), body=_body(shortcut, title, body, language, tags)
        )

    def delete(self, reply_id: str) -> None:
        self._call_no_content("DELETE", path(ONE, reply_id))

    def render(self, reply_id: str, variables: Mapping[str, str] | None = None) -> RenderedReply:
        """The reply's text with ``{placeholders}`` filled from ``variables``; counts one use."""
        return self._call(
            RenderedReply, "POST", path(ONE + "/render", reply_id), body={"variables": dict(variables or {})}
        )


class AsyncQuickReplyService(AsyncNamespace):
    def list(
        self, *, language: str | None = None, q: str | None = None, limit: int | None = None
    ) -> AsyncPager[QuickReply]:
        """Quick replies oldest first; ``q`` searches title and body (scope ``quick_replies:read``)."""
        return self._list(QuickReply, URL, fields(language=language, q=q), limit)

    async def create(
        self,
        *,
        shortcut: str,
        title: str,
        body: str,
        language: str | None = None,
        tags: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> QuickReply:
        """Add a quick reply (scope ``quick_replies:write``); 409 if the shortcut is taken."""
        return await self._call(
            QuickReply, "POST", URL, body=_body(shortcut, title, body, language, tags),
            idempotency_key=idempotency_key,
        )

    async def get(self, reply_id: str) -> QuickReply:
        return await self._call(QuickReply, "GET", path(ONE, reply_id))

    async def update(
        self,
        reply_id: str,
        *,
        shortcut: str | None = None,
        title: str | None = None,
        body: str | None = None,
        language: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> QuickReply:
        """Change the given fields; those left ``None`` stay as they are."""
        return await self._call(
            QuickReply, "PATCH", path(ONE, reply_id), body=_body(shortcut, title, body, language, tags)
        )

    async def delete(self, reply_id: str) -> None:
        await self._call_no_content("DELETE", path(ONE, reply_id))

    async def render(self, reply_id: str, variables: Mapping[str, str] | None = None) -> RenderedReply:
        """The reply's text with ``{placeholders}`` filled from ``variables``; counts one use."""
        return await self._call(
            RenderedReply, "POST", path(ONE + "/render", reply_id), body={"variables": dict(variables or {})}
        )
