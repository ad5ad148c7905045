"""Ticket attachments: files on a ticket (and, once sent, on one of its comments).

The bytes live in the workspace's blob storage under ticketing's folder
(``tickets/<ticket id>/<attachment id>``); this table holds what the API shows about them. A row
starts ``pending`` when an upload is granted and becomes ``stored`` once the uploaded file was
checked against what was declared (size and type); only stored attachments can be downloaded or
referenced by a comment. Pending rows that never complete are removed after a day.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.models import TenantScoped, UTCDateTime, new_id, utcnow

__all__ = ["ATTACHMENT_STATUSES", "Attachment"]

ATTACHMENT_STATUSES = ("pending", "stored")


class Attachment(TenantScoped, Base):
    """One file of a ticket: its name and type as the uploader gave them, its size in bytes."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"], ondelete="CASCADE"
        ),
        # No ON DELETE: a comment goes only with its ticket, and then so do its attachments.
        ForeignKeyConstraint(
            ["tenant_id", "comment_id"], ["ticket_comments.tenant_id", "ticket_comments.id"]
        ),
        Index("ix_ticket_attachments_ticket", "tenant_id", "ticket_id", "id"),
        Index("ix_ticket_attachments_pending", "tenant_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    #: The blob's key, relative to ticketing's folder of the workspace.
    storage_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    #: The member who uploaded it; ``None`` for an API client acting on its own.
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
