"""Quick replies: the canned-answer library.

Revision ID: qr0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "qr0001"
down_revision = None
branch_labels = ("quick_replies",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quick_replies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_quick_replies"),
        sa.UniqueConstraint("tenant_id", "shortcut", name="uq_quick_replies_tenant_id_shortcut"),
    )


def downgrade() -> None:
    op.drop_table("quick_replies")
