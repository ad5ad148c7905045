"""Ticket search on PostgreSQL reads on in key order when the newest tickets show a word is common.

``tk0002``'s search read the newest ``recent`` tickets in key order and, if that did not fill
the page, took every older match from the GIN index and sorted them. That is right for rare
words (few matches) but slow for words that are merely thin among the newest tickets and common
further back ("top up failed" when the newest tickets are fresh and have no replies yet): the
index hands back tens of thousands of rows to sort for a page of 25 (100-270 ms at a million
tickets, against 1 ms for reading on in key order).

The function now has three steps:

1. the newest ``recent`` tickets, read in key order (as before);
2. only if step 1 found at least one match (the words are not rare among recent tickets), up
   to ``extended`` more tickets in key order, stopping as soon as the page is full;
3. if the page is still not full, the older matches from the GIN index, newest first.

Step 2's cost is bounded by ``extended`` rows, and it runs only when matches are dense enough
to make step 3 the expensive choice. SQLite (FTS5) is unchanged. The function takes the new
``extended`` argument, so the old signature is dropped; the grants to the application role are
given again after every migration, as for every ``ccokit_`` SECURITY DEFINER function.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from alembic import op

revision = "tk0006"
down_revision = "tk0002"
branch_labels = None
depends_on = None

OLD_SIGNATURE = "ccokit_search_tickets(text[], text[], uuid, integer, integer)"
NEW_SIGNATURE = "ccokit_search_tickets(text[], text[], uuid, integer, integer, integer)"

SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION ccokit_search_tickets(
    terms text[], statuses text[], before uuid, max_rows integer,
    recent integer DEFAULT 3000, extended integer DEFAULT 27000)
RETURNS TABLE (ticket_id uuid) ROWS 25
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public SET plan_cache_mode = force_custom_plan SET jit = off AS $$
#variable_conflict use_column
DECLARE
    tenant uuid := NULLIF(current_setting('ccokit.tenant_id', true), '')::uuid;
    query tsquery;
    found integer;
    more integer;
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

    -- 1. The newest tickets, in key order.
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

    -- 2. Words found among the newest tickets are not rare: read on in key order, a bounded stretch.
    IF found > 0 AND extended > 0 THEN
        RETURN QUERY
            SELECT w.ticket_id FROM (
                SELECT s.ticket_id,
                       s.head_terms || s.comment_terms || array_to_tsvector(ARRAY['status:' || s.status]) AS document
                  FROM ticket_search AS s
                 WHERE s.tenant_id = tenant AND s.ticket_id < boundary
                 ORDER BY s.ticket_id DESC
                 LIMIT extended) AS w
             WHERE w.document @@ query
             ORDER BY w.ticket_id DESC
             LIMIT max_rows - found;
        GET DIAGNOSTICS more = ROW_COUNT;
        found := found + more;
        IF found >= max_rows THEN
            RETURN;
        END IF;
        SELECT s.ticket_id INTO boundary FROM ticket_search AS s
         WHERE s.tenant_id = tenant AND s.ticket_id < boundary
         ORDER BY s.ticket_id DESC
        OFFSET extended - 1 LIMIT 1;
        IF boundary IS NULL THEN
            RETURN;
        END IF;
    END IF;

    -- 3. The older matches from the GIN index (the words are rare there), newest first.
    RETURN QUERY
        WITH hits AS MATERIALIZED (
            SELECT s.ticket_id FROM ticket_search AS s
             WHERE s.tenant_id = tenant AND s.ticket_id < boundary
               AND s.head_terms || s.comment_terms || array_to_tsvector(ARRAY['status:' || s.status]) @@ query)
        SELECT hits.ticket_id FROM hits ORDER BY hits.ticket_id DESC LIMIT max_rows - found;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}")
    op.execute(SEARCH_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {NEW_SIGNATURE} FROM PUBLIC")


def _tk0002() -> Any:
    """``tk0002``'s module (its search function is what a downgrade puts back); Alembic loads
    revision files by path, so this does too."""
    spec = importlib.util.spec_from_file_location("tk0002_search", Path(__file__).with_name("tk0002_search.py"))
    if spec is None or spec.loader is None:
        raise RuntimeError("tk0002_search.py is missing next to tk0006")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {NEW_SIGNATURE}")
    op.execute(_tk0002().SEARCH_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {OLD_SIGNATURE} FROM PUBLIC")
