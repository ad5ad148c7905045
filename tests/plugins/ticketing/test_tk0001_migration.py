"""The ``tk0001`` migration creates exactly the tables the core ticketing models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ccokit.platform.config import Settings
from ccokit.plugins.ticketing.models import custom_fields, tickets, views
from ccokit.plugins.ticketing.models.base import Base
from ccokit.tenants.database import make_engine

CORE_TABLES = {
    tickets.Ticket.__tablename__, tickets.Comment.__tablename__, tickets.TicketGroup.__tablename__,
    tickets.TicketChange.__tablename__, tickets.TicketCounter.__tablename__,
    custom_fields.CustomField.__tablename__, views.SavedView.__tablename__,
}


def _table_of(diff: object) -> str | None:
    """The table a diff entry is about (an add/remove of a table, column, index or constraint)."""
    for part in diff if isinstance(diff, list) else [diff]:
        for item in part if isinstance(part, tuple) else (part,):
            table = getattr(item, "table", None)
            if table is not None and hasattr(table, "name"):
                return str(table.name)
            if hasattr(item, "name") and hasattr(item, "columns") and not hasattr(item, "table"):
                return str(item.name)
            if isinstance(item, str) and item in CORE_TABLES:
                return item
    return None


def _gin(diff: object) -> bool:
    """GIN indexes exist on PostgreSQL only (``ddl_if``), which autogenerate does not know."""
    return isinstance(diff, tuple) and diff[0] == "add_index" and (
        diff[1].dialect_options["postgresql"].get("using") == "gin"
    )


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    ours = [d for d in diffs if _table_of(d) in CORE_TABLES and not (backend == "sqlite" and _gin(d))]
    assert ours == []
