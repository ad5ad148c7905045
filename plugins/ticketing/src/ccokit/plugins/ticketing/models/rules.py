"""Rules as data: macros, triggers, automations, and the record of where automations fired.

Conditions and actions are stored as validated JSON in the shape the API speaks (see
``services/rules``), so a rule reads back exactly as it was written.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKeyConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, new_id, utcnow


class Macro(TenantScoped, Base):
    """A named list of actions an agent applies to a ticket in one click."""

    __tablename__ = "ticket_macros"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class _ConditionalRule:
    """The columns triggers and automations share: conditions, actions and a place in the order."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Trigger(TenantScoped, TenantConfiguration, _ConditionalRule, Base):
    """Conditions checked after every ticket change and the actions run when they hold.

    Active triggers run in ``position`` order (then creation order).
    """

    __tablename__ = "ticket_triggers"
    __table_args__ = (Index("ix_ticket_triggers_order", "tenant_id", "active", "position"),)


class Automation(TenantScoped, _ConditionalRule, Base):
    """Time-based conditions checked periodically over the workspace's tickets."""

    __tablename__ = "ticket_automations"
    __table_args__ = (Index("ix_ticket_automations_order", "tenant_id", "active", "position"),)


class AutomationFiring(TenantScoped, Base):
    """An automation acted on a ticket: it does not act on that ticket again until someone or
    something other than an automation changes the ticket (the row is then removed)."""

    __tablename__ = "ticket_automation_firings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "automation_id"], ["ticket_automations.tenant_id", "ticket_automations.id"],
            ondelete="CASCADE", name="fk_ticket_automation_firings_automation",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE",
            name="fk_ticket_automation_firings_ticket",
        ),
        Index("ix_ticket_automation_firings_ticket", "tenant_id", "ticket_id"),
    )

    automation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
