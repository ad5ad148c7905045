"""Custom field definitions: the extra facts a merchant records on every ticket.

Values live on the ticket (``Ticket.custom_fields``, keyed by ``key``); this table says what
each key means, its type, its titles in English and Chinese, its options and whether it is
required, so every ticket write can be checked against it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit.plugins.ticketing.vocabulary import FIELD_TYPES
from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, new_id, utcnow

__all__ = ["FIELD_TYPES", "CustomField"]


class CustomField(TenantScoped, TenantConfiguration, Base):
    """One custom field of a tenant's tickets (``order_amount``, ``refund_reason``, …)."""

    __tablename__ = "ticket_custom_fields"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    #: ``{"en": "Order amount", "zh": "订单金额"}``
    titles: Mapped[dict[str, str]] = mapped_column(JSON)
    #: For dropdown and multi-select: ``[{"value": "damaged", "titles": {"en": …, "zh": …}}]``.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
