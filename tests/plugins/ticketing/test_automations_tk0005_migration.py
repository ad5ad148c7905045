"""The ``tk0005`` migration creates exactly the rule tables the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ccokit.platform.config import Settings
from ccokit.plugins.ticketing.models import rules
from ccokit.plugins.ticketing.models.base import Base
from ccokit.tenants.database import make_engine

RULE_TABLES = {
    rules.Macro.__tablename__, rules.Trigger.__tablename__, rules.Automation.__tablename__,
    rules.AutomationFiring.__tablename__,
}


def _tables(diff: object) -> set[str]:
    """Every table name a diff entry mentions (tables, columns, indexes, constraints)."""
    names: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, str):
            names.add(item)
        table = getattr(item, "table", None)
        for candidate in (table, item):
            name = getattr(candidate, "name", None)
            if isinstance(name, str):
                names.add(name)
    return names


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_rule_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            assert set(conn.dialect.get_table_names(conn)) >= RULE_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if _tables(d) & RULE_TABLES] == []
