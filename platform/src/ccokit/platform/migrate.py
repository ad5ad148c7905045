"""``ccokit migrate``: apply every branch's migrations, then row-level security and grants.

Runs as the owner role (``CCOKIT_MIGRATION_DATABASE_URL``, default ``CCOKIT_DATABASE_URL``).
On PostgreSQL it takes an advisory lock so that two releases starting at once migrate one after
the other, enables and forces RLS with the tenant policy on every table with a ``tenant_id``
(plugins' included), and grants the application role row access and nothing more.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, make_url, text

from ccokit.platform.config import Settings
from ccokit.platform.plugin_host import PluginHost, discover_plugins
from ccokit.tenants.database import make_engine
from ccokit.tenants.migrations import VERSIONS as TENANT_VERSIONS
from ccokit.tenants.row_security import apply_row_level_security, grant_application_role

__all__ = ["MigrationError", "alembic_config", "migrate"]

log = logging.getLogger(__name__)
_HERE = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x63636F6B6974  # "ccokit"


class MigrationError(RuntimeError):
    """The database cannot be brought to the code's schema safely."""


def alembic_config(host: PluginHost) -> Config:
    """An Alembic config whose version locations are every installed distribution's branch."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("path_separator", "os")
    locations = [TENANT_VERSIONS, str(_HERE / "versions"), *host.migration_locations()]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    from ccokit.platform.audit.models import Base as AuditBase
    from ccokit.platform.events.models import Base as EventsBase
    from ccokit.platform.idempotency.models import Base as IdempotencyBase
    from ccokit.platform.oauth.models import Base as OAuthBase
    from ccokit.platform.webhooks.models import Base as WebhooksBase
    from ccokit.tenants.models import Base as TenantBase

    # The metadata lets `alembic revision --autogenerate` compare every branch's models.
    metadata = [TenantBase.metadata, OAuthBase.metadata, EventsBase.metadata]
    metadata += [IdempotencyBase.metadata, AuditBase.metadata, WebhooksBase.metadata]
    metadata += [p.metadata for p in host.plugins.values() if p.metadata is not None]
    cfg.attributes["metadata"] = metadata
    return cfg


def _check_application_role(conn: Connection, role: str) -> None:
    row = conn.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if row is None:
        raise MigrationError(f"the application role {role!r} does not exist")
    if row[0] or row[1]:
        log.warning(
            "the application role %s is a superuser or has BYPASSRLS: row-level security "
            "cannot protect tenants; use a plain role for CCOKIT_DATABASE_URL",
            role,
        )


def migrate(settings: Settings, host: PluginHost | None = None) -> None:
    """Bring the database to the schema of the installed code. Safe to run again."""
    host = host or PluginHost(discover_plugins())
    if settings.owner_database_url.startswith("sqlite:///"):
        path = Path(settings.owner_database_url[len("sqlite:///"):])
        if str(path) and str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.owner_database_url)
    cfg = alembic_config(host)
    try:
        with engine.begin() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            if postgres:
                tables = apply_row_level_security(conn)
                app_role = make_url(settings.database_url).username
                owner_role = make_url(settings.owner_database_url).username
                if app_role and app_role != owner_role:
                    _check_application_role(conn, app_role)
                    grant_application_role(conn, app_role)
                log.info("row-level security applied to %d tenant tables", len(tables))
    finally:
        engine.dispose()
