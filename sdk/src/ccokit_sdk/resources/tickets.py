"""``client.tickets``: the workspace's tickets (工单), their comments, history and search.

Needs the ticketing plugin (on by default). ``client.tickets.list(status="open")`` pages itself
by cursor in the order ``sort`` names (newest first by default); ``client.tickets.comments``
reads and adds replies and internal notes. A change can be made conditional on the version you
read (``if_version=ticket.version``, sent as ``If-Match``): if someone changed the ticket in
between, it raises :class:`~ccokit_sdk.errors.PreconditionFailed` instead of overwriting them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import (
    AsyncNamespace,
    Namespace,
    fields,
    if_match,
    many,
    nulls,
    path,
    timestamp,
)

__all__ = [
    "AsyncTicketCommentService",
    "AsyncTicketService",
    "Comment",
    "Requester",
    "Ticket",
    "TicketChange",
    "TicketCommentService",
    "TicketSearchHit",
    "TicketService",
]

URL = "/api/v1/ticketing/tickets"
ONE = "/api/v1/ticketing/tickets/{}"
COMMENTS = "/api/v1/ticketing/tickets/{}/comments"
HISTORY = "/api/v1/ticketing/tickets/{}/history"
SEARCH = "/api/v1/ticketing/search"

Filter = str | Sequence[str] | None


@dataclass(frozen=True, kw_only=True)
class Requester(APIObject):
    """Who asked; ``customer_id`` (``cus_…``) is their customer profile, with the customers plugin."""

    name: str | None
    email: str | None
    phone: str | None
    customer_id: str | None


@dataclass(frozen=True, kw_only=True)
class Comment(APIObject):
    """A reply to the requester (``public``) or an internal note (``cmt_…``).

    ``author_kind`` is agent, customer, bot or system; ``author_id`` a member (``mem_…``) or a
    customer (``cus_…``).
    """

    id: str
    ticket_id: str
    author_kind: str
    author_id: str | None
    author_name: str | None
    public: bool
    body: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Ticket(APIObject):
    """A ticket (``tkt_…``, shown to people as ``#number``).

    ``status`` is new, open, pending, on_hold, solved or closed; ``priority`` low, normal, high or
    urgent; ``version`` rises with every change (pass it as ``if_version``). ``comments`` (the
    first ones, oldest first) and ``comments_next_cursor`` come with ``get``, not in lists.
    """

    id: str
    number: int
    subject: str
    description: str
    requester: Requester
    channel: str
    category: str
    priority: str
    status: str
    assignee_id: str | None
    group_id: str | None
    followers: list[str]
    tags: list[str]
    due_at: datetime | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    solved_at: datetime | None
    closed_at: datetime | None
    first_replied_at: datetime | None
    version: int
    merged_into_id: str | None
    comments: list[Comment] | None = None
    comments_next_cursor: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketChange(APIObject):
    """One changed field of a ticket (``chg_…``): who (``actor_kind``, ``actor_id``), through what
    (``via``: api, macro, trigger, automation, merge, bulk, system), from ``old`` to ``new``."""

    id: str
    field: str
    old: Any
    new: Any
    actor_kind: str
    actor_id: str | None
    via: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class TicketSearchHit(APIObject):
    """A ticket that search found, with a ``snippet`` of its text and where the words are in it
    (``highlights``: ``[start, end)`` character offsets)."""

    id: str
    number: int
    subject: str
    status: str
    priority: str
    updated_at: datetime
    snippet: str
    highlights: list[list[int]]


def _list_query(
    status: Filter, priority: Filter, category: Filter, channel: Filter, assignee_id: Filter,
    unassigned: bool | None, group_id: Filter, tag: Filter, customer_id: str | None,
    created_after: datetime | None, created_before: datetime | None, updated_after: datetime | None,
    updated_before: datetime | None, due_before: datetime | None, custom_fields: Mapping[str, str] | None,
    sort: str | None,
) -> dict[str, Any]:
    query = fields(
        status=many(status), priority=many(priority), category=many(category), channel=many(channel),
        assignee_id=many(assignee_id), unassigned=unassigned, group_id=many(group_id), tag=many(tag),
        customer_id=customer_id, created_after=timestamp(created_after),
        created_before=timestamp(created_before), updated_after=timestamp(updated_after),
        updated_before=timestamp(updated_before), due_before=timestamp(due_before), sort=sort,
    )
    query.update({f"cf.{key}": value for key, value in (custom_fields or {}).items()})
    return query


def _ticket_body(
    subject: str | None, description: str | None, requester: Mapping[str, str | None] | None,
    channel: str | None, category: str | None, priority: str | None, status: str | None,
    assignee_id: str | None, group_id: str | None, followers: Sequence[str] | None,
    tags: Sequence[str] | None, due_at: datetime | None, custom_fields: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return fields(
        subject=subject, description=description,
        requester=dict(requester) if requester is not None else None, channel=channel, category=category,
        priority=priority, status=status, assignee_id=assignee_id,
        group_id=group_id, followers=many(followers), tags=many(tags), due_at=due_at,
        custom_fields=dict(custom_fields) if custom_fields is not None else None,
    )


def _list_changes(
    add_tags: Sequence[str] | None, remove_tags: Sequence[str] | None,
    add_followers: Sequence[str] | None, remove_followers: Sequence[str] | None, clear: Sequence[str] | None,
) -> dict[str, Any]:
    return {
        **fields(add_tags=many(add_tags), remove_tags=many(remove_tags), add_followers=many(add_followers),
                 remove_followers=many(remove_followers)),
        **nulls(clear),
    }


def _comment_body(
    body: str, public: bool | None, author_kind: str | None, author_id: str | None, author_name: str | None,
    attachment_ids: Sequence[str] | None,
) -> dict[str, Any]:
    return fields(body=body, public=public, author_kind=author_kind, author_id=author_id,
                  author_name=author_name, attachment_ids=many(attachment_ids))


class TicketCommentService(Namespace):
    def list(self, ticket_id: str, *, limit: int | None = None) -> Pager[Comment]:
        """The ticket's comments, oldest first (scope ``tickets:read``)."""
        return self._list(Comment, path(COMMENTS, ticket_id), limit=limit)

    def add(
        self,
        ticket_id: str,
        *,
        body: str,
        public: bool | None = None,
        author_kind: str | None = None,
        author_id: str | None = None,
        author_name: str | None = None,
        attachment_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Comment:
        """Reply to the requester, or add an internal note with ``public=False`` (scope
        ``tickets:write``). The author is the calling member unless ``author_kind``/``author_id``
        say otherwise (``author_kind="customer"``: the requester wrote it)."""
        return self._call(
            Comment, "POST", path(COMMENTS, ticket_id),
            body=_comment_body(body, public, author_kind, author_id, author_name, attachment_ids),
            idempotency_key=idempotency_key,
        )


class TicketService(Namespace):
    """``client.tickets``, with ``comments`` for a ticket's replies and notes."""

    def __init__(self, engine: SyncEngine) -> None:
        super().__init__(engine)
        self.comments = TicketCommentService(engine)

    def list(
        self,
        *,
        status: Filter = None,
        priority: Filter = None,
        category: Filter = None,
        channel: Filter = None,
        assignee_id: Filter = None,
        unassigned: bool | None = None,
        group_id: Filter = None,
        tag: Filter = None,
        customer_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        due_before: datetime | None = None,
        custom_fields: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Pager[Ticket]:
        """Tickets matching every filter given (scope ``tickets:read``).

        A filter takes one value or several (``status=["open", "pending"]``: either);
        ``custom_fields`` filters by custom field values (``{"order_amount": "99"}``). ``sort`` is
        ``created_at``, ``updated_at``, ``priority``, ``due_at`` or ``number``, with ``-`` for
        descending (default ``-created_at``, newest first). Times are timezone-aware;
        ``*_after`` is inclusive, ``*_before`` exclusive.
        """
        query = _list_query(
            status, priority, category, channel, assignee_id, unassigned, group_id, tag, customer_id,
            created_after, created_before, updated_after, updated_before, due_before, custom_fields, sort,
        )
        return self._list(Ticket, URL, query, limit)

    def create(
        self,
        *,
        subject: str,
        description: str | None = None,
        requester: Mapping[str, str | None] | None = None,
        channel: str | None = None,
        category: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        assignee_id: str | None = None,
        group_id: str | None = None,
        followers: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        due_at: datetime | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Ticket:
        """Open a ticket (scope ``tickets:write``); it gets the workspace's next ``number``.

        ``requester`` is ``{"name": ..., "email": ..., "phone": ...}`` or ``{"customer_id": "cus_…"}``;
        with the customers plugin an email or phone finds (or creates) the customer.
        """
        body = _ticket_body(subject, description, requester, channel, category, priority, status,
                            assignee_id, group_id, followers, tags, due_at, custom_fields)
        return self._call(Ticket, "POST", URL, body=body, idempotency_key=idempotency_key)

    def get(self, ticket_id: str, *, comments_limit: int | None = None) -> Ticket:
        """The ticket with its first ``comments_limit`` comments (0-100, default 100), oldest first;
        ``comments.list`` pages on from ``comments_next_cursor``."""
        return self._call(Ticket, "GET", path(ONE, ticket_id), params=fields(comments_limit=comments_limit))

    def update(
        self,
        ticket_id: str,
        *,
        subject: str | None = None,
        description: str | None = None,
        requester: Mapping[str, str | None] | None = None,
        channel: str | None = None,
        category: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        assignee_id: str | None = None,
        group_id: str | None = None,
        followers: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        due_at: datetime | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        add_tags: Sequence[str] | None = None,
        remove_tags: Sequence[str] | None = None,
        add_followers: Sequence[str] | None = None,
        remove_followers: Sequence[str] | None = None,
        clear: Sequence[str] | None = None,
        if_version: int | None = None,
    ) -> Ticket:
        """Change the given fields; those left ``None`` stay as they are (scope ``tickets:write``).

        ``clear`` names fields to empty (``clear=["assignee_id", "due_at"]``); ``requester``
        replaces the whole requester; ``custom_fields`` merges by key (a ``None`` value removes
        one). With ``if_version``, raises :class:`~ccokit_sdk.errors.PreconditionFailed` when the
        ticket is no longer at that version.
        """
        body = {
            **_ticket_body(subject, description, requester, channel, category, priority, status,
                           assignee_id, group_id, followers, tags, due_at, custom_fields),
            **_list_changes(add_tags, remove_tags, add_followers, remove_followers, clear),
        }
        return self._call(Ticket, "PATCH", path(ONE, ticket_id), body=body, headers=if_match(if_version))

    def history(self, ticket_id: str, *, limit: int | None = None) -> Pager[TicketChange]:
        """Every change of the ticket's fields, oldest first."""
        return self._list(TicketChange, path(HISTORY, ticket_id), limit=limit)

    def merge(self, ticket_id: str, source_ids: Sequence[str]) -> Ticket:
        """Merge the tickets ``source_ids`` (up to 20) into this one, in one transaction."""
        return self._call(
            Ticket, "POST", path(ONE + "/merge", ticket_id), body={"source_ids": list(source_ids)}
        )

    def search(self, q: str, *, status: Filter = None, limit: int | None = None) -> Pager[TicketSearchHit]:
        """Tickets whose subject, description, replies or notes hold every word of ``q`` (Chinese
        or English), newest first; ``status`` narrows to these statuses."""
        return self._list(TicketSearchHit, SEARCH, fields(q=q, status=many(status)), limit)


class AsyncTicketCommentService(AsyncNamespace):
    def list(self, ticket_id: str, *, limit: int | None = None) -> AsyncPager[Comment]:
        """The ticket's comments, oldest first (scope ``tickets:read``)."""
        return self._list(Comment, path(COMMENTS, ticket_id), limit=limit)

    async def add(
        self,
        ticket_id: str,
        *,
        body: str,
        public: bool | None = None,
        author_kind: str | None = None,
        author_id: str | None = None,
        author_name: str | None = None,
        attachment_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Comment:
        """Reply to the requester, or add an internal note with ``public=False``."""
        return await self._call(
            Comment, "POST", path(COMMENTS, ticket_id),
            body=_comment_body(body, public, author_kind, author_id, author_name, attachment_ids),
            idempotency_key=idempotency_key,
        )


class AsyncTicketService(AsyncNamespace):
    """``client.tickets`` of :class:`~ccokit_sdk.AsyncClient`, with ``comments``."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.comments = AsyncTicketCommentService(engine)

    def list(
        self,
        *,
        status: Filter = None,
        priority: Filter = None,
        category: Filter = None,
        channel: Filter = None,
        assignee_id: Filter = None,
        unassigned: bool | None = None,
        group_id: Filter = None,
        tag: Filter = None,
        customer_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        due_before: datetime | None = None,
        custom_fields: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Ticket]:
        """Tickets matching every filter given, in ``sort`` order (see :meth:`TicketService.list`)."""
        query = _list_query(
            status, priority, category, channel, assignee_id, unassigned, group_id, tag, customer_id,
            created_after, created_before, updated_after, updated_before, due_before, custom_fields, sort,
        )
        return self._list(Ticket, URL, query, limit)

    async def create(
        self,
        *,
        subject: str,
        description: str | None = None,
        requester: Mapping[str, str | None] | None = None,
        channel: str | None = None,
        category: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        assignee_id: str | None = None,
        group_id: str | None = None,
        followers: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        due_at: datetime | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Ticket:
        """Open a ticket (scope ``tickets:write``); see :meth:`TicketService.create`."""
        body = _ticket_body(subject, description, requester, channel, category, priority, status,
                            assignee_id, group_id, followers, tags, due_at, custom_fields)
        return await self._call(Ticket, "POST", URL, body=body, idempotency_key=idempotency_key)

    async def get(self, ticket_id: str, *, comments_limit: int | None = None) -> Ticket:
        """The ticket with its first ``comments_limit`` comments, oldest first."""
        return await self._call(
            Ticket, "GET", path(ONE, ticket_id), params=fields(comments_limit=comments_limit)
        )

    async def update(
        self,
        ticket_id: str,
        *,
        subject: str | None = None,
        description: str | None = None,
        requester: Mapping[str, str | None] | None = None,
        channel: str | None = None,
        category: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        assignee_id: str | None = None,
        group_id: str | None = None,
        followers: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        due_at: datetime | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        add_tags: Sequence[str] | None = None,
        remove_tags: Sequence[str] | None = None,
        add_followers: Sequence[str] | None = None,
        remove_followers: Sequence[str] | None = None,
        clear: Sequence[str] | None = None,
        if_version: int | None = None,
    ) -> Ticket:
        """Change the given fields; see :meth:`TicketService.update`."""
        body = {
            **_ticket_body(subject, description, requester, channel, category, priority, status,
                           assignee_id, group_id, followers, tags, due_at, custom_fields),
            **_list_changes(add_tags, remove_tags, add_followers, remove_followers, clear),
        }
        return await self._call(
            Ticket, "PATCH", path(ONE, ticket_id), body=body, headers=if_match(if_version)
        )

    def history(self, ticket_id: str, *, limit: int | None = None) -> AsyncPager[TicketChange]:
        """Every change of the ticket's fields, oldest first."""
        return self._list(TicketChange, path(HISTORY, ticket_id), limit=limit)

    async def merge(self, ticket_id: str, source_ids: Sequence[str]) -> Ticket:
        """Merge the tickets ``source_ids`` (up to 20) into this one, in one transaction."""
        return await self._call(
            Ticket, "POST", path(ONE + "/merge", ticket_id), body={"source_ids": list(source_ids)}
        )

    def search(
        self, q: str, *, status: Filter = None, limit: int | None = None
    ) -> AsyncPager[TicketSearchHit]:
        """Tickets holding every word of ``q``, newest first (see :meth:`TicketService.search`)."""
        return self._list(TicketSearchHit, SEARCH, fields(q=q, status=many(status)), limit)
