"""The table of idempotency keys: a claim while the first request runs, then its saved answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata

__all__ = ["Base", "IdempotencyKey"]


class Base(DeclarativeBase):
    metadata = make_metadata()


class IdempotencyKey(TenantScoped, Base):
    """One key of one caller (``principal``) of one tenant.

    ``claim`` identifies the request that holds the key; only that request may save its answer
    or release the key. ``response_status`` is ``None`` while it runs. The saved body is
    encrypted (it may hold a secret shown once, such as a new client's secret).
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    claim: Mapped[uuid.UUID] = mapped_column(Uuid)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
