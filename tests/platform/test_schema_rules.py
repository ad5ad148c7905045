"""Data rules that let the schema be distributed by tenant (Citus) without a rewrite.

Read from the migrated database on each backend, so the plugins' tables are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Inspector, inspect

from ccokit.platform.config import Settings
from ccokit.tenants.database import make_engine

SHARED_TABLES = {"tenants", "oauth_client_directory", "oauth_signing_keys", "job_schedules", "alembic_version"}


@pytest.fixture(params=["postgres", "sqlite"])
def inspector(request: pytest.FixtureRequest) -> Iterator[Inspector]:
    settings: Settings = request.getfixturevalue(
        "pg_settings" if request.param == "postgres" else "sqlite_settings"
    )
    engine = make_engine(settings.owner_database_url)
    with engine.connect() as conn:
        yield inspect(conn)
    engine.dispose()


def _sqlite_machinery(inspector: Inspector) -> set[str]:
    """SQLite's virtual tables (an FTS5 search index) and their shadow tables: the engine's own
    storage, not tables of the schema; the ordinary tables they index are checked like any other."""
    if inspector.dialect.name != "sqlite":
        return set()
    rows = inspector.bind.exec_driver_sql("PRAGMA table_list").all()
    return {row[1] for row in rows if row[2] in ("virtual", "shadow")}


def _tenant_tables(inspector: Inspector) -> list[str]:
    machinery = _sqlite_machinery(inspector)
    return [t for t in inspector.get_table_names() if t not in SHARED_TABLES | machinery]


def test_only_named_shared_tables_are_shared(inspector: Inspector) -> None:
    tables = set(inspector.get_table_names())
    assert SHARED_TABLES - {"alembic_version"} <= tables
    tenant = set(_tenant_tables(inspector))
    assert {"members", "tenant_plugins", "oauth_clients", "quick_replies"} <= tenant
    for table in SHARED_TABLES & tables:
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        assert pk[:1] != ["tenant_id"], f"shared table {table} is keyed like a tenant table"


def test_primary_keys_start_with_tenant_id(inspector: Inspector) -> None:
    """Every table not named shared is a tenant table: tenant_id first in its primary key."""
    for table in _tenant_tables(inspector):
        columns = inspector.get_pk_constraint(table)["constrained_columns"]
        assert columns[:1] == ["tenant_id"], f"{table}: primary key {columns} (or name it shared)"
        assert len(columns) >= 2, f"{table}: tenant_id alone cannot be the key of a tenant table"


def test_foreign_keys_between_tenant_tables_include_tenant_id(inspector: Inspector) -> None:
    tenant = set(_tenant_tables(inspector))
    for table in tenant:
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] in tenant:
                pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
                assert pairs.get("tenant_id") == "tenant_id", f"{table}: {fk}"


def test_unique_constraints_include_tenant_id(inspector: Inspector) -> None:
    for table in _tenant_tables(inspector):
        for uq in inspector.get_unique_constraints(table):
            assert uq["column_names"][:1] == ["tenant_id"], f"{table}: {uq}"
        for ix in inspector.get_indexes(table):
            if ix.get("unique"):
                assert ix["column_names"][:1] == ["tenant_id"], f"{table}: {ix}"
