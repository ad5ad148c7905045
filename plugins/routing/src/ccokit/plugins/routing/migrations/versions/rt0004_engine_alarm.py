"""Routing: when each workspace's alarm rings next, so that its timers (a ring nobody answers,
an overflow stage, a maximum wait, the end of wrap-up) run on time when no request comes, and a
decision sets a new alarm only when none rings by its earliest timer.

Revision ID: rt0004
Revises: rt0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "rt0004"
down_revision = "rt0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_engine_states") as batch:
        batch.add_column(sa.Column("alarm_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_engine_states") as batch:
        batch.drop_column("alarm_at")
