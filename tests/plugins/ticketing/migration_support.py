"""Shared by the ticketing migration tests: the migrated database and its drift from
ticketing's models (see :mod:`tests.migration_drift`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ccokit.plugins.ticketing.models.base import Base
from tests.migration_drift import drift, migrated, names_in

__all__ = ["migrated", "model_drift", "names_in"]


def model_drift(conn: Connection, tables: set[str] | None = None) -> list[Any]:
    """Autogenerate's differences between the database and ticketing's models."""
    return drift(conn, Base.metadata, tables)
