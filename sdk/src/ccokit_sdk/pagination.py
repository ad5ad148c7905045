"""Cursor pagination: stable pages over rows keyed by time-ordered UUIDv7 ids.

Offsets get slower and skip or repeat rows as data changes; a cursor remembers the last id seen
and asks for the rows after it, which an index answers in the same time on page 1 and page
10,000. The cursor is opaque to callers (URL-safe base64 of the last id).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import marshmallow as ma
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["CursorArgsSchema", "CursorPage", "decode_cursor", "encode_cursor", "page_of"]

T = TypeVar("T")
MAX_LIMIT = 100


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).rstrip(b"=").decode()


def decode_cursor(text: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise ma.ValidationError("Not a valid cursor.") from exc


class CursorArgsSchema(ma.Schema):
    """Query arguments of every list: ``limit`` (1-100, default 25) and ``cursor``."""

    limit = ma.fields.Integer(load_default=25, validate=ma.validate.Range(1, MAX_LIMIT))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))

    @ma.validates("cursor")
    def _check_cursor(self, value: str | None, **_: Any) -> None:
        if value is not None:
            decode_cursor(value)


@dataclass
class CursorPage(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def page_of(
    session: Session,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[uuid.UUID],
    args: dict[str, Any],
) -> CursorPage[Any]:
    """Run ``stmt`` for one page ordered by ``id_column``, newest-created last."""
    limit = int(args.get("limit") or 25)
    cursor = args.get("cursor")
    if cursor:
        stmt = stmt.where(id_column > decode_cursor(cursor))
    rows = list(session.scalars(stmt.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None
    return CursorPage(items=rows, next_cursor=next_cursor)
