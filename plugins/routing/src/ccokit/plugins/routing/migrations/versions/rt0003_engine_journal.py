"""Routing: what each of the last decisions of a workspace changed, beside its engine state, so
that a process whose engine is a few versions behind catches up instead of rebuilding.

Revision ID: rt0003
Revises: rt0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "rt0003"
down_revision = "rt0002"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("routing_engine_states") as batch:
        batch.add_column(sa.Column("journal", JSONType, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("routing_engine_states") as batch:
        batch.drop_column("journal")
