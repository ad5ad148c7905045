"""Answering a search: the workspace's tickets whose text holds every term, newest first.

Results are ordered by ticket id, that is by creation time (ids are UUIDv7), newest first, not
by relevance: ranking needs every match scored before the first page can be shown, and a word
found in a third of a million tickets would cost seconds; in key order the first page of such a
word is found after a few dozen rows. The cursor is the last ticket's id.

- PostgreSQL: one statement, which calls ``ccokit_search_tickets`` (see the ``tk0006``
  migration: the newest tickets in key order first; if they held a match, a bounded stretch more
  in key order; then the GIN index for the older ones) and reads the page's tickets by id.
- SQLite: one statement over the FTS5 table joined to ``ticket_search`` (which carries the
  tenant condition) and to the tickets.

Either way the number of statements does not depend on how many tickets match. A short snippet
of the description around the first term found comes with each hit, with the positions of the
terms in it, so a client can highlight them without parsing markup.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Text,
    Uuid,
    and_,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.search import TicketSearch
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit_sdk.pagination import encode_cursor

__all__ = ["EXTENDED_WINDOW", "RECENT_WINDOW", "SNIPPET_CHARS", "SearchHit", "SearchPage", "search_tickets"]

#: PostgreSQL: how many of the newest tickets are read in key order before the GIN index is asked.
RECENT_WINDOW = 3000
#: PostgreSQL: how many more tickets are read in key order when the newest ones held a match
#: (a word that is not rare; reading on beats sorting all its older matches from the index).
EXTENDED_WINDOW = 27_000
#: Length of a snippet, in characters.
SNIPPET_CHARS = 120
#: How much of a description is read to make its snippet.
_DESCRIPTION_READ = 2000

_fts = table("ticket_search_fts", column("rowid", Integer))


@dataclass
class SearchHit:
    """One ticket found, with a snippet of its description and the terms' places in it."""

    id: uuid.UUID
    number: int
    subject: str
    status: str
    priority: str
    updated_at: datetime
    snippet: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class SearchPage:
    items: list[SearchHit]
    next_cursor: str | None


_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority, Ticket.updated_at,
    func.substr(Ticket.description, 1, _DESCRIPTION_READ).label("description"),
)


def _postgres_query(
    terms: Sequence[str], statuses: Sequence[str] | None, before: uuid.UUID | None, rows: int
) -> Any:
    found = func.ccokit_search_tickets(
        cast(literal(list(terms), ARRAY(Text)), ARRAY(Text)),
        cast(literal(list(statuses) if statuses else None, ARRAY(Text)), ARRAY(Text)),
        cast(literal(before, Uuid), Uuid),
        rows,
        RECENT_WINDOW,
        EXTENDED_WINDOW,
    ).table_valued(column("ticket_id", Uuid)).alias("found")
    return (
        select(*_COLUMNS)
        .select_from(found.join(Ticket, Ticket.id == found.c.ticket_id))
        .order_by(found.c.ticket_id.desc())
    )


def _sqlite_query(
    terms: Sequence[str], statuses: Sequence[str] | None, before: uuid.UUID | None, rows: int
) -> Any:
    match = " ".join(f'"{term}"' for term in terms)
    query = (
        select(*_COLUMNS)
        .select_from(TicketSearch)
        .join(_fts, _fts.c.rowid == TicketSearch.doc_id)
        .join(Ticket, and_(Ticket.tenant_id == TicketSearch.tenant_id, Ticket.id == TicketSearch.ticket_id))
        .where(literal_column("ticket_search_fts").op("MATCH")(match))
    )
    if statuses:
        query = query.where(TicketSearch.status.in_(statuses))
    if before is not None:
        query = query.where(TicketSearch.ticket_id < before)
    return query.order_by(TicketSearch.ticket_id.desc()).limit(rows)


def search_tickets(
    session: Session,
    terms: Sequence[str],
    *,
    statuses: Sequence[str] | None = None,
    before: uuid.UUID | None = None,
    limit: int = 25,
) -> SearchPage:
    """One page of the session's workspace's tickets holding every one of ``terms`` (from
    :func:`~.tokens.query_terms`), newest first, older than ``before`` when given, optionally
    only in ``statuses``. One statement."""
    if not terms:
        return SearchPage([], None)
    build = _postgres_query if session.get_bind().dialect.name == "postgresql" else _sqlite_query
    rows = session.execute(build(terms, statuses, before, limit + 1)).all()
    more = len(rows) > limit
    items = [_hit(row, terms) for row in rows[:limit]]
    return SearchPage(items, encode_cursor(items[-1].id) if more and items else None)


def _hit(row: Any, terms: Sequence[str]) -> SearchHit:
    snippet, highlights = snippet_of(row.description or "", terms)
    return SearchHit(
        id=row.id, number=row.number, subject=row.subject, status=row.status, priority=row.priority,
        updated_at=row.updated_at, snippet=snippet, highlights=highlights,
    )


def _comparable(text: str) -> str:
    """``text`` lower-cased and width-folded character by character, so positions still match."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char).lower()
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def snippet_of(text: str, terms: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """About :data:`SNIPPET_CHARS` characters of ``text`` around the first term found, and the
    ``(start, end)`` of every term in it (terms are found as written, so ``parcel`` also
    highlights the start of ``parcels``); the text's start, unhighlighted, if none is found."""
    text = " ".join(text.split())
    plain = _comparable(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    first = pattern.search(plain)
    start = 0
    if first is not None and first.start() > SNIPPET_CHARS // 3:
        start = first.start() - SNIPPET_CHARS // 3
    end = min(len(text), start + SNIPPET_CHARS)
    snippet = text[start:end]
    highlights = [(m.start(), m.end()) for m in pattern.finditer(plain[start:end])]
    if start > 0:
        snippet = "…" + snippet
        highlights = [(a + 1, b + 1) for a, b in highlights]
    if end < len(text):
        snippet += "…"
    return snippet, highlights
