"""How ticket lists are asked for: filters, sort and the keyset cursor.

The same :class:`TicketFiltersSchema` reads the query of ``GET /tickets`` and
``GET /tickets/export.csv`` and the ``filters`` of a saved view, so a view holds exactly what
the list accepts. Repeat a key for several values (``status=open&status=pending``); custom
fields are filtered with ``cf.<key>=<value>``.

The cursor is opaque to callers; inside it is the sort, the last row's sort value and its id,
so the next page starts right after that row through the index, whatever its depth.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.vocabulary import CATEGORIES, CHANNELS, PRIORITIES, STATUSES
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "FIELD_KEY",
    "SORTS",
    "SORT_KEYS",
    "TAG",
    "ExportArgsSchema",
    "TicketFiltersSchema",
    "TicketListArgsSchema",
    "decode_cursor",
    "encode_cursor",
]

SORT_KEYS = ("created_at", "updated_at", "priority", "due_at", "number")
#: ``created_at`` ascending, ``-created_at`` descending, and so on.
SORTS = SORT_KEYS + tuple(f"-{key}" for key in SORT_KEYS)
DEFAULT_SORT = "-created_at"
FIELD_KEY = validate.Regexp(
    r"^[a-z][a-z0-9_]{0,39}$", error="1-40 lowercase letters, digits or _, starting with a letter."
)
TAG = validate.Regexp(
    r'^[^\s",\\]{1,40}$', error="1-40 characters without spaces, commas, quotes or backslashes."
)
MAX_VALUES = 20


def encode_cursor(sort: str, value: Any, last_id: uuid.UUID) -> str:
    """The cursor after the row with sort value ``value`` and id ``last_id`` under ``sort``."""
    if isinstance(value, datetime):
        packed: list[Any] = [sort, "t", value.isoformat(), last_id.hex]
    else:
        packed = [sort, "n" if value is None else "i", value, last_id.hex]
    raw = json.dumps(packed, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(text: str) -> tuple[str, Any, uuid.UUID]:
    """``(sort, value, id)`` from a cursor; raises ``ValidationError`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, kind, value, hex_id = json.loads(raw)
        last_id = uuid.UUID(hex=hex_id)
        if sort not in SORTS:
            raise ValueError(sort)
        if kind == "t":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
        elif kind == "i":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(value)
        elif kind != "n" or value is not None:
            raise ValueError(kind)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ma.ValidationError("Not a valid cursor.") from exc
    return sort, value, last_id


def _many(field: fields.Field) -> fields.List:
    return fields.List(field, validate=validate.Length(max=MAX_VALUES))


class TicketFiltersSchema(ma.Schema):
    """Filters on every standard field and on custom fields (``cf.<key>``)."""

    status = _many(fields.String(validate=validate.OneOf(STATUSES)))
    priority = _many(fields.String(validate=validate.OneOf(PRIORITIES)))
    category = _many(fields.String(validate=validate.OneOf(CATEGORIES)))
    channel = _many(fields.String(validate=validate.OneOf(CHANNELS)))
    assignee_id = _many(PublicIdField("mem"))
    unassigned = fields.Boolean(metadata={"description": "Only tickets without an assignee."})
    group_id = _many(PublicIdField("grp"))
    tag = _many(fields.String(validate=TAG))
    customer_id = PublicIdField("cus")
    created_after = fields.AwareDateTime(metadata={"description": "created_at >= this"})
    created_before = fields.AwareDateTime(metadata={"description": "created_at < this"})
    updated_after = fields.AwareDateTime()
    updated_before = fields.AwareDateTime()
    due_before = fields.AwareDateTime(metadata={"description": "due_at < this (tickets with a due date)"})
    cf = fields.Dict(
        keys=fields.String(validate=FIELD_KEY),
        values=fields.String(validate=validate.Length(1, 200)),
        validate=validate.Length(max=MAX_VALUES),
        metadata={"description": "Custom field values; in a query string write cf.<key>=<value>."},
    )

    @ma.pre_load
    def _gather_custom_fields(self, data: Any, **_: Any) -> Any:
        """``cf.order_amount=10`` in a query string becomes ``{"cf": {"order_amount": "10"}}``."""
        if not hasattr(data, "keys"):
            return data
        gathered: dict[str, Any] = {}
        custom = data.get("cf")
        custom = dict(custom) if isinstance(custom, dict) else {}
        for key in list(data.keys()):
            if key.startswith("cf."):
                custom[key[3:]] = data[key]
            elif key != "cf":
                gathered[key] = data[key]
        if custom:
            gathered["cf"] = custom
        return gathered


class ExportArgsSchema(TicketFiltersSchema):
    sort = fields.String(load_default=DEFAULT_SORT, validate=validate.OneOf(SORTS))


class TicketListArgsSchema(ExportArgsSchema):
    """``GET /tickets``: filters, ``sort`` and a keyset page (``limit``, ``cursor``)."""

    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))

    @ma.validates_schema
    def _cursor_matches_sort(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("cursor"):
            try:
                sort, _value, _id = decode_cursor(data["cursor"])
            except ma.ValidationError as exc:
                raise ma.ValidationError(exc.messages, field_name="cursor") from exc
            if sort != data.get("sort", DEFAULT_SORT):
                raise ma.ValidationError("This cursor belongs to another sort.", field_name="cursor")
