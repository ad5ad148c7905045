"""The ``cu0001`` migration creates exactly the tables the customers models describe."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from ccokit.platform.config import Settings
from ccokit.plugins.customers.models import Base
from ccokit.tenants.database import make_engine
from tests.migration_drift import drift, migrated

TABLES = set(Base.metadata.tables)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        diffs = drift(conn, Base.metadata, TABLES)
        indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("customers")}
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
