"""Shared by the migration tests of every plugin: a connection to the database that the
migrations built (PostgreSQL or SQLite, as the table owner) and the differences alembic's
autogenerate still finds between it and a plugin's models, narrowed to the tables a test is
about."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData

from ccokit.platform.config import Settings
from ccokit.tenants.database import make_engine


@contextmanager
def migrated(backend: str, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """The owner's connection to the migrated ``postgres`` or ``sqlite`` database of this run."""
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def drift(conn: Connection, metadata: MetaData, tables: set[str] | None = None) -> list[Any]:
    """Autogenerate's differences between the database and ``metadata`` (those that touch
    ``tables``, when given)."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    diffs = compare_metadata(context, metadata)
    return diffs if tables is None else [d for d in diffs if names_in(d) & tables]


def names_in(diff: object) -> set[str]:
    """Every table, column, index or constraint name a diff entry mentions; ``modify_*`` entries
    name their table as a plain string."""
    names: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, str):
            names.add(item)
        for candidate in (getattr(item, "table", None), item):
            name = getattr(candidate, "name", None)
            if isinstance(name, str):
                names.add(name)
    return names
