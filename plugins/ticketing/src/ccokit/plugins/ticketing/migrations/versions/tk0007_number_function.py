"""Ticket numbers on PostgreSQL in one statement: ``ccokit_next_ticket_number(tenant, name)``.

Taking a number used a side transaction of four round trips (``BEGIN``, the tenant setting,
the counter's ``UPDATE``, ``COMMIT``) and, for a workspace's first ticket, a savepoint around
the counter row's insert. The function does the same work in one call that runs in a
transaction of its own when the caller's connection is in autocommit: it sets the tenant for
row-level security (the counters are a tenant table like any other), upserts the counter row
and returns the number; the row lock is held for that statement only.

It refuses a tenant other than the one the calling transaction is already scoped to, and puts
the caller's setting back, so a call inside a scoped transaction can neither widen nor change
its scope. ``SECURITY DEFINER`` like every ``ccokit_`` function: ``ccokit migrate`` grants its
execution to the application role and nothing else. SQLite has no functions; its numbers are
taken in the creating transaction (see ``services/numbering.py``).
"""

from __future__ import annotations

from alembic import op

revision = "tk0007"
down_revision = "tk0001"
branch_labels = None
depends_on = None

SIGNATURE = "ccokit_next_ticket_number(uuid, text)"

NUMBER_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_next_ticket_number(tenant uuid, sequence_name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
    scoped text := coalesce(current_setting('ccokit.tenant_id', true), '');
    taken integer;
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'ccokit_next_ticket_number: a tenant is required';
    END IF;
    IF scoped <> '' AND scoped <> tenant::text THEN
        RAISE EXCEPTION 'ccokit_next_ticket_number: the transaction is scoped to another tenant';
    END IF;
    PERFORM set_config('ccokit.tenant_id', tenant::text, true);
    INSERT INTO ticket_counters AS c (tenant_id, name, last_number)
    VALUES (tenant, sequence_name, 1)
    ON CONFLICT (tenant_id, name) DO UPDATE SET last_number = c.last_number + 1
    RETURNING c.last_number INTO taken;
    PERFORM set_config('ccokit.tenant_id', scoped, true);
    RETURN taken;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NUMBER_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
