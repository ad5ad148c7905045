"""The ``cu0001`` migration creates exactly the tables the customers models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from ccokit.platform.config import Settings
from ccokit.plugins.customers.models import Base
from ccokit.tenants.database import make_engine

TABLES = set(Base.metadata.tables)


def _ours(diff: object) -> bool:
    """Whether a diff entry concerns one of the customers tables."""
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            table = getattr(part, "table", None)
            if getattr(table, "name", None) in TABLES or getattr(part, "name", None) in TABLES:
                return True
            if isinstance(part, str) and part in TABLES:
                return True
    return False


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, Base.metadata) if _ours(d)]
            indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("customers")}
    finally:
        engine.dispose()
    assert diffs == []
    assert indexes["ix_customers_tenant_id_name_key"]["column_names"] == ["tenant_id", "name_key"]


def test_name_prefix_search_can_use_its_index_on_postgresql(pg_settings: Settings) -> None:
    """LIKE 'prefix%' uses a b-tree only with text_pattern_ops under a non-C collation."""
    engine = make_engine(pg_settings.owner_database_url)
    try:
        with engine.connect() as conn:
            definition = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_customers_tenant_id_name_key'"
            )).scalar_one()
    finally:
        engine.dispose()
    assert "text_pattern_ops" in definition
