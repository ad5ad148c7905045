"""The audit log's table: one row per administrative change, written in the change's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = ["AuditEvent", "Base"]


class Base(DeclarativeBase):
    metadata = make_metadata()


class AuditEvent(TenantScoped, Base):
    """An administrative change: who (``actor_*``), what (``action``) to which object
    (``target_*``), its state ``before`` and ``after`` (secrets redacted), and from where.

    ``actor_id`` is the member's public id (``mem_…``) when a member acted through an app, else
    the acting client's id; ``client_id`` is always the app the change came through.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tenant_id_action", "tenant_id", "action", "id"),
        Index("ix_audit_events_tenant_id_target", "tenant_id", "target_type", "target_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(100))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str | None] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))
