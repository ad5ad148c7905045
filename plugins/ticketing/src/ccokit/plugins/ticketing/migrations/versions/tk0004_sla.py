"""Ticketing service levels: business-hours calendars, SLA policies, per-ticket SLA clocks.

Revision ID: tk0004
Revises: tk0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "tk0004"
down_revision = "tk0001"
branch_labels = None
depends_on = None

OPEN_CLOCKS = "fulfilled_at IS NULL AND breached_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "ticket_calendars",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("weekly_hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_calendars"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_ticket_calendars_tenant_id_name"),
    )
    op.create_index(
        "uq_ticket_calendars_default", "ticket_calendars", ["tenant_id"], unique=True,
        postgresql_where=sa.text("is_default"), sqlite_where=sa.text("is_default"),
    )
    op.create_table(
        "ticket_sla_policies",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_sla_policies"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_ticket_sla_policies_tenant_id_key"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "calendar_id"], ["ticket_calendars.tenant_id", "ticket_calendars.id"],
            name="fk_ticket_sla_policies_tenant_id_ticket_calendars",
        ),
    )
    op.create_index(
        "ix_ticket_sla_policies_order", "ticket_sla_policies", ["tenant_id", "active", "position"]
    )
    op.create_table(
        "ticket_sla_clocks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("paused_since", UTCDateTime(), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("breached_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_sla_clocks"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_sla_clocks_tenant_id_tickets", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_ticket_sla_clocks_ticket", "ticket_sla_clocks", ["tenant_id", "ticket_id", "metric"])
    op.create_index(
        "ix_ticket_sla_clocks_due", "ticket_sla_clocks", ["tenant_id", "due_at"],
        postgresql_where=sa.text(OPEN_CLOCKS), sqlite_where=sa.text(OPEN_CLOCKS),
    )


def downgrade() -> None:
    op.drop_table("ticket_sla_clocks")
    op.drop_table("ticket_sla_policies")
    op.drop_table("ticket_calendars")
