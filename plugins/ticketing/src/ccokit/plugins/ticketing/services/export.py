"""CSV export of a ticket list, streamed: one keyset batch at a time, one row per ticket.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are prefixed with ``'`` so an export cannot run code when opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services import custom_fields, listing
from ccokit.plugins.ticketing.services.payloads import api_value, public

__all__ = ["COLUMNS", "csv_rows"]

COLUMNS = (
    "id", "number", "subject", "status", "priority", "category", "channel",
    "requester_name", "requester_email", "requester_phone", "customer_id", "assignee_id",
    "group_id", "tags", "due_at", "created_at", "updated_at", "solved_at", "closed_at",
    "first_replied_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(ticket: Ticket, keys: list[str]) -> list[str]:
    values = {
        "id": public("ticket", ticket.id),
        "customer_id": public("customer", ticket.customer_id),
        "assignee_id": public("member", ticket.assignee_member_id),
        "group_id": public("group", ticket.group_id),
    }
    row = [
        _cell(values[c] if c in values else api_value(c, getattr(ticket, c))) for c in COLUMNS
    ]
    row.extend(_cell((ticket.custom_fields or {}).get(key)) for key in keys)
    return row


def csv_rows(
    session: Session, filters: Mapping[str, Any], *, sort: str, batch_size: int = 500
) -> Iterator[str]:
    """The export as chunks of CSV text: the header, then one chunk per batch of tickets."""
    keys = [key for key, field in custom_fields.definitions(session).items() if field.active]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*COLUMNS, *(f"cf.{key}" for key in keys)])
    yield buffer.getvalue()
    for batch in listing.batches(session, filters, sort=sort, size=batch_size):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(ticket, keys) for ticket in batch)
        yield buffer.getvalue()
