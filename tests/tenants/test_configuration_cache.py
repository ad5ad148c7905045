"""The configuration cache, on PostgreSQL and SQLite: values are reused until the tenant's
configuration changes anywhere, and never across tenants.

Two :class:`Database` objects on one database stand for two processes (each has its own cache).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import delete, insert, select, update

from ccokit.platform.config import Settings
from ccokit.tenants.configuration_cache import ConfigurationCache
from ccokit.tenants.database import Database, TenantSession
from ccokit.tenants.models import Member, Tenant, TenantPlugin
from ccokit.tenants.registry import add_member, create_tenant
from ccokit_sdk.models import cached_configuration


@pytest.fixture(params=["postgres", "sqlite"])
def settings(request: pytest.FixtureRequest) -> Settings:
    return request.getfixturevalue("pg_settings" if request.param == "postgres" else "sqlite_settings")


@pytest.fixture
def two(settings: Settings) -> Iterator[tuple[Database, Database]]:
    first, second = Database(settings.database_url), Database(settings.database_url)
    yield first, second
    first.dispose()
    second.dispose()


def _tenant(db: Database) -> uuid.UUID:
    with db.transaction() as session:
        tenant = create_tenant(session, slug=f"cc-{uuid.uuid4().hex[:10]}", name="T", plan="free")
        session.add(TenantPlugin(plugin="gifts", enabled=True, settings={"limit": 1}))
    return tenant.id


class Loader:
    """Counts how often the cache had to read the database."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, session: TenantSession) -> tuple[tuple[str, int], ...]:
        self.calls += 1
        rows = session.execute(select(TenantPlugin.plugin, TenantPlugin.settings).order_by(TenantPlugin.plugin))
        return tuple((name, int(settings.get("limit", 0))) for name, settings in rows)


def _read(db: Database, tenant_id: uuid.UUID, load: Loader) -> tuple[tuple[str, int], ...]:
    with db.transaction(tenant_id) as session:
        return cached_configuration(session, "test.plugins", load)


def test_a_value_is_loaded_once_per_process_until_the_configuration_changes(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    tenant_id = _tenant(one)
    load = Loader()
    assert _read(one, tenant_id, load) == (("gifts", 1),)
    assert _read(one, tenant_id, load) == (("gifts", 1),)
    assert load.calls == 1
    # Another process changes a configuration row through the ORM: both processes reload.
    with other.transaction(tenant_id) as session:
        session.scalars(select(TenantPlugin)).one().settings = {"limit": 2}
    assert _read(one, tenant_id, load) == (("gifts", 2),)
    assert _read(one, tenant_id, load) == (("gifts", 2),)
    assert load.calls == 2


@pytest.mark.parametrize("change", ["insert", "update", "delete"])
def test_statements_on_a_configuration_model_move_the_version_too(
    two: tuple[Database, Database], change: str
) -> None:
    one, other = two
    tenant_id = _tenant(one)
    load = Loader()
    before = _read(one, tenant_id, load)
    with other.transaction(tenant_id) as session:
        if change == "insert":
            session.execute(insert(TenantPlugin), [{"tenant_id": tenant_id, "plugin": "zz", "settings": {}}])
        elif change == "update":
            session.execute(update(TenantPlugin).values(settings={"limit": 7}))
        else:
            session.execute(delete(TenantPlugin))
    after = _read(one, tenant_id, load)
    assert after != before
    assert load.calls == 2


def test_an_uncommitted_change_is_seen_only_by_its_own_transaction(two: tuple[Database, Database]) -> None:
    one, other = two
    tenant_id = _tenant(one)
    load = Loader()
    _read(one, tenant_id, load)
    writer = other.session(tenant_id)
    try:
        writer.execute(update(TenantPlugin).values(settings={"limit": 5}))
        # The writing transaction reads its own change, every time, past the cache.
        assert cached_configuration(writer, "test.plugins", load) == (("gifts", 5),)
        assert cached_configuration(writer, "test.plugins", load) == (("gifts", 5),)
        if other.dialect == "postgresql":  # SQLite has one writer and no concurrent reader here
            assert _read(one, tenant_id, load) == (("gifts", 1),)
        writer.rollback()
    finally:
        writer.close()
    calls = load.calls
    assert _read(one, tenant_id, load) == (("gifts", 1),)  # rolled back: the version never moved
    assert load.calls == calls


def test_one_tenants_change_leaves_anothers_cache_alone(two: tuple[Database, Database]) -> None:
    one, _ = two
    a, b = _tenant(one), _tenant(one)
    load_a, load_b = Loader(), Loader()
    _read(one, a, load_a)
    _read(one, b, load_b)
    with one.transaction(a) as session:
        session.execute(update(TenantPlugin).values(settings={"limit": 3}))
    assert _read(one, a, load_a) == (("gifts", 3),)
    assert _read(one, b, load_b) == (("gifts", 1),)
    assert (load_a.calls, load_b.calls) == (2, 1)


def test_rows_that_are_not_configuration_leave_the_version_alone(two: tuple[Database, Database]) -> None:
    one, _ = two
    tenant_id = _tenant(one)
    with one.transaction() as session:
        version = session.get(Tenant, tenant_id).config_version  # type: ignore[union-attr]
    with one.transaction(tenant_id) as session:
        add_member(session, email="a@example.com", password=None, role="agent", display_name="A")
        session.execute(update(Member).values(display_name="B"))
    with one.transaction() as session:
        assert session.get(Tenant, tenant_id).config_version == version  # type: ignore[union-attr]
    with one.transaction(tenant_id) as session:
        session.execute(update(TenantPlugin).values(enabled=False))
        session.execute(update(TenantPlugin).values(enabled=True))  # twice in one transaction: one step
    with one.transaction() as session:
        assert session.get(Tenant, tenant_id).config_version == version + 1  # type: ignore[union-attr]


def test_a_pending_configuration_change_does_not_hold_up_the_tenants_other_writes(
    pg_settings: Settings,
) -> None:
    db = Database(pg_settings.database_url)
    try:
        tenant_id = _tenant(db)
        changer = db.session(tenant_id)
        try:
            changer.execute(update(TenantPlugin).values(settings={"limit": 9}))  # holds the tenant row
            # Inserts whose foreign keys point at the tenant take only a key-share lock: no wait.
            with psycopg.connect(pg_settings.database_url, autocommit=False) as conn:
                conn.execute("SET lock_timeout = '2s'")
                conn.execute("SELECT set_config('ccokit.tenant_id', %s, true)", (str(tenant_id),))
                conn.execute(
                    "INSERT INTO members (tenant_id, id, email, display_name, role, status, locale, created_at)"
                    " VALUES (%s, %s, 'x@example.com', 'X', 'agent', 'active', 'en', now())",
                    (tenant_id, uuid.uuid4()),
                )
                conn.commit()
        finally:
            changer.rollback()
            changer.close()
    finally:
        db.dispose()


def test_the_cache_keeps_the_most_recently_used_entries() -> None:
    cache = ConfigurationCache(max_entries=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache.put(a, 1, "k", "a")
    cache.put(b, 1, "k", "b")
    assert cache.fetch(a, 1, "k", lambda: "reloaded") == "a"  # a is now the most recent
    cache.put(c, 1, "k", "c")
    assert len(cache) == 2
    assert cache.fetch(b, 1, "k", lambda: "b again") == "b again"  # b went first
    assert cache.fetch(a, 2, "k", lambda: "newer") == "newer"  # another version is a miss
    cache.put(a, 1, "k", "older")  # a slower thread's older value does not replace it
    assert cache.fetch(a, 2, "k", lambda: "x") == "newer"
    assert (cache.hits, cache.misses) == (2, 2)  # what an operator's debugger would read
