"""Alembic environment: runs on the connection that :mod:`ccokit.platform.migrate` opened.

Every distribution keeps its own branch of versions (``tenants``, ``platform``, one per plugin);
``ccokit migrate`` upgrades all heads at once as the owner role.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ccokit migrate`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=config.attributes.get("metadata"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
