"""Webhooks: endpoints, the delivery log, and the sender's claim and purge functions.

Revision ID: p0004
Revises: p0003
Create Date: 2026-11-24

On PostgreSQL also two ``SECURITY DEFINER`` functions owned by the table owner, with a policy
that lets only the owner (hence only these functions, for the application role) see every
tenant's deliveries: ``ccokit_claim_webhook_deliveries()`` marks due deliveries in flight for a
lease (``FOR UPDATE SKIP LOCKED``, so several senders skip each other's rows), and
``ccokit_purge_webhook_deliveries()`` removes finished deliveries past the log's retention.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "p0004"
down_revision = "p0003"
branch_labels = None
depends_on = None

CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_claim_webhook_deliveries(batch integer, lease_seconds double precision)
RETURNS TABLE (tenant_id uuid, id uuid, endpoint_id uuid, claims integer)
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    UPDATE webhook_deliveries AS d
       SET next_attempt_at = now() + make_interval(secs => lease_seconds), claims = d.claims + 1
     WHERE (d.tenant_id, d.id) IN (
            SELECT p.tenant_id, p.id FROM webhook_deliveries AS p
             WHERE p.status = 'pending' AND p.next_attempt_at <= now()
             ORDER BY p.next_attempt_at
             LIMIT batch
               FOR UPDATE SKIP LOCKED)
    RETURNING d.tenant_id, d.id, d.endpoint_id, d.claims
$$
"""

PURGE_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_purge_webhook_deliveries(keep_seconds double precision, batch integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH old AS (
        SELECT p.tenant_id, p.id FROM webhook_deliveries AS p
         WHERE p.created_at < now() - make_interval(secs => keep_seconds)
           AND p.status <> 'pending'
         ORDER BY p.created_at
         LIMIT batch
           FOR UPDATE SKIP LOCKED),
    gone AS (
        DELETE FROM webhook_deliveries AS d USING old
         WHERE d.tenant_id = old.tenant_id AND d.id = old.id
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$
"""


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("previous_secret", sa.LargeBinary(), nullable=True),
        sa.Column("previous_expires_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("disabled_reason", sa.String(20), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
            name="fk_webhook_deliveries_tenant_id_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_tenant_id_endpoint_id", "webhook_deliveries", ["tenant_id", "endpoint_id", "id"]
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_webhook_deliveries_created_at", "webhook_deliveries", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CLAIM_FUNCTION)
        op.execute(PURGE_FUNCTION)
        op.execute(
            "REVOKE ALL ON FUNCTION ccokit_claim_webhook_deliveries(integer, double precision) FROM PUBLIC"
        )
        op.execute(
            "REVOKE ALL ON FUNCTION ccokit_purge_webhook_deliveries(double precision, integer) FROM PUBLIC"
        )
        op.execute(
            "CREATE POLICY webhook_sender ON webhook_deliveries TO CURRENT_USER USING (true) WITH CHECK (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ccokit_purge_webhook_deliveries(double precision, integer)")
        op.execute("DROP FUNCTION IF EXISTS ccokit_claim_webhook_deliveries(integer, double precision)")
    op.drop_index("ix_webhook_deliveries_created_at", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_tenant_id_endpoint_id", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
