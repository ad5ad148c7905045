"""Idempotency keys and the audit log.

Revision ID: p0002
Revises: p0001
Create Date: 2026-11-23

Both are tenant tables (row-level security applies). On PostgreSQL also
``ccokit_purge_idempotency_keys(batch)``: ``SECURITY DEFINER``, owned by the table owner, with a
policy that lets only the owner (hence only this function, for the application role) see every
tenant's keys, so one statement can remove the expired keys of all tenants.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None

PURGE_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_purge_idempotency_keys(batch integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (
        DELETE FROM idempotency_keys AS k
         WHERE (k.tenant_id, k.principal, k.key) IN (
                SELECT e.tenant_id, e.principal, e.key FROM idempotency_keys AS e
                 WHERE e.expires_at < now()
                 LIMIT batch
                   FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$
"""


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("claim", sa.Uuid(), nullable=False),
        sa.Column("locked_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "principal", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=True),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_tenant_id_action", "audit_events", ["tenant_id", "action", "id"])
    op.create_index(
        "ix_audit_events_tenant_id_target", "audit_events", ["tenant_id", "target_type", "target_id", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PURGE_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION ccokit_purge_idempotency_keys(integer) FROM PUBLIC")
        op.execute(
            "CREATE POLICY idempotency_purge ON idempotency_keys TO CURRENT_USER USING (true) WITH CHECK (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ccokit_purge_idempotency_keys(integer)")
    op.drop_index("ix_audit_events_tenant_id_target", table_name="audit_events")
    op.drop_index("ix_audit_events_tenant_id_action", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
