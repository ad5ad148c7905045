"""Keeping ``ticket_search`` in step with tickets and comments, inside the writing transaction.

:func:`listen` (called from the plugin's ``setup``) hooks SQLAlchemy's mapper events of
:class:`~ccokit.plugins.ticketing.models.tickets.Ticket` and
:class:`~ccokit.plugins.ticketing.models.tickets.Comment`. Every flush that inserts or changes them,
whoever flushes (the ticket write path, a rule, a merge, an import that adds rows directly),
writes the index row on the same connection and in the same transaction: a search never sees a
ticket the transaction did not commit, and a rolled-back write leaves no terms behind.

What each write costs is proportional to what changed:

- a new ticket: its subject and description are cut and one row is inserted;
- a changed subject or description: the head's terms are replaced (comments are not cut again);
- a new comment (a public reply or an internal note): its own terms are appended;
- a changed status: the copied status is updated (the status filter lives in the index);
- a merge (``merged_into_id`` set) or a comment edited, moved or deleted: the tickets involved
  are rebuilt from their rows, the only case that cuts a whole ticket again.

Bulk ``UPDATE`` statements bypass mapper events; ticketing changes subjects, descriptions,
statuses and comment bodies only through the ORM, and merge moves comments in bulk just before
it sets ``merged_into_id``, which rebuilds both tickets. :func:`reindex_tenant` rebuilds a whole
workspace (after an upgrade that added the index to existing tickets, or after rows were written
with bulk statements); :func:`reindex_job` runs it in batches as the plugin's job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Text,
    bindparam,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.sql import ColumnElement

from ccokit.plugins.ticketing.models.search import TicketSearch
from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.services.search.tokens import document_terms
from ccokit_sdk.events import HandlerContext

__all__ = [
    "INSERT_TICKET_AND_SEARCH_ROW",
    "MAX_TERMS",
    "REINDEX_BATCH",
    "listen",
    "new_ticket_terms",
    "rebuild_ticket",
    "reindex_job",
    "reindex_tenant",
]

#: A ticket's index stops growing past this many distinct terms (head and comments together);
#: PostgreSQL's ``tsvector`` holds at most 1 MB, which this keeps well clear of.
MAX_TERMS = 30_000
#: Tickets rebuilt per transaction by :func:`reindex_job`.
REINDEX_BATCH = 500

_search = TicketSearch.__table__
_HEAD_FIELDS = ("subject", "description")


# -- how terms are stored: a tsvector on PostgreSQL, text on SQLite ---------------------------


def _is_postgres(bind: Connection | Session) -> bool:
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    return dialect.name == "postgresql"


def _stored(terms: Sequence[str], postgres: bool) -> Any:
    """The value a terms column takes for ``terms``."""
    if postgres:
        return func.array_to_tsvector(cast(literal(list(terms), ARRAY(Text)), ARRAY(Text)))
    return " ".join(terms)


def _appended(terms: Sequence[str], postgres: bool) -> ColumnElement[Any]:
    """``comment_terms`` with ``terms`` added (duplicates fold away on PostgreSQL), unless the
    ticket already holds :data:`MAX_TERMS` distinct terms."""
    column = _search.c.comment_terms
    if postgres:
        room = func.length(_search.c.head_terms) + func.length(column) + len(terms) <= MAX_TERMS
        return case((room, column.op("||")(_stored(terms, postgres))), else_=column)
    return column.op("||")(" " + " ".join(terms))


# -- the mapper events -------------------------------------------------------------------------


def _changed(target: Any, name: str) -> bool:
    return bool(inspect(target).attrs[name].history.has_changes())


def _previous(target: Any, name: str) -> Any:
    deleted = inspect(target).attrs[name].history.deleted
    return deleted[0] if deleted else None


#: A new ticket's row, built once per database kind (every ticket creation runs it).
_INSERT_NEW = {
    True: insert(_search).values(
        head_terms=func.array_to_tsvector(bindparam("head", type_=ARRAY(Text))),
        comment_terms=func.array_to_tsvector(bindparam("comment", type_=ARRAY(Text))),
    ),
    False: insert(_search),
}


def new_ticket_terms(ticket: Ticket) -> list[str]:
    """The terms of a new ticket's search row (its subject and description)."""
    return list(document_terms(ticket.subject, ticket.description)[:MAX_TERMS])


#: PostgreSQL: a new ticket's row and its search row in one statement (the ticket's insert as a
#: data-modifying CTE; the search row's foreign key sees it). For the creation path, which
#: writes the ticket without the unit of work (see ``services.tickets``); the ticket's
#: parameters are its columns' names prefixed ``t_``, the terms ``head`` and ``comment``.
_tickets = Ticket.__table__
_NEW_TICKET = insert(_tickets).values(
    {c.name: bindparam(f"t_{c.name}", type_=c.type) for c in _tickets.columns}
).cte("new_ticket")
INSERT_TICKET_AND_SEARCH_ROW = _INSERT_NEW[True].values(
    tenant_id=bindparam("t_tenant_id", type_=_tickets.c.tenant_id.type),
    ticket_id=bindparam("t_id", type_=_tickets.c.id.type),
    status=bindparam("t_status", type_=_tickets.c.status.type),
).add_cte(_NEW_TICKET)


def _ticket_inserted(_mapper: Mapper[Any], connection: Connection, ticket: Ticket) -> None:
    postgres = _is_postgres(connection)
    terms = new_ticket_terms(ticket)
    values = {"tenant_id": ticket.tenant_id, "ticket_id": ticket.id, "status": ticket.status}
    if postgres:
        values.update(head=terms, comment=[])
    else:
        values.update(head_terms=_stored(terms, postgres), comment_terms="")
    connection.execute(_INSERT_NEW[postgres], values)


def _ticket_updated(_mapper: Mapper[Any], connection: Connection, ticket: Ticket) -> None:
    if _changed(ticket, "merged_into_id") and ticket.merged_into_id is not None:
        rebuild_ticket(connection, ticket.tenant_id, ticket.id)
        rebuild_ticket(connection, ticket.tenant_id, ticket.merged_into_id)
        return
    values: dict[str, Any] = {}
    if any(_changed(ticket, name) for name in _HEAD_FIELDS):
        terms = document_terms(ticket.subject, ticket.description)[:MAX_TERMS]
        values["head_terms"] = _stored(terms, _is_postgres(connection))
    if _changed(ticket, "status"):
        values["status"] = ticket.status
    if values:
        _update_or_rebuild(connection, ticket.tenant_id, ticket.id, values)


def _comment_inserted(_mapper: Mapper[Any], connection: Connection, comment: Comment) -> None:
    terms = document_terms(comment.body)
    if terms:
        values = {"comment_terms": _appended(terms, _is_postgres(connection))}
        _update_or_rebuild(connection, comment.tenant_id, comment.ticket_id, values)


def _comment_updated(_mapper: Mapper[Any], connection: Connection, comment: Comment) -> None:
    if _changed(comment, "ticket_id"):
        previous = _previous(comment, "ticket_id")
        if previous is not None:
            rebuild_ticket(connection, comment.tenant_id, previous)
        rebuild_ticket(connection, comment.tenant_id, comment.ticket_id)
    elif _changed(comment, "body"):
        rebuild_ticket(connection, comment.tenant_id, comment.ticket_id)


def _comment_deleted(_mapper: Mapper[Any], connection: Connection, comment: Comment) -> None:
    rebuild_ticket(connection, comment.tenant_id, comment.ticket_id)


_LISTENERS: tuple[tuple[type, str, Callable[..., None]], ...] = (
    (Ticket, "after_insert", _ticket_inserted),
    (Ticket, "after_update", _ticket_updated),
    (Comment, "after_insert", _comment_inserted),
    (Comment, "after_update", _comment_updated),
    (Comment, "after_delete", _comment_deleted),
)


def listen() -> None:
    """Keep the index in step with every flush of tickets and comments (idempotent: each app
    built in the process calls it from ``setup``, the listeners are registered once)."""
    for model, identifier, listener in _LISTENERS:
        if not event.contains(model, identifier, listener):
            event.listen(model, identifier, listener)


def _update_or_rebuild(
    connection: Connection, tenant_id: uuid.UUID, ticket_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Apply ``values`` to the ticket's row; a ticket written before it had a row (it predates
    the index, or came in through a bulk insert) is rebuilt whole instead."""
    result = connection.execute(
        update(_search)
        .where(_search.c.tenant_id == tenant_id, _search.c.ticket_id == ticket_id)
        .values(**values)
    )
    if result.rowcount == 0:
        rebuild_ticket(connection, tenant_id, ticket_id)


# -- rebuilding --------------------------------------------------------------------------------


def _rows(tickets: Iterable[Any], bodies: dict[uuid.UUID, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for ticket in tickets:
        head = document_terms(ticket.subject, ticket.description)[:MAX_TERMS]
        comments = document_terms(*bodies.get(ticket.id, ()))[: max(MAX_TERMS - len(head), 0)]
        rows.append({
            "tenant_id": ticket.tenant_id, "ticket_id": ticket.id, "status": ticket.status,
            "head_terms": head, "comment_terms": comments,
        })
    return rows


def _insert_rows(execute: Callable[..., Any], rows: list[dict[str, Any]], postgres: bool) -> None:
    """Insert index rows in one statement per row set (an executemany)."""
    if not rows:
        return
    if postgres:
        as_vector = {"head_terms": "head", "comment_terms": "comments"}
        params = [
            {**{k: v for k, v in row.items() if k not in as_vector},
             **{name: row[column] for column, name in as_vector.items()}}
            for row in rows
        ]
        statement = insert(_search).values(
            tenant_id=bindparam("tenant_id"), ticket_id=bindparam("ticket_id"), status=bindparam("status"),
            head_terms=func.array_to_tsvector(cast(bindparam("head", type_=ARRAY(Text)), ARRAY(Text))),
            comment_terms=func.array_to_tsvector(cast(bindparam("comments", type_=ARRAY(Text)), ARRAY(Text))),
        )
        execute(statement, params)
    else:
        execute(insert(_search), [
            {**row, "head_terms": " ".join(row["head_terms"]),
             "comment_terms": " ".join(row["comment_terms"])}
            for row in rows
        ])


def rebuild_ticket(connection: Connection, tenant_id: uuid.UUID, ticket_id: uuid.UUID) -> None:
    """Cut one ticket again from its rows (subject, description, every comment) and replace its
    index row; a ticket that no longer exists loses its row."""
    tickets, comments = Ticket.__table__, Comment.__table__
    postgres = _is_postgres(connection)
    ticket = connection.execute(
        select(tickets.c.tenant_id, tickets.c.id, tickets.c.subject, tickets.c.description, tickets.c.status)
        .where(tickets.c.tenant_id == tenant_id, tickets.c.id == ticket_id)
    ).first()
    connection.execute(
        delete(_search).where(_search.c.tenant_id == tenant_id, _search.c.ticket_id == ticket_id)
    )
    if ticket is None:
        return
    bodies = list(connection.scalars(
        select(comments.c.body)
        .where(comments.c.tenant_id == tenant_id, comments.c.ticket_id == ticket_id)
        .order_by(comments.c.created_at, comments.c.id)
    ))
    _insert_rows(connection.execute, _rows([ticket], {ticket_id: bodies}), postgres)


def reindex_tenant(
    session: Session, *, after: uuid.UUID | None = None, limit: int | None = None
) -> tuple[int, uuid.UUID | None]:
    """Rebuild the search index of the session's workspace from its tickets and comments.

    Tickets are taken in id order, from just after ``after`` (all of them when ``None``), at
    most ``limit`` of them (all when ``None``); each batch replaces its tickets' rows, so
    searches keep working while a large workspace is rebuilt over several transactions.
    Returns how many tickets were rebuilt and the id of the last one. Does not commit.
    """
    postgres = _is_postgres(session)
    done, last = 0, after
    while limit is None or done < limit:
        size = REINDEX_BATCH if limit is None else min(REINDEX_BATCH, limit - done)
        query = select(Ticket.tenant_id, Ticket.id, Ticket.subject, Ticket.description, Ticket.status)
        if last is not None:
            query = query.where(Ticket.id > last)
        batch = session.execute(query.order_by(Ticket.id).limit(size)).all()
        if not batch:
            break
        ids = [row.id for row in batch]
        bodies: dict[uuid.UUID, list[str]] = {}
        for ticket_id, body in session.execute(
            select(Comment.ticket_id, Comment.body)
            .where(Comment.ticket_id.in_(ids))
            .order_by(Comment.ticket_id, Comment.created_at, Comment.id)
        ):
            bodies.setdefault(ticket_id, []).append(body)
        session.execute(delete(TicketSearch).where(TicketSearch.ticket_id.in_(ids)))
        _insert_rows(session.execute, _rows(batch, bodies), postgres)
        done += len(batch)
        last = ids[-1]
        if len(batch) < size:
            break
    return done, last


def reindex_job(ctx: HandlerContext, after: str | None = None) -> None:
    """The plugin's job ``ticketing.search_reindex``: rebuild :data:`REINDEX_BATCH` tickets of
    the workspace in this job's transaction, then enqueue itself for the next batch."""
    done, last = reindex_tenant(ctx.session, after=uuid.UUID(after) if after else None, limit=REINDEX_BATCH)
    if done == REINDEX_BATCH and last is not None:
        ctx.enqueue(reindex_job, after=str(last))
