"""The ``tk0005`` migration creates exactly the rule tables the models describe, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from ccokit.plugins.ticketing.models import rules
from tests.plugins.ticketing.migration_support import migrated, model_drift

RULE_TABLES = {
    rules.Macro.__tablename__, rules.Trigger.__tablename__, rules.Automation.__tablename__,
    rules.AutomationFiring.__tablename__,
}


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_rule_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        assert set(inspect(conn).get_table_names()) >= RULE_TABLES
        assert model_drift(conn, RULE_TABLES) == []
