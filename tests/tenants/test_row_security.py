"""The PostgreSQL layer of isolation: row-level security that raw SQL cannot get around.

The catalogue, not a hand-kept list, says which tables are tenant tables: every table with a
``tenant_id`` column, the plugins' included. So a table added tomorrow is covered by these tests
without anyone editing them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, make_url, text

from ccokit.platform.config import Settings
from ccokit.tenants.database import TENANT_SETTING, Database, make_engine
from ccokit.tenants.registry import scope_to_tenant
from ccokit.tenants.row_security import POLICY_NAME, tenant_tables
from tests.conftest import PG_HOST, PG_PORT, TenantInfo

EXPECTED_WITH_ROWS = {"members", "tenant_plugins", "oauth_clients", "quick_replies"}


@pytest.fixture
def app_connection(pg_settings: Settings) -> Iterator[Connection]:
    """A raw connection as the application role: no ORM, no tenant filter."""
    engine = make_engine(pg_settings.database_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _superuser_dsn(settings: Settings) -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{make_url(settings.database_url).database}"


def _rows_of(settings: Settings, table: str, tenant: TenantInfo) -> int:
    with psycopg.connect(_superuser_dsn(settings)) as conn:
        row = conn.execute(
            f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s',  # noqa: S608 - catalogue name
            (tenant.tenant_id,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _as_tenant(conn: Connection, tenant: TenantInfo) -> None:
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": TENANT_SETTING, "v": str(tenant.tenant_id)})


def test_every_tenant_table_has_forced_rls_and_a_policy(pg_settings: Settings, app_connection: Connection) -> None:
    tables = tenant_tables(app_connection)
    assert set(tables) >= EXPECTED_WITH_ROWS
    rows = app_connection.execute(
        text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname "
            "          AND p.policyname = :policy) AS policies, pg_get_userbyid(c.relowner) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(:tables)"
        ),
        {"policy": POLICY_NAME, "tables": tables},
    ).all()
    app_role = make_url(pg_settings.database_url).username
    assert len(rows) == len(tables)
    for name, enabled, forced, policies, owner in rows:
        assert enabled, f"{name}: row-level security is not enabled"
        assert forced, f"{name}: row-level security is not forced"
        assert policies == 1, f"{name}: no {POLICY_NAME} policy"
        assert owner != app_role, f"{name}: owned by the application role"


def test_application_role_cannot_bypass_rls(pg_settings: Settings, app_connection: Connection) -> None:
    role = make_url(pg_settings.database_url).username
    row = app_connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).one()
    assert tuple(row) == (False, False)
    assert app_connection.execute(text("SELECT current_user")).scalar() == role
    # Nor can it switch RLS off for its session or for a table.
    with pytest.raises(Exception, match=r"permission denied|must be owner"):
        app_connection.execute(text("ALTER TABLE members DISABLE ROW LEVEL SECURITY"))
    app_connection.rollback()


def test_raw_sql_under_another_tenant_touches_none_of_its_rows(
    pg_settings: Settings,
    client: FlaskClient,
    make_tenant: object,
    app_connection: Connection,
) -> None:
    a: TenantInfo = make_tenant()  # type: ignore[operator]
    b: TenantInfo = make_tenant()  # type: ignore[operator]
    tables = tenant_tables(app_connection)
    app_connection.rollback()
    before = {t: _rows_of(pg_settings, t, a) for t in tables}
    assert all(before[t] > 0 for t in EXPECTED_WITH_ROWS), before
    for table in tables:
        with app_connection.begin():
            _as_tenant(app_connection, b)
            seen = app_connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :a'), {"a": a.tenant_id}  # noqa: S608
            ).scalar()
            updated = app_connection.execute(
                text(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = :a'),  # noqa: S608
                {"a": a.tenant_id},
            ).rowcount
            deleted = app_connection.execute(
                text(f'DELETE FROM "{table}" WHERE tenant_id = :a'), {"a": a.tenant_id}  # noqa: S608
            ).rowcount
        assert (table, seen, updated, deleted) == (table, 0, 0, 0)
    assert {t: _rows_of(pg_settings, t, a) for t in tables} == before


def test_raw_sql_without_a_tenant_sees_nothing_and_cannot_write(
    make_tenant: object, app_connection: Connection
) -> None:
    a: TenantInfo = make_tenant()  # type: ignore[operator]
    with app_connection.begin():
        assert app_connection.execute(text("SELECT count(*) FROM members")).scalar() == 0
    with pytest.raises(Exception, match="row-level security"):
        _insert_member_as(app_connection, None, a)


def _insert_member_as(conn: Connection, acting: TenantInfo | None, owner: TenantInfo) -> None:
    with conn.begin():
        if acting is not None:
            _as_tenant(conn, acting)
        conn.execute(
            text(
                "INSERT INTO members (tenant_id, id, email, display_name, role, status, locale, created_at) "
                "VALUES (:t, gen_random_uuid(), 'x@example.com', 'x', 'agent', 'active', 'en', now())"
            ),
            {"t": owner.tenant_id},
        )


def _move_rows_as(conn: Connection, acting: TenantInfo, target: TenantInfo) -> None:
    with conn.begin():
        _as_tenant(conn, acting)
        conn.execute(text("UPDATE members SET tenant_id = :a"), {"a": target.tenant_id})


def test_rows_cannot_be_written_into_another_tenant(
    make_tenant: object, app_connection: Connection
) -> None:
    a: TenantInfo = make_tenant()  # type: ignore[operator]
    b: TenantInfo = make_tenant()  # type: ignore[operator]
    with pytest.raises(Exception, match="row-level security"):
        _insert_member_as(app_connection, b, a)
    with pytest.raises(Exception, match="row-level security"):
        _move_rows_as(app_connection, b, a)


def test_the_first_statement_of_a_request_scopes_its_transaction(pg_settings: Settings, make_tenant: object) -> None:
    """``scope_to_tenant`` applies the setting inside the tenant look-up (one round trip): the
    transaction then sees the tenant's rows only; for an unknown tenant it is still applied; in
    an open transaction it moves the scope like ``set_tenant``."""
    a: TenantInfo = make_tenant()  # type: ignore[operator]
    b: TenantInfo = make_tenant()  # type: ignore[operator]
    db = Database(pg_settings.database_url)
    count_members = text("SELECT count(DISTINCT tenant_id) FROM members")
    setting = text(f"SELECT current_setting('{TENANT_SETTING}')")
    try:
        with db.session() as session:
            summary = scope_to_tenant(session, a.tenant_id)
            assert summary is not None
            assert summary.id == a.tenant_id
            assert session.scalar(setting) == str(a.tenant_id)
            assert session.scalar(text("SELECT DISTINCT tenant_id FROM members")) == a.tenant_id
            assert session.scalar(count_members) == 1
            assert scope_to_tenant(session, b.tenant_id) is not None  # in the open transaction
            assert session.scalar(setting) == str(b.tenant_id)
            assert session.scalar(text("SELECT DISTINCT tenant_id FROM members")) == b.tenant_id
        with db.session() as session:
            nobody = uuid.uuid4()
            assert scope_to_tenant(session, nobody) is None
            assert session.scalar(setting) == str(nobody)
            assert session.scalar(count_members) == 0
    finally:
        db.engine.dispose()
