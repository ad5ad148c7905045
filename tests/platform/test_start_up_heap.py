"""A web process freezes what it loaded at start before it serves (``start_up_heap``), so the
garbage collector's full collections, which hold every request of the process, skip it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from ccokit.platform import cli
from ccokit.platform.config import Settings, load_settings


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process goes on collecting everything as before


def _settings(redis_url: str) -> Settings:
    return load_settings({"CCOKIT_ENV": "test", "CCOKIT_SECRET_KEY": "k" * 40, "CCOKIT_REDIS_URL": redis_url})


@pytest.mark.usefixtures("thawed")
def test_a_web_worker_freezes_its_start_up_heap_before_serving() -> None:
    options = cli.gunicorn_options(_settings("redis://127.0.0.1:6379/1"))
    loaded_at_start = [[]]  # a container the collector tracks, made before the worker is ready
    assert gc.get_freeze_count() == 0
    assert any(o is loaded_at_start for o in gc.get_objects())

    options["post_worker_init"](SimpleNamespace(wsgi=None))

    assert gc.get_freeze_count() > 0
    # Frozen objects are in the permanent generation, which collections (and get_objects) skip.
    assert not any(o is loaded_at_start for o in gc.get_objects())
    made_later = [[]]
    assert any(o is made_later for o in gc.get_objects())
