"""Ticket lists: filters, sorts and keyset pages that cost the same at any depth.

A page is one SELECT: the filters, ``ORDER BY <sort column>, id`` and ``LIMIT n + 1``, starting
right after the cursor's row with a row-value comparison (``(updated_at, id) < (:v, :id)``),
which the tenant-led composite indexes of :mod:`..models.tickets` answer by seeking, not by
skipping. No COUNT runs. Custom-field filters add one SELECT of the field definitions.

``due_at`` may be empty: ascending lists put tickets without a due date last, descending ones
first (PostgreSQL's own NULL order, so its index serves both directions); a page that crosses
from one part to the other takes a second seek.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute, Session

from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.schemas.listing import DEFAULT_SORT, decode_cursor, encode_cursor
from ccokit.plugins.ticketing.services import custom_fields
from ccokit.plugins.ticketing.services.messages import Invalid, Message

__all__ = ["TicketPage", "batches", "filtered", "page"]

SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "created_at": Ticket.created_at,
    "updated_at": Ticket.updated_at,
    "priority": Ticket.priority_rank,
    "due_at": Ticket.due_at,
    "number": Ticket.number,
}
_EQUALS = {
    "status": Ticket.status,
    "priority": Ticket.priority,
    "category": Ticket.category,
    "channel": Ticket.channel,
    "assignee_id": Ticket.assignee_member_id,
    "group_id": Ticket.group_id,
}


@dataclass
class TicketPage:
    items: list[Ticket]
    next_cursor: str | None


def _json_has(session: Session, column: Any, path: str | None, value: Any) -> ColumnElement[bool]:
    """``column`` (a JSON list, or the list at ``path`` of a JSON object) contains ``value``."""
    if session.get_bind().dialect.name == "postgresql":
        needle = [value] if path is None else {path: [value]}
        return type_coerce(column, JSONB).contains(needle)
    args = (column,) if path is None else (column, f'$."{path}"')
    each = func.json_each(*args).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == value))


def _json_equals(session: Session, key: str, value: Any) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Ticket.custom_fields, JSONB).contains({key: value})
    extracted = func.json_extract(Ticket.custom_fields, f'$."{key}"')
    if isinstance(value, bool):
        value = int(value)
    return extracted == value


def _custom_field_conditions(session: Session, wanted: Mapping[str, str]) -> list[ColumnElement[bool]]:
    defs = custom_fields.definitions(session)
    conditions: list[ColumnElement[bool]] = []
    errors: dict[str, Any] = {}
    for key, text in wanted.items():
        field = defs.get(key)
        if field is None:
            errors[f"cf.{key}"] = [Message("unknown_custom_field", {"key": key})]
            continue
        try:
            value = custom_fields.parse_filter_value(field, text)
        except Invalid as exc:
            errors.update(exc.errors)
            continue
        if field.type == "multi_select":
            conditions.append(_json_has(session, Ticket.custom_fields, key, value))
        else:
            conditions.append(_json_equals(session, key, value))
    if errors:
        raise Invalid(errors)
    return conditions


def filtered(session: Session, filters: Mapping[str, Any]) -> Select[Any]:
    """``SELECT tickets`` with every filter of ``filters`` (the filters schema's output)."""
    conditions: list[ColumnElement[bool]] = []
    for name, column in _EQUALS.items():
        values = filters.get(name)
        if values:
            conditions.append(column == values[0] if len(values) == 1 else column.in_(values))
    if filters.get("unassigned"):
        conditions.append(Ticket.assignee_member_id.is_(None))
    if filters.get("customer_id"):
        conditions.append(Ticket.customer_id == filters["customer_id"])
    for name, column, before in (
        ("created_after", Ticket.created_at, False),
        ("created_before", Ticket.created_at, True),
        ("updated_after", Ticket.updated_at, False),
        ("updated_before", Ticket.updated_at, True),
        ("due_before", Ticket.due_at, True),
    ):
        if filters.get(name) is not None:
            conditions.append(column < filters[name] if before else column >= filters[name])
    for tag in filters.get("tag") or []:
        conditions.append(_json_has(session, Ticket.tags, None, tag))
    if filters.get("cf"):
        conditions.extend(_custom_field_conditions(session, filters["cf"]))
    return select(Ticket).where(*conditions)


def _ordered(stmt: Select[Any], sort: str, after: tuple[Any, Any] | None) -> Select[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = SORT_COLUMNS[key]
    if after is not None:
        value, last_id = after
        stmt = stmt.where(_after(key, column, descending, value, last_id))
    if key == "number":
        return stmt.order_by(column.desc() if descending else column.asc())
    if descending:
        return stmt.order_by(column.desc().nulls_first(), Ticket.id.desc())
    return stmt.order_by(column.asc().nulls_last(), Ticket.id.asc())


def _after(key: str, column: Any, descending: bool, value: Any, last_id: Any) -> ColumnElement[bool]:
    """Rows after ``(value, last_id)`` in the sort's order, within the cursor's own part of a
    ``due_at`` list (dated, or undated): :func:`page` goes on into the other part itself."""
    if key == "number":
        return column < value if descending else column > value
    if value is None:  # only due_at is ever empty
        return and_(column.is_(None), Ticket.id < last_id if descending else Ticket.id > last_id)
    pair = tuple_(column, Ticket.id)
    bound = tuple_(literal(value, column.type), literal(last_id, Ticket.id.type))
    return pair < bound if descending else pair > bound


def _cursor_after(ticket: Ticket, sort: str) -> str:
    key = sort.lstrip("-")
    value = ticket.priority_rank if key == "priority" else getattr(ticket, key)
    return encode_cursor(sort, value, ticket.id)


def page(
    session: Session,
    filters: Mapping[str, Any],
    *,
    sort: str = DEFAULT_SORT,
    limit: int = 25,
    cursor: str | None = None,
) -> TicketPage:
    """One page of tickets and the cursor of the next (``None`` on the last page)."""
    after = None
    if cursor:
        _sort, value, last_id = decode_cursor(cursor)
        after = (value, last_id)
    base = filtered(session, filters)
    rows = list(session.scalars(_ordered(base, sort, after).limit(limit + 1)))
    if len(rows) <= limit and after is not None and sort.lstrip("-") == "due_at":
        # A keyset seek cannot cross from dated to undated tickets (ascending) or from undated
        # to dated ones (descending) in one index range: the rest of the page is a second seek.
        descending = sort.startswith("-")
        if (after[0] is None) == descending:
            rest = base.where(Ticket.due_at.is_not(None) if descending else Ticket.due_at.is_(None))
            rows += session.scalars(_ordered(rest, sort, None).limit(limit + 1 - len(rows)))
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketPage(rows, _cursor_after(rows[-1], sort) if more and rows else None)


def batches(
    session: Session, filters: Mapping[str, Any], *, sort: str = DEFAULT_SORT, size: int = 500
) -> Iterator[list[Ticket]]:
    """Every matching ticket, ``size`` at a time, each batch one keyset query (for exports).

    Each batch is expunged once yielded, so a long export holds one batch in memory.
    """
    cursor: str | None = None
    while True:
        result = page(session, filters, sort=sort, limit=size, cursor=cursor)
        if result.items:
            yield result.items
            for ticket in result.items:
                session.expunge(ticket)
        if result.next_cursor is None:
            return
        cursor = result.next_cursor

