"""Alembic versions of the tenancy layer (branch ``tenants``)."""

from __future__ import annotations

from pathlib import Path

VERSIONS = str(Path(__file__).parent / "versions")
