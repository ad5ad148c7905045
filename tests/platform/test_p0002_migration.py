"""The ``p0002`` migration creates exactly the tables the idempotency and audit models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ccokit.platform.audit.models import Base as AuditBase
from ccokit.platform.config import Settings
from ccokit.platform.idempotency.models import Base as IdempotencyBase
from ccokit.tenants.database import make_engine


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_tables_match_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, [IdempotencyBase.metadata, AuditBase.metadata])
    finally:
        engine.dispose()
    ours = [d for d in diffs if "idempotency_keys" in repr(d) or "audit_events" in repr(d)]
    assert ours == []
