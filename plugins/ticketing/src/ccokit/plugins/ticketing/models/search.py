"""The search index of tickets: one row per ticket holding the terms of its text.

``head_terms`` are the terms of the subject and description, ``comment_terms`` those of every
comment (public replies and internal notes alike: agents search both). They are kept apart so that
a new comment only adds its own terms and an edited subject replaces only the head's.

The column type depends on the database:

- PostgreSQL: ``tsvector`` (lexemes only, no positions), built with ``array_to_tsvector`` from
  the terms ccokit cut itself, so PostgreSQL adds no language rules of its own; a GIN index
  covers ``head_terms || comment_terms`` together with a ``status:<status>`` term, so a search
  filtered by status is answered by the index alone;
- SQLite: the terms as text separated by spaces, mirrored by triggers into the FTS5 table
  ``ticket_search_fts`` (whose row is ``doc_id``).

The migration (``tk0002``) creates the GIN index, the FTS5 table, its triggers and, on
PostgreSQL, the search function; see :mod:`ccokit.plugins.ticketing.services.search`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.models import TenantScoped

__all__ = ["TermsType", "TicketSearch"]

#: Terms: a ``tsvector`` on PostgreSQL, space-separated text on SQLite.
TermsType = Text().with_variant(TSVECTOR(), "postgresql")


class TicketSearch(TenantScoped, Base):
    """The searchable terms of one ticket, written in the same transaction as the ticket."""

    __tablename__ = "ticket_search"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE"
        ),
        Index("ix_ticket_search_doc_id", "tenant_id", "doc_id").ddl_if(dialect="sqlite"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: The ticket's status, copied so that a status filter needs no join.
    status: Mapped[str] = mapped_column(String(10))
    head_terms: Mapped[Any] = mapped_column(TermsType)
    comment_terms: Mapped[Any] = mapped_column(TermsType)
    #: SQLite only: the row of ``ticket_search_fts`` mirroring this one (NULL on PostgreSQL).
    doc_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
