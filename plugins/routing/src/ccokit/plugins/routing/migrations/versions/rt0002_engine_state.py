"""Routing: each workspace's engine state row (its lock and version) and agents' idle time.

Revision ID: rt0002
Revises: rt0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ccokit_sdk.models import UTCDateTime

revision = "rt0002"
down_revision = "rt0001"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "routing_engine_states",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("memory", JSONType, nullable=False),
        sa.Column("next_deadline", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_routing_engine_states"),
    )
    with op.batch_alter_table("routing_agents") as batch:
        batch.add_column(sa.Column("idle_since", UTCDateTime(), nullable=True))
    op.create_index("ix_routing_conversations_tenant_id_ended_at", "routing_conversations",
                    ["tenant_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_routing_conversations_tenant_id_ended_at", table_name="routing_conversations")
    with op.batch_alter_table("routing_agents") as batch:
        batch.drop_column("idle_since")
    op.drop_table("routing_engine_states")
