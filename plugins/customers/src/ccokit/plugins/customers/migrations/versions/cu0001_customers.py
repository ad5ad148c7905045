"""Customers: profiles, contact points, tags and the tier ladder.

Revision ID: cu0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "cu0001"
down_revision = None
branch_labels = ("customers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_tiers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("priority_boost", sa.Integer(), nullable=False),
        sa.Column("sla_policy", sa.String(60), nullable=True),
        sa.Column("guarantees", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customer_tiers"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_customer_tiers_tenant_id_key"),
        sa.UniqueConstraint("tenant_id", "rank", name="uq_customer_tiers_tenant_id_rank"),
    )
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("name_key", sa.String(200), nullable=True),
        sa.Column("locale", sa.String(20), nullable=True),
        sa.Column("tier_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("merged_at", UTCDateTime(), nullable=True),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customers"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "tier_id"], ["customer_tiers.tenant_id", "customer_tiers.id"],
            name="fk_customers_tenant_id_tier_id_customer_tiers",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "merged_into_id"], ["customers.tenant_id", "customers.id"],
            name="fk_customers_tenant_id_merged_into_id_customers",
        ),
    )
    op.create_index(
        "ix_customers_tenant_id_name_key", "customers", ["tenant_id", "name_key"],
        postgresql_ops={"name_key": "text_pattern_ops"},
    )
    op.create_index("ix_customers_tenant_id_tier_id", "customers", ["tenant_id", "tier_id", "id"])
    op.create_index("ix_customers_tenant_id_merged_into_id", "customers", ["tenant_id", "merged_into_id"])
    op.create_table(
        "customer_contact_points",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customer_contact_points"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE",
            name="fk_customer_contact_points_tenant_id_customer_id_customers",
        ),
        sa.UniqueConstraint(
            "tenant_id", "kind", "channel", "value", name="uq_customer_contact_points_tenant_id_kind_channel_value"
        ),
    )
    op.create_index(
        "ix_customer_contact_points_tenant_id_customer_id", "customer_contact_points", ["tenant_id", "customer_id"]
    )
    op.create_table(
        "customer_tags",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "tag", name="pk_customer_tags"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE",
            name="fk_customer_tags_tenant_id_customer_id_customers",
        ),
    )
    op.create_index("ix_customer_tags_tenant_id_tag", "customer_tags", ["tenant_id", "tag", "customer_id"])


def downgrade() -> None:
    op.drop_table("customer_tags")
    op.drop_table("customer_contact_points")
    op.drop_table("customers")
    op.drop_table("customer_tiers")
