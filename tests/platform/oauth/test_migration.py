"""The ``p0001`` migration creates exactly the schema the OAuth models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ccokit.platform.config import Settings
from ccokit.platform.oauth.models import Base
from ccokit.tenants.database import make_engine
from ccokit.tenants.models import Base as TenantBase


def test_the_migrated_oauth_tables_match_the_models(pg_settings: Settings) -> None:
    engine = make_engine(pg_settings.owner_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, [TenantBase.metadata, Base.metadata])
    finally:
        engine.dispose()
    ours = [d for d in diffs if "oauth_" in repr(d)]
    assert ours == []
