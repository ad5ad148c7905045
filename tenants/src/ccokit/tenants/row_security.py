"""PostgreSQL row-level security for every tenant table, applied by ``ccokit migrate``.

The policy is derived from the catalogue, not declared by hand: after the migrations ran, every
tenant table (primary key starting with ``tenant_id``: the platform's, the tenancy layer's and
every plugin's) gets RLS enabled and forced and the ``tenant_isolation`` policy. A plugin cannot
forget it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

__all__ = ["POLICY_NAME", "apply_row_level_security", "grant_application_role", "tenant_tables"]

POLICY_NAME = "tenant_isolation"
_POLICY_EXPR = "tenant_id = NULLIF(current_setting('ccokit.tenant_id', true), '')::uuid"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def tenant_tables(conn: Connection, schema: str = "public") -> list[str]:
    """Names of the tenant tables in ``schema``: those whose primary key starts with ``tenant_id``.

    That is the data rule every tenant table follows; a shared table may carry a tenant id for
    look-ups (the OAuth client directory) without being tenant-owned.
    """
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
            "WHERE i.indisprimary AND n.nspname = :schema AND a.attname = 'tenant_id' "
            "ORDER BY c.relname"
        ),
        {"schema": schema},
    )
    return [r[0] for r in rows]


def apply_row_level_security(conn: Connection, schema: str = "public") -> list[str]:
    """Enable and force RLS with the tenant policy on every tenant table; idempotent."""
    done = []
    for table in tenant_tables(conn, schema):
        q = f"{_quote(conn, schema)}.{_quote(conn, table)}"
        conn.execute(text(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY"))
        conn.execute(text(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {q}"))
        conn.execute(
            text(
                f"CREATE POLICY {POLICY_NAME} ON {q} "
                f"USING ({_POLICY_EXPR}) WITH CHECK ({_POLICY_EXPR})"
            )
        )
        done.append(table)
    return done


def grant_application_role(conn: Connection, role: str, schema: str = "public") -> None:
    """Let the application role read and write rows, and nothing else (no DDL, no ownership)."""
    r = _quote(conn, role)
    s = _quote(conn, schema)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {r}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"))
    # SECURITY DEFINER functions the platform ships (the outbox relay's claim), nothing else.
    for (name,) in conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :schema AND p.proname LIKE 'ccokit\\_%' AND p.prosecdef"
        ),
        {"schema": schema},
    ):
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {name} TO {r}"))
    conn.execute(text(f"REVOKE ALL ON TABLE {s}.alembic_version FROM {r}"))
