"""Pooled PostgreSQL connections are pinged before use only after sitting idle, and one that the
server closed meanwhile is replaced without the caller noticing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, make_url, text

from ccokit.platform.app import create_app
from ccokit.platform.config import ConfigError, Settings, load_settings
from ccokit.platform.kernel import current_kernel
from ccokit.tenants.database import make_engine
from ccokit.tenants.idle_ping import LAST_USED
from tests.conftest import PG_HOST, PG_PORT, bearer, issue_token, signup


@pytest.fixture
def pinged(pg_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, list[Any]]]:
    """An engine pinging after 60 s idle, and the list of connections it pinged."""
    engine = make_engine(pg_settings.database_url, ping_idle_after=60, pool_size=1, max_overflow=0)
    pings: list[Any] = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    yield engine, pings
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _age_pooled_connection(engine: Engine) -> None:
    """Make the pool's one idle connection look unused since long ago."""
    with engine.connect() as conn:
        record = conn.connection._connection_record
    assert record is not None
    record.info[LAST_USED] = 0.0


def test_a_connection_in_steady_use_is_not_pinged(pinged: tuple[Engine, list[Any]]) -> None:
    engine, pings = pinged
    first = _backend(engine)
    assert [_backend(engine) for _ in range(3)] == [first] * 3
    assert pings == []


def test_an_idle_connection_is_pinged_and_kept_when_it_answers(pinged: tuple[Engine, list[Any]]) -> None:
    engine, pings = pinged
    first = _backend(engine)
    _age_pooled_connection(engine)
    assert _backend(engine) == first
    assert len(pings) == 1
    assert _backend(engine) == first
    assert len(pings) == 1


def test_an_idle_connection_the_server_closed_is_replaced(pinged: tuple[Engine, list[Any]], pg_settings: Settings) -> None:
    engine, pings = pinged
    first = _backend(engine)
    database = make_url(pg_settings.database_url).database
    with psycopg.connect(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    _age_pooled_connection(engine)
    second = _backend(engine)  # no error: the dead connection failed its ping and was swapped
    assert second != first
    assert len(pings) == 1


def test_zero_pings_on_every_checkout(pg_settings: Settings) -> None:
    engine = make_engine(pg_settings.database_url, ping_idle_after=0)
    try:
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_the_idle_time_comes_from_the_environment_and_is_checked() -> None:
    env = {"CCOKIT_DATABASE_URL": "postgresql://app@127.0.0.1/db"}
    assert load_settings(env).database_ping_after == 1.0
    assert load_settings({**env, "CCOKIT_DATABASE_PING_AFTER_SECONDS": "0"}).database_ping_after == 0.0
    with pytest.raises(ConfigError, match="CCOKIT_DATABASE_PING_AFTER_SECONDS"):
        load_settings({**env, "CCOKIT_DATABASE_PING_AFTER_SECONDS": "-1"})


def test_a_connection_dropped_in_steady_use_fails_one_request_with_503_and_the_next_succeeds(
    pg_settings: Settings,
) -> None:
    app = create_app(pg_settings.with_overrides(database_ping_after=3600.0))  # never pings
    app.config["TESTING"] = True
    try:
        client = app.test_client()
        tenant = signup(client)
        auth = bearer(issue_token(client, tenant))
        assert client.get("/api/v1/tenant", headers=auth).status_code == 200
        url = make_url(pg_settings.database_url)
        with psycopg.connect(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{url.database}", autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = %s",
                (url.username,),
            ).fetchone()
        assert killed is not None
        assert killed[0] >= 1
        lost = client.get("/api/v1/tenant", headers=auth)
        assert lost.status_code == 503
        assert lost.mimetype == "application/problem+json"
        assert lost.headers["Retry-After"] == "1"
        assert client.get("/api/v1/tenant", headers=auth).status_code == 200
    finally:
        current_kernel(app).db.dispose()
