"""Jobs: delayed outbox rows, the periodic schedule, and the scheduler's fan-out.

Revision ID: p0005
Revises: p0003
Create Date: 2026-11-23

``outbox_events.available_at`` holds a delayed job back; the relay's claim function learns to
respect it. ``job_schedules`` says when each periodic job runs next. On PostgreSQL,
``ccokit_fan_out_job()`` (``SECURITY DEFINER``, owned by the table owner) writes one outbox row
per active tenant that has the job's plugin enabled, in one statement: the application role
cannot read other tenants' plugin switches, and thousands of tenants should not cost thousands of
transactions every period.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "p0005"
down_revision = "p0003"
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
               AND (p.available_at IS NULL OR p.available_at <= now())
               AND (p.dispatched_at IS NULL
                    OR p.dispatched_at < now() - make_interval(secs => stale_after_seconds))
             ORDER BY p.id
             LIMIT batch
               FOR UPDATE SKIP LOCKED)
    RETURNING o.tenant_id, o.id
$$
"""

FAN_OUT_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_fan_out_job(job_type text, plugin text, platform_job boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    written integer;
BEGIN
    INSERT INTO outbox_events (tenant_id, id, type, payload, occurred_at, attempts)
    -- A UUIDv7 like the application's ids, so the relay hands these out in time order.
    SELECT t.id,
           encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                  placing substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                  FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
           job_type, '{}'::json, now(), 0
      FROM tenants AS t
     WHERE t.status = 'active'
       AND (platform_job OR EXISTS (
            SELECT 1 FROM tenant_plugins AS tp
             WHERE tp.tenant_id = t.id AND tp.plugin = fan_out.plugin AND tp.enabled));
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$
"""


def upgrade() -> None:
    op.add_column("outbox_events", sa.Column("available_at", UTCDateTime(), nullable=True))
    op.create_table(
        "job_schedules",
        sa.Column("job_type", sa.String(200), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_fan_out", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_type", name="pk_job_schedules"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CLAIM_FUNCTION)
        op.execute(FAN_OUT_FUNCTION.replace("fan_out.plugin", "ccokit_fan_out_job.plugin"))
        op.execute("REVOKE ALL ON FUNCTION ccokit_fan_out_job(text, text, boolean) FROM PUBLIC")
        # The owner (hence only the function above) reads every tenant's plugin switches.
        op.execute(
            "CREATE POLICY job_fan_out ON tenant_plugins FOR SELECT TO CURRENT_USER USING (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS job_fan_out ON tenant_plugins")
        op.execute("DROP FUNCTION IF EXISTS ccokit_fan_out_job(text, text, boolean)")
    op.drop_table("job_schedules")
    op.drop_column("outbox_events", "available_at")
