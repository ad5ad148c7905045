"""Saved views: a named filter and sort over the tenant's tickets, shared by its agents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.models import TenantScoped, UTCDateTime, new_id, utcnow

__all__ = ["SavedView"]


class SavedView(TenantScoped, Base):
    """A list of tickets agents open often ("my open urgent tickets", "disputes this week").

    ``filters`` holds the same arguments ``GET /tickets`` takes (validated when saved), and
    ``sort`` one of its sort keys, so a view reads back exactly as it was written.
    """

    __tablename__ = "ticket_views"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sort: Mapped[str] = mapped_column(String(20), default="-created_at")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
