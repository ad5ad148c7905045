"""The ``tk0004`` migration creates exactly the SLA tables the models describe, on both databases,
with the breach sweep's partial index."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from ccokit.plugins.ticketing.models import sla
from tests.plugins.ticketing.migration_support import migrated, model_drift

SLA_TABLES = {sla.Calendar.__tablename__, sla.SlaPolicy.__tablename__, sla.SlaClock.__tablename__}


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_sla_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        assert set(inspect(conn).get_table_names()) >= SLA_TABLES
        assert model_drift(conn, SLA_TABLES) == []
        indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("ticket_sla_clocks")}
    due = indexes["ix_ticket_sla_clocks_due"]
    assert due["column_names"] == ["tenant_id", "due_at"]
    if backend == "postgres":
        where = due["dialect_options"]["postgresql_where"]
        assert "fulfilled_at IS NULL" in where
        assert "breached_at IS NULL" in where
