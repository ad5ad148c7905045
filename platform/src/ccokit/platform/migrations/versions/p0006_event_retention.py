"""Event retention: a function that removes delivered events older than the retention period.

Revision ID: p0006
Revises: p0005
Create Date: 2026-11-23

The outbox, the processed-event records and the handlers' delivery states would otherwise grow
with every event forever. ``ccokit_purge_events(keep_seconds, batch)`` (``SECURITY DEFINER``,
owned by the table owner) deletes completed events older than ``keep_seconds`` across every
tenant, with their records, a batch at a time. The owner may read and delete those rows through
the ``outbox_relay`` policy of p0003 and the two policies added here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0006"
down_revision = "p0005"
branch_labels = None
depends_on = None

PURGE_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_purge_events(keep_seconds double precision, batch integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH old AS (
        SELECT o.tenant_id, o.id FROM outbox_events AS o
         WHERE o.completed_at < now() - make_interval(secs => keep_seconds)
         ORDER BY o.completed_at
         LIMIT batch
           FOR UPDATE SKIP LOCKED),
    processed AS (
        DELETE FROM processed_events AS p USING old
         WHERE p.tenant_id = old.tenant_id AND p.event_id = old.id),
    states AS (
        DELETE FROM event_deliveries AS d USING old
         WHERE d.tenant_id = old.tenant_id AND d.event_id = old.id),
    gone AS (
        DELETE FROM outbox_events AS e USING old
         WHERE e.tenant_id = old.tenant_id AND e.id = old.id
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$
"""


def upgrade() -> None:
    op.create_index(
        "ix_outbox_events_completed_at",
        "outbox_events",
        ["completed_at"],
        postgresql_where=sa.text("completed_at IS NOT NULL"),
        sqlite_where=sa.text("completed_at IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("processed_events", "event_deliveries"):
            op.execute(
                f"CREATE POLICY event_retention ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
            )
        op.execute(PURGE_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION ccokit_purge_events(double precision, integer) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ccokit_purge_events(double precision, integer)")
        for table in ("processed_events", "event_deliveries"):
            op.execute(f"DROP POLICY IF EXISTS event_retention ON {table}")
    op.drop_index("ix_outbox_events_completed_at", table_name="outbox_events")
