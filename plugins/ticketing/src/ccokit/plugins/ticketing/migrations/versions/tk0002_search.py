"""Ticket search: the ``ticket_search`` index, and what each database needs to query it fast.

Revision ID: tk0002
Revises: tk0001
Create Date: 2026-12-02

PostgreSQL
    A GIN index on ``head_terms || comment_terms || 'status:<status>'``, and the function
    ``ccokit_search_tickets(terms, statuses, before, max_rows, recent)``. Row-level security lets
    the planner use an index only for leakproof operators, and ``@@`` is not one (marking it so
    needs a superuser): under the tenant policy every search would read the workspace's rows one
    by one. The function is ``SECURITY DEFINER``, owned by the table owner, with a policy that
    lets only the owner (hence only this function, for the application role) read the index
    without the tenant policy; it takes the workspace from the transaction's
    ``ccokit.tenant_id``, the setting the tenant policy reads, never from an argument, so it
    answers for that workspace only. It returns ticket ids, newest first:

    1. the workspace's ``recent`` newest tickets are read in key order and the first matches
       returned (a common word fills the page after a few dozen rows);
    2. if that did not fill the page, the older matches come from the GIN index (the words are
       then rare among recent tickets, so they match few rows), newest first.

    The application role reads the tickets themselves (under the tenant policy) by those ids.

SQLite
    The FTS5 table ``ticket_search_fts`` (a column ``document`` with the terms, ``tenant_id``
    unindexed), kept by triggers on ``ticket_search``: an insert adds its FTS row and records
    its rowid in ``doc_id``, an update of the terms or a delete follows. SQLite has no row-level
    security; every search joins ``ticket_search`` with its tenant condition.

Tickets that exist before this revision have no index row until the workspace's index is
rebuilt (the ``ticketing.search_reindex`` job, ``POST /api/v1/ticketing/search/reindex``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "tk0002"
down_revision = "tk0001"
branch_labels = None
depends_on = None

#: The document the GIN index covers; the search function repeats it word for word.
DOCUMENT = "(head_terms || comment_terms || array_to_tsvector(ARRAY['status:' || status]))"

SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_search_tickets(
    terms text[], statuses text[], before uuid, max_rows integer, recent integer DEFAULT 3000)
RETURNS TABLE (ticket_id uuid) ROWS 25
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public SET plan_cache_mode = force_custom_plan SET jit = off AS $$
#variable_conflict use_column
DECLARE
    tenant uuid := NULLIF(current_setting('ccokit.tenant_id', true), '')::uuid;
    query tsquery;
    found integer;
    boundary uuid;
BEGIN
    IF tenant IS NULL OR coalesce(cardinality(terms), 0) = 0 OR max_rows < 1 THEN
        RETURN;
    END IF;
    query := array_to_string(ARRAY(SELECT quote_literal(t) FROM unnest(terms) AS t), ' & ')::tsquery;
    IF statuses IS NOT NULL THEN
        query := query && ('(' || array_to_string(
            ARRAY(SELECT quote_literal('status:' || s) FROM unnest(statuses) AS s), ' | ') || ')')::tsquery;
    END IF;

    RETURN QUERY
        SELECT w.ticket_id FROM (
            SELECT s.ticket_id,
                   s.head_terms || s.comment_terms || array_to_tsvector(ARRAY['status:' || s.status]) AS document
              FROM ticket_search AS s
             WHERE s.tenant_id = tenant AND (before IS NULL OR s.ticket_id < before)
             ORDER BY s.ticket_id DESC
             LIMIT greatest(recent, 1)) AS w
         WHERE w.document @@ query
         ORDER BY w.ticket_id DESC
         LIMIT max_rows;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found >= max_rows THEN
        RETURN;
    END IF;

    SELECT s.ticket_id INTO boundary FROM ticket_search AS s
     WHERE s.tenant_id = tenant AND (before IS NULL OR s.ticket_id < before)
     ORDER BY s.ticket_id DESC
    OFFSET greatest(recent, 1) - 1 LIMIT 1;
    IF boundary IS NULL THEN
        RETURN;
    END IF;

    RETURN QUERY
        WITH hits AS MATERIALIZED (
            SELECT s.ticket_id FROM ticket_search AS s
             WHERE s.tenant_id = tenant AND s.ticket_id < boundary
               AND s.head_terms || s.comment_terms || array_to_tsvector(ARRAY['status:' || s.status]) @@ query)
        SELECT hits.ticket_id FROM hits ORDER BY hits.ticket_id DESC LIMIT max_rows - found;
END
$$
"""
FUNCTION_SIGNATURE = "ccokit_search_tickets(text[], text[], uuid, integer, integer)"

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE ticket_search_fts USING fts5("
    "document, tenant_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER ticket_search_fts_insert AFTER INSERT ON ticket_search BEGIN
        INSERT INTO ticket_search_fts (document, tenant_id)
        VALUES (new.head_terms || ' ' || new.comment_terms, new.tenant_id);
        UPDATE ticket_search SET doc_id = last_insert_rowid()
         WHERE tenant_id = new.tenant_id AND ticket_id = new.ticket_id;
    END""",
    """CREATE TRIGGER ticket_search_fts_update AFTER UPDATE OF head_terms, comment_terms ON ticket_search
    BEGIN
        UPDATE ticket_search_fts SET document = new.head_terms || ' ' || new.comment_terms
         WHERE rowid = new.doc_id;
    END""",
    """CREATE TRIGGER ticket_search_fts_delete AFTER DELETE ON ticket_search BEGIN
        DELETE FROM ticket_search_fts WHERE rowid = old.doc_id;
    END""",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    terms = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
    op.create_table(
        "ticket_search",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("head_terms", terms, nullable=False),
        sa.Column("comment_terms", terms, nullable=False),
        sa.Column("doc_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "ticket_id", name="pk_ticket_search"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"],
            name="fk_ticket_search_tenant_id_ticket_id_tickets", ondelete="CASCADE",
        ),
    )
    if postgres:
        op.execute(f"CREATE INDEX ix_ticket_search_document ON ticket_search USING gin ({DOCUMENT})")
        op.execute(SEARCH_FUNCTION)
        op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION_SIGNATURE} FROM PUBLIC")
        op.execute(
            "CREATE POLICY ticket_search_owner ON ticket_search TO CURRENT_USER USING (true) WITH CHECK (true)"
        )
    else:
        op.create_index("ix_ticket_search_doc_id", "ticket_search", ["tenant_id", "doc_id"])
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION_SIGNATURE}")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ticket_search_fts_{name}")
        op.execute("DROP TABLE IF EXISTS ticket_search_fts")
        op.drop_index("ix_ticket_search_doc_id", table_name="ticket_search")
    op.drop_table("ticket_search")
