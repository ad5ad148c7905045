"""Tables of outbound webhooks; both are tenant tables (row-level security applies)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKeyConstraint, Index, Integer, LargeBinary, String, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = ["DELIVERY_STATUSES", "Base", "WebhookDelivery", "WebhookEndpoint"]

#: ``pending``: waiting for its first or next try; ``succeeded``: answered 2xx; ``failed``: every
#: try of the schedule failed; ``abandoned``: not sent any more because the endpoint was disabled.
DELIVERY_STATUSES = ("pending", "succeeded", "failed", "abandoned")


class Base(DeclarativeBase):
    metadata = make_metadata()


class WebhookEndpoint(TenantScoped, Base):
    """A URL of the merchant's that receives the workspace's events of the listed types.

    ``event_types`` lists declared event types, or ``["*"]`` for all of them. The signing secret
    is kept encrypted (:mod:`ccokit.platform.webhooks.signing`); after a rotation the previous
    one keeps signing too until ``previous_expires_at``. ``failing_since`` is the time of the
    first failed try since the last success: an endpoint failing for long enough is disabled.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: ``gone`` (the receiver answered 410), ``failing`` (failed for days) or ``admin``.
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(TenantScoped, Base):
    """One event for one endpoint: the body as it was when the event happened, and how sending it
    went so far.

    ``id`` is the ``webhook-id`` the receiver sees, the same on every try. ``next_attempt_at`` is
    when a pending delivery is due; a sender that claims it pushes it forward by a lease, so a
    sender that dies mid-send leaves it due again later. ``claims`` counts those claims: a sender
    acts only if nobody claimed the delivery after it. ``last_error`` is in ccokit's words; the
    receiver's response body is never kept.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
            ondelete="CASCADE",
        ),
        Index("ix_webhook_deliveries_tenant_id_endpoint_id", "tenant_id", "endpoint_id", "id"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
