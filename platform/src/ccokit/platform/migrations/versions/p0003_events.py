"""Events: the transactional outbox, processed-event records, per-handler delivery state.

Revision ID: p0003
Revises: p0001
Create Date: 2026-11-23

On PostgreSQL also the relay's claim function: ``SECURITY DEFINER``, owned by the table owner,
with a policy that lets only the owner (hence only this function, for the application role)
see every tenant's outbox rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "p0003"
down_revision = "p0001"
branch_labels = None
depends_on = None

CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_claim_outbox(batch integer, stale_after_seconds double precision)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    UPDATE outbox_events AS o
       SET dispatched_at = now(), attempts = o.attempts + 1
     WHERE (o.tenant_id, o.id) IN (
            SELECT p.tenant_id, p.id FROM outbox_events AS p
             WHERE p.completed_at IS NULL
               AND (p.dispatched_at IS NULL
                    OR p.dispatched_at < now() - make_interval(secs => stale_after_seconds))
             ORDER BY p.id
             LIMIT batch
               FOR UPDATE SKIP LOCKED)
    RETURNING o.tenant_id, o.id
$$
"""


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_outbox_events"),
    )
    op.create_index(
        "ix_outbox_events_pending",
        "outbox_events",
        ["id"],
        postgresql_where=sa.text("completed_at IS NULL"),
        sqlite_where=sa.text("completed_at IS NULL"),
    )
    op.create_table(
        "processed_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "handler", name="pk_processed_events"),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "handler", name="pk_event_deliveries"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CLAIM_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION ccokit_claim_outbox(integer, double precision) FROM PUBLIC")
        op.execute(
            "CREATE POLICY outbox_relay ON outbox_events TO CURRENT_USER USING (true) WITH CHECK (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ccokit_claim_outbox(integer, double precision)")
    op.drop_table("event_deliveries")
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_events_pending", table_name="outbox_events")
    op.drop_table("outbox_events")
