"""The field-by-field history of every ticket: one row per changed field, never rewritten.

Rows are written by the ticket write path (:mod:`.tickets`) in the write's transaction, with the
values in their API form (public ids, ISO times) so they read back as the API spoke them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Ticket, TicketChange
from ccokit.plugins.ticketing.services.changes import Actor
from ccokit_sdk.ids import new_id

__all__ = ["history_query", "record"]


def record(
    session: Session,
    ticket: Ticket,
    changes: Mapping[str, tuple[Any, Any]],
    actor: Actor,
    via: str,
    at: datetime,
) -> None:
    """Write one history row per changed field, at once (the ticket's row must exist: it is
    flushed first). Rows are never read back as objects in the write, so they go to the table
    as plain values: one prepared INSERT run for every row in one round trip, without the ORM's
    bulk bookkeeping (which cost more than the statement on a new ticket's seven or more rows)."""
    if not changes:
        return
    session.execute(insert(TicketChange.__table__), [
        {
            "tenant_id": ticket.tenant_id, "id": new_id(), "ticket_id": ticket.id, "actor_kind": actor.kind,
            "actor_id": actor.id, "via": via, "field": name, "old": old, "new": new, "created_at": at,
        }
        for name, (old, new) in changes.items()
    ])


def history_query(ticket_id: uuid.UUID) -> Select[Any]:
    """The ticket's history rows, for :func:`ccokit_sdk.pagination.page_of` (oldest first)."""
    return select(TicketChange).where(TicketChange.ticket_id == ticket_id)
