"""The ``rt0001`` migration creates exactly the tables the routing models describe."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from ccokit.plugins.routing.models import Base
from tests.migration_drift import drift, migrated

TABLES = set(Base.metadata.tables)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        diffs = drift(conn, Base.metadata, TABLES)
        indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("routing_conversations")}
    assert diffs == []
    # The rebuild after a restart reads live conversations through a partial index.
    live = indexes["ix_routing_conversations_live"]
    assert live["column_names"] == ["tenant_id", "arrived_at"]
    where = live.get("dialect_options", {}).get(f"{'postgresql' if backend == 'postgres' else 'sqlite'}_where")
    assert "queued" in str(where)
