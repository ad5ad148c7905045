"""The ``tk0004`` migration creates exactly the SLA tables the models describe, on both databases,
with the breach sweep's partial index."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ccokit.platform.config import Settings
from ccokit.plugins.ticketing.models import sla
from ccokit.plugins.ticketing.models.base import Base
from ccokit.tenants.database import make_engine

SLA_TABLES = {sla.Calendar.__tablename__, sla.SlaPolicy.__tablename__, sla.SlaClock.__tablename__}


def _names(diff: object) -> set[str]:
    """Every table or index name a diff entry mentions."""
    names: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        for candidate in (getattr(item, "table", None), item):
            name = getattr(candidate, "name", None)
            if isinstance(name, str):
                names.add(name)
    return names


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_sla_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= SLA_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
            indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("ticket_sla_clocks")}
    finally:
        engine.dispose()
    assert [d for d in diffs if _names(d) & SLA_TABLES] == []
    due = indexes["ix_ticket_sla_clocks_due"]
    assert due["column_names"] == ["tenant_id", "due_at"]
    if backend == "postgres":
        where = due["dialect_options"]["postgresql_where"]
        assert "fulfilled_at IS NULL" in where
        assert "breached_at IS NULL" in where
