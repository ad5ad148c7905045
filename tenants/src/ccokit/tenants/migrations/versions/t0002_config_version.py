"""Configuration version: a counter on each tenant that moves with every configuration change.

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-23

Processes cache a tenant's configuration rows (``ccokit.tenants.configuration_cache``) and use
what they cached only while this number stays the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("config_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("config_version")
