"""The core ticket tables: tickets, their comments, groups, history and the per-tenant number.

Every table leads with ``tenant_id`` (primary key, foreign keys, unique constraints and the list
indexes), so one tenant's million tickets are one contiguous range of each index and the tables
can be distributed by tenant. ``tags``, ``followers`` and ``custom_fields`` are JSON (JSONB on
PostgreSQL, with GIN indexes for containment filters).

The vocabularies (statuses, priorities, …) live in :mod:`ccokit.plugins.ticketing.vocabulary`
and are re-exported here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, validates

from ccokit.plugins.ticketing.models.base import Base
from ccokit.plugins.ticketing.vocabulary import (
    ACTOR_KINDS,
    AUTHOR_KINDS,
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    STATUSES,
    VIAS,
)
from ccokit_sdk.models import TenantScoped, UTCDateTime, new_id, utcnow

__all__ = [
    "ACTOR_KINDS",
    "AUTHOR_KINDS",
    "CATEGORIES",
    "CHANNELS",
    "PRIORITIES",
    "STATUSES",
    "VIAS",
    "Comment",
    "JSONType",
    "Ticket",
    "TicketChange",
    "TicketCounter",
    "TicketGroup",
]

#: JSON everywhere, JSONB on PostgreSQL (containment ``@>`` and GIN indexes).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class TicketCounter(TenantScoped, Base):
    """The last number a tenant handed out of one sequence (``"tickets"``); its row lock
    serialises numbering, so two tickets created at once never share a number."""

    __tablename__ = "ticket_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class TicketGroup(TenantScoped, Base):
    """A team tickets can be assigned to (after-sales desk, VIP desk, …)."""

    __tablename__ = "ticket_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Ticket(TenantScoped, Base):
    """One service case of one customer, from the first contact to closing."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        ForeignKeyConstraint(
            ["tenant_id", "group_id"], ["ticket_groups.tenant_id", "ticket_groups.id"]
        ),
        # List indexes: the filter first, then the sort key, then id (the keyset tiebreaker).
        Index("ix_tickets_created", "tenant_id", "created_at", "id"),
        Index("ix_tickets_updated", "tenant_id", "updated_at", "id"),
        Index("ix_tickets_status_created", "tenant_id", "status", "created_at", "id"),
        Index("ix_tickets_status_updated", "tenant_id", "status", "updated_at", "id"),
        Index("ix_tickets_assignee_updated", "tenant_id", "assignee_member_id", "updated_at", "id"),
        Index("ix_tickets_group_updated", "tenant_id", "group_id", "updated_at", "id"),
        Index("ix_tickets_customer_created", "tenant_id", "customer_id", "created_at", "id"),
        Index("ix_tickets_category_created", "tenant_id", "category", "created_at", "id"),
        Index("ix_tickets_priority", "tenant_id", "priority_rank", "id"),
        Index("ix_tickets_due", "tenant_id", "due_at", "id"),
        Index("ix_tickets_tags", "tags", postgresql_using="gin", postgresql_ops={"tags": "jsonb_path_ops"})
        .ddl_if(dialect="postgresql"),
        Index(
            "ix_tickets_custom_fields", "custom_fields", postgresql_using="gin",
            postgresql_ops={"custom_fields": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    requester_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requester_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    requester_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="api")
    category: Mapped[str] = mapped_column(String(20), default="other")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    priority_rank: Mapped[int] = mapped_column(SmallInteger, default=1)
    status: Mapped[str] = mapped_column(String(10), default="new")
    assignee_member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Member ids (canonical UUID strings) who get told about changes.
    followers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The first public reply by an agent (the first-reply-time clock stops here).
    first_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Bumped on every write; the ``ETag`` is derived from it and ``If-Match`` compared with it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)

    # The ORM bumps ``version`` on every flush of a changed ticket and refuses (StaleDataError)
    # an UPDATE whose row another transaction changed since it was read: lost updates cannot
    # happen, whatever the caller sent as If-Match.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @validates("priority")
    def _rank_priority(self, _key: str, value: str) -> str:
        self.priority_rank = PRIORITIES.index(value) if value in PRIORITIES else 1
        return value


class Comment(TenantScoped, Base):
    """A public reply or an internal note on a ticket, by an agent, the customer, a bot or ccokit."""

    __tablename__ = "ticket_comments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE"
        ),
        Index("ix_ticket_comments_ticket", "tenant_id", "ticket_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    author_kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketChange(TenantScoped, Base):
    """One field of one ticket changed: who, through what, from what to what, and when."""

    __tablename__ = "ticket_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE"
        ),
        Index("ix_ticket_changes_ticket", "tenant_id", "ticket_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    via: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(80))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
