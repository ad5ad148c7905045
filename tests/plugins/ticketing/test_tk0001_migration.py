"""The ``tk0001`` migration creates exactly the tables the core ticketing models describe."""

from __future__ import annotations

import pytest

from ccokit.plugins.ticketing.models import custom_fields, tickets, views
from tests.plugins.ticketing.migration_support import migrated, model_drift

CORE_TABLES = {
    tickets.Ticket.__tablename__, tickets.Comment.__tablename__, tickets.TicketGroup.__tablename__,
    tickets.TicketChange.__tablename__, tickets.TicketCounter.__tablename__,
    custom_fields.CustomField.__tablename__, views.SavedView.__tablename__,
}


def _gin(diff: object) -> bool:
    """GIN indexes exist on PostgreSQL only (``ddl_if``), which autogenerate does not know."""
    return isinstance(diff, tuple) and diff[0] == "add_index" and (
        diff[1].dialect_options["postgresql"].get("using") == "gin"
    )


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        diffs = model_drift(conn, CORE_TABLES)
    assert [d for d in diffs if not (backend == "sqlite" and _gin(d))] == []
