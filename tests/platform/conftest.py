"""Fixtures of the platform's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel


@pytest.fixture
def build(pg_settings: Settings) -> Iterator[Callable[..., Flask]]:
    """Apps on the run's PostgreSQL and Redis with settings overridden (``build(name=value)``),
    disposed of at the end of the test."""
    apps: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = create_app(pg_settings.with_overrides(**overrides))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        current_kernel(app).db.dispose()
