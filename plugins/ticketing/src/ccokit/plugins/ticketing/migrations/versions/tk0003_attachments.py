"""Ticket attachments: files on tickets and comments, their bytes in the blob storage.

Revision ID: tk0003
Revises: tk0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "tk0003"
down_revision = "tk0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_attachments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_attachments"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_attachments_tenant_id_ticket_id_tickets", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "comment_id"], ["ticket_comments.tenant_id", "ticket_comments.id"],
            name="fk_ticket_attachments_tenant_id_comment_id_ticket_comments",
        ),
    )
    op.create_index("ix_ticket_attachments_ticket", "ticket_attachments", ["tenant_id", "ticket_id", "id"])
    op.create_index(
        "ix_ticket_attachments_pending", "ticket_attachments", ["tenant_id", "status", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("ticket_attachments")
