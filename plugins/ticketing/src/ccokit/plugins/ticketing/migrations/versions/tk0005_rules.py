"""Ticketing rules: macros, triggers, automations and where automations fired.

Revision ID: tk0005
Revises: tk0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "tk0005"
down_revision = "tk0001"
branch_labels = None
depends_on = None


def _rule_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "ticket_macros",
        *_rule_columns(),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_macros"),
    )
    for table in ("ticket_triggers", "ticket_automations"):
        op.create_table(
            table,
            *_rule_columns(),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("conditions", sa.JSON(), nullable=False),
            sa.Column("actions", sa.JSON(), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("updated_at", UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_order", table, ["tenant_id", "active", "position"])
    op.create_table(
        "ticket_automation_firings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "automation_id", "ticket_id", name="pk_ticket_automation_firings"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "automation_id"], ["ticket_automations.tenant_id", "ticket_automations.id"],
            name="fk_ticket_automation_firings_automation", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_automation_firings_ticket", ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_ticket_automation_firings_ticket", "ticket_automation_firings", ["tenant_id", "ticket_id"]
    )


def downgrade() -> None:
    op.drop_table("ticket_automation_firings")
    op.drop_table("ticket_automations")
    op.drop_table("ticket_triggers")
    op.drop_table("ticket_macros")
