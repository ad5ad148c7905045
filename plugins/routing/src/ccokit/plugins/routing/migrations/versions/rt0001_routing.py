"""Routing: groups, queues, agents and conversations.

Revision ID: rt0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ccokit_sdk.models import UTCDateTime

revision = "rt0001"
down_revision = None
branch_labels = ("routing",)
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LIVE = sa.text("state IN ('queued', 'offered', 'assigned', 'wrap_up')")


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "routing_groups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("supervisors", JSONType, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_routing_groups"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_routing_groups_tenant_id_name"),
    )
    op.create_table(
        "routing_queues",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("groups", JSONType, nullable=False),
        sa.Column("skills", JSONType, nullable=False),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("aging_per_min", sa.Float(), nullable=False),
        sa.Column("channel_weights", JSONType, nullable=False),
        sa.Column("value_weight", sa.Float(), nullable=False),
        sa.Column("overflow", JSONType, nullable=False),
        sa.Column("sticky_s", sa.Integer(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("max_wait_s", sa.Integer(), nullable=True),
        sa.Column("ring_s", sa.Integer(), nullable=False),
        sa.Column("wrapup_s", sa.Integer(), nullable=False),
        sa.Column("auto_accept", sa.Boolean(), nullable=False),
        sa.Column("service_level_s", sa.Integer(), nullable=False),
        sa.Column("hours", JSONType, nullable=True),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_routing_queues"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_routing_queues_tenant_id_name"),
    )
    op.create_table(
        "routing_agents",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("skills", JSONType, nullable=False),
        sa.Column("languages", JSONType, nullable=False),
        sa.Column("capacity", JSONType, nullable=False),
        sa.Column("groups", JSONType, nullable=False),
        sa.Column("presence", sa.String(10), nullable=False),
        sa.Column("presence_at", UTCDateTime(), nullable=False),
        sa.Column("presence_reason", sa.String(20), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("tenant_id", "member_id", name="pk_routing_agents"),
    )
    op.create_table(
        "routing_conversations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("skills", JSONType, nullable=False),
        sa.Column("language", sa.String(10), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("tier", sa.String(40), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("declined_by", JSONType, nullable=False),
        sa.Column("return_queue_id", sa.Uuid(), nullable=True),
        sa.Column("arrived_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("offered_at", UTCDateTime(), nullable=True),
        sa.Column("offer_expires_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.Column("wrapup_until", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.Column("position_told", sa.Integer(), nullable=True),
        sa.Column("estimate_s", sa.Float(), nullable=True),
        sa.Column("waited_s", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_routing_conversations"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "queue_id"], ["routing_queues.tenant_id", "routing_queues.id"],
            name="fk_routing_conversations_tenant_id_queue_id_routing_queues",
        ),
    )
    op.create_index("ix_routing_conversations_live", "routing_conversations", ["tenant_id", "arrived_at"],
                    postgresql_where=LIVE, sqlite_where=LIVE)
    for columns in (("queue_id", "arrived_at"), ("customer_id", "ended_at"), ("agent_id", "assigned_at")):
        op.create_index(f"ix_routing_conversations_tenant_id_{'_'.join(columns)}", "routing_conversations",
                        ["tenant_id", *columns])


def downgrade() -> None:
    op.drop_table("routing_conversations")
    op.drop_table("routing_agents")
    op.drop_table("routing_queues")
    op.drop_table("routing_groups")
