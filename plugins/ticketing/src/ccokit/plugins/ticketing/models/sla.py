"""Service levels as data: business-hours calendars, SLA policies, and the clocks they run.

A calendar and a policy are configuration, stored in the shape the API speaks (validated JSON).
A clock is one promise on one ticket (first reply, next reply, resolution): it copies the target
it was given (minutes, counted in business or calendar time, on which calendar), so a policy that
changes or disappears later never rewrites what a running clock promised until the ticket is
re-evaluated. The breach sweep reads clocks through a partial index that holds only the clocks
still able to breach.
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
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, new_id, utcnow

__all__ = ["METRICS", "Calendar", "SlaClock", "SlaPolicy"]

#: What a clock measures, in the order a ticket usually meets them.
METRICS = ("first_reply", "next_reply", "resolution")


class Calendar(TenantScoped, TenantConfiguration, Base):
    """A working week in a time zone, with holidays and extra working days (调休).

    ``weekly_hours`` maps weekday names to ``[{"start": "09:00", "end": "12:00"}, …]``;
    ``holidays`` is ``[{"name", "start", "end"}]`` (dates, ``end`` inclusive);
    ``working_days`` is ``[{"name", "date", "hours"?}]``. One calendar per workspace is the
    default (policies without a calendar of their own use it).
    """

    __tablename__ = "ticket_calendars"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        Index(
            "uq_ticket_calendars_default", "tenant_id", unique=True,
            postgresql_where=text("is_default"), sqlite_where=text("is_default"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[dict[str, list[dict[str, str]]]] = mapped_column(JSON)
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    working_days: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SlaPolicy(TenantScoped, TenantConfiguration, Base):
    """Targets for the tickets a policy's conditions select; the first active match applies.

    ``conditions`` is ``{"priority": [...], "tier": [...], "channel": [...], "category": [...]}``
    (each a list of allowed values, absent or empty for any); ``targets`` is
    ``[{"priority", "metric", "minutes", "business_hours"}]``. ``key`` is what a member tier's
    ``sla_policy`` names.
    """

    __tablename__ = "ticket_sla_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        ForeignKeyConstraint(
            ["tenant_id", "calendar_id"], ["ticket_calendars.tenant_id", "ticket_calendars.id"]
        ),
        Index("ix_ticket_sla_policies_order", "tenant_id", "active", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    conditions: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SlaClock(TenantScoped, Base):
    """One promise on one ticket and how it stands.

    Running: ``due_at`` set, not paused, fulfilled or breached. Paused (ticket pending or on
    hold, or a solved ticket's resolution clock): ``paused_since`` set and ``due_at`` empty; on
    resuming, the pause is added to ``pauses`` (``[[start, end], …]`` ISO times) and to
    ``paused_seconds`` (counted in the clock's own measure), and ``due_at`` moves by as much.
    ``fulfilled_at`` ends the clock; ``breached_at`` marks that it passed ``due_at`` first
    (a fulfilled clock may be breached too: it was met late).
    """

    __tablename__ = "ticket_sla_clocks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE"
        ),
        Index("ix_ticket_sla_clocks_ticket", "tenant_id", "ticket_id", "metric"),
        # Only clocks that can still breach: the sweep's range scan stays as small as the backlog.
        Index(
            "ix_ticket_sla_clocks_due", "tenant_id", "due_at",
            postgresql_where=text("fulfilled_at IS NULL AND breached_at IS NULL"),
            sqlite_where=text("fulfilled_at IS NULL AND breached_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    metric: Mapped[str] = mapped_column(String(20))
    #: The policy that set the target; no foreign key: deleting a policy leaves its clocks be.
    policy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    target_minutes: Mapped[int] = mapped_column(Integer)
    business_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    pauses: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
