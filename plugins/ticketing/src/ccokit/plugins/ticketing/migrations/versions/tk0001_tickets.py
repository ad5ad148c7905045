"""Ticketing core: tickets, comments, groups, history, numbering, custom fields, saved views.

Revision ID: tk0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ccokit_sdk.models import UTCDateTime

revision = "tk0001"
down_revision = None
branch_labels = ("ticketing",)
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_ticket_counters"),
    )
    op.create_table(
        "ticket_groups",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_groups"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_ticket_groups_tenant_id_name"),
    )
    op.create_table(
        "tickets",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("requester_name", sa.String(200), nullable=True),
        sa.Column("requester_email", sa.String(254), nullable=True),
        sa.Column("requester_phone", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("assignee_member_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("tags", JSONType, nullable=False),
        sa.Column("followers", JSONType, nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("custom_fields", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("status_changed_at", UTCDateTime(), nullable=False),
        sa.Column("solved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("first_replied_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_tickets"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_tickets_tenant_id_number"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"], ["ticket_groups.tenant_id", "ticket_groups.id"],
            name="fk_tickets_tenant_id_group_id_ticket_groups",
        ),
    )
    for name, columns in (
        ("ix_tickets_created", ["tenant_id", "created_at", "id"]),
        ("ix_tickets_updated", ["tenant_id", "updated_at", "id"]),
        ("ix_tickets_status_created", ["tenant_id", "status", "created_at", "id"]),
        ("ix_tickets_status_updated", ["tenant_id", "status", "updated_at", "id"]),
        ("ix_tickets_assignee_updated", ["tenant_id", "assignee_member_id", "updated_at", "id"]),
        ("ix_tickets_group_updated", ["tenant_id", "group_id", "updated_at", "id"]),
        ("ix_tickets_customer_created", ["tenant_id", "customer_id", "created_at", "id"]),
        ("ix_tickets_category_created", ["tenant_id", "category", "created_at", "id"]),
        ("ix_tickets_priority", ["tenant_id", "priority_rank", "id"]),
        ("ix_tickets_due", ["tenant_id", "due_at", "id"]),
    ):
        op.create_index(name, "tickets", columns)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_tickets_tags", "tickets", ["tags"], postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
        op.create_index(
            "ix_tickets_custom_fields", "tickets", ["custom_fields"], postgresql_using="gin",
            postgresql_ops={"custom_fields": "jsonb_path_ops"},
        )

    op.create_table(
        "ticket_comments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author_kind", sa.String(10), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_comments"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_comments_tenant_id_ticket_id_tickets", ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_ticket_comments_ticket", "ticket_comments", ["tenant_id", "ticket_id", "created_at", "id"]
    )

    op.create_table(
        "ticket_changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("old", JSONType, nullable=True),
        sa.Column("new", JSONType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_changes"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_changes_tenant_id_ticket_id_tickets", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_ticket_changes_ticket", "ticket_changes", ["tenant_id", "ticket_id", "id"])

    op.create_table(
        "ticket_custom_fields",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_custom_fields"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_ticket_custom_fields_tenant_id_key"),
    )

    op.create_table(
        "ticket_views",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("sort", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ticket_views"),
    )


def downgrade() -> None:
    op.drop_table("ticket_views")
    op.drop_table("ticket_custom_fields")
    op.drop_table("ticket_changes")
    op.drop_table("ticket_comments")
    op.drop_table("tickets")
    op.drop_table("ticket_groups")
    op.drop_table("ticket_counters")
