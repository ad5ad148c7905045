"""The ORM layer of isolation, on PostgreSQL and SQLite: filtered, failing closed, stamped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, exists, func, literal, select, update
from sqlalchemy.orm import aliased

from ccokit.platform.config import Settings
from ccokit.tenants import database
from ccokit.tenants.database import Database
from ccokit.tenants.errors import TenantContextMissing, TenantMismatch
from ccokit.tenants.models import Member, Tenant, TenantPlugin
from ccokit.tenants.registry import add_member, create_tenant


@pytest.fixture(params=["postgres", "sqlite"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    name = "pg_settings" if request.param == "postgres" else "sqlite_settings"
    settings: Settings = request.getfixturevalue(name)
    database = Database(settings.database_url)
    yield database
    database.dispose()


def _tenant_with_members(db: Database, slug_prefix: str, n: int) -> Tenant:
    import uuid

    with db.transaction() as session:
        tenant = create_tenant(session, slug=f"{slug_prefix}-{uuid.uuid4().hex[:10]}", name="T", plan="free")
        for i in range(n):
            add_member(session, email=f"m{i}@example.com", password=None, role="agent", display_name=f"m{i}")
    return tenant


def test_select_sees_only_the_current_tenant(db: Database) -> None:
    a = _tenant_with_members(db, "a", 3)
    b = _tenant_with_members(db, "b", 2)
    with db.transaction(b.id) as session:
        rows = session.scalars(select(Member)).all()
        assert {m.tenant_id for m in rows} == {b.id}
        assert len(rows) == 2
        # An explicit filter on the other tenant cannot widen the view either.
        assert session.scalars(select(Member).where(Member.tenant_id == a.id)).all() == []


def test_bulk_update_and_delete_touch_only_the_current_tenant(db: Database) -> None:
    a = _tenant_with_members(db, "a", 3)
    b = _tenant_with_members(db, "b", 2)
    with db.transaction(b.id) as session:
        changed = session.execute(update(Member).values(display_name="renamed")).rowcount
        removed = session.execute(delete(Member).where(Member.email == "m0@example.com")).rowcount
    assert (changed, removed) == (2, 1)
    with db.transaction(a.id) as session:
        names = set(session.scalars(select(Member.display_name)))
        count = session.scalar(select(func.count()).select_from(Member))
    assert names == {"m0", "m1", "m2"}
    assert count == 3


def test_query_without_a_tenant_fails_closed(db: Database) -> None:
    _tenant_with_members(db, "a", 1)
    with db.transaction() as session:
        with pytest.raises(TenantContextMissing):
            session.scalars(select(Member)).all()
        with pytest.raises(TenantContextMissing):
            session.execute(update(Member).values(display_name="x"))
        with pytest.raises(TenantContextMissing):
            session.execute(delete(Member))
    with db.transaction() as session:
        # Shared tables stay readable without a tenant.
        assert session.scalar(select(func.count()).select_from(Tenant)) >= 1


def test_inserts_are_stamped_and_foreign_rows_refused(db: Database) -> None:
    a = _tenant_with_members(db, "a", 0)
    b = _tenant_with_members(db, "b", 0)
    with db.transaction(a.id) as session:
        member = Member(email="x@example.com", display_name="x", role="agent")
        session.add(member)
        session.flush()
        assert member.tenant_id == a.id
    session = db.session(a.id)
    try:
        session.add(Member(tenant_id=b.id, email="y@example.com", display_name="y", role="agent"))
        with pytest.raises(TenantMismatch):
            session.flush()
    finally:
        session.rollback()
        session.close()
    session = db.session()
    try:
        session.add(Member(email="z@example.com", display_name="z", role="agent"))
        with pytest.raises(TenantContextMissing):
            session.flush()
    finally:
        session.rollback()
        session.close()


def test_a_loaded_row_cannot_be_moved_or_deleted_through_another_tenant(db: Database) -> None:
    a = _tenant_with_members(db, "a", 1)
    b = _tenant_with_members(db, "b", 0)
    session = db.session(a.id)
    try:
        member = session.scalars(select(Member)).one()
        session.set_tenant(b.id)
        session.delete(member)
        with pytest.raises(TenantMismatch):
            session.flush()
    finally:
        session.rollback()
        session.close()


def _statement_shapes() -> list[tuple[str, Any, list[tuple[Any, ...]]]]:
    """Query shapes that must all see only tenant B's two members (A has two too)."""
    a = aliased(Member)
    table = Member.__table__
    other = table.alias()
    return [
        ("count over select_from", select(func.count()).select_from(Member), [(2,)]),
        ("count of a column", select(func.count(Member.id)), [(2,)]),
        ("table only in WHERE", select(literal(1)).where(Member.email.like("m0@%")), [(1,)]),
        ("entity column", select(Member.email).order_by(Member.email), [("m0@example.com",), ("m1@example.com",)]),
        ("aliased entity", select(a.email).order_by(a.email), [("m0@example.com",), ("m1@example.com",)]),
        (
            "ORM outer self-join",
            select(Member.email, a.email)
            .join(a, (Member.id != a.id) & (a.role == "nobody"), isouter=True)
            .order_by(Member.email),
            [("m0@example.com", None), ("m1@example.com", None)],
        ),
        (
            "ORM inner self-join",
            select(Member.email, a.email).join(a, Member.id != a.id).order_by(Member.email),
            [("m0@example.com", "m1@example.com"), ("m1@example.com", "m0@example.com")],
        ),
        (
            "Core outer join",
            select(table.c.email, other.c.email)
            .select_from(table.outerjoin(other, (table.c.id != other.c.id) & (other.c.role == "nobody")))
            .order_by(table.c.email),
            [("m0@example.com", None), ("m1@example.com", None)],
        ),
        ("EXISTS", select(exists().where(Member.email == "m0@example.com")), [(True,)]),
        ("subquery", select(func.count()).select_from(select(Member.id).subquery()), [(2,)]),
        ("Core table", select(table.c.email).order_by(table.c.email), [("m0@example.com",), ("m1@example.com",)]),
        (
            "IN subquery",
            select(func.count()).select_from(Member).where(Member.id.in_(select(table.c.id))),
            [(2,)],
        ),
        (
            # The inner table belongs to the subquery; scoping it in the outer query would make a
            # cartesian product with tenant_plugins (empty here), so the count would be 0.
            "IN subquery on another table",
            select(func.count()).select_from(Member).where(Member.email.not_in(select(TenantPlugin.plugin))),
            [(2,)],
        ),
    ]


@pytest.mark.parametrize("shape", range(len(_statement_shapes())), ids=[s[0] for s in _statement_shapes()])
def test_every_statement_shape_is_scoped_and_fails_closed(db: Database, shape: int) -> None:
    _tenant_with_members(db, "a", 2)
    b = _tenant_with_members(db, "b", 2)
    label, statement, expected = _statement_shapes()[shape]
    with db.transaction(b.id) as session:
        assert [tuple(r) for r in session.execute(statement).all()] == expected, label
    with db.transaction() as session, pytest.raises(TenantContextMissing):
        session.execute(_statement_shapes()[shape][1]).all()


def test_correlated_subquery_counts_only_the_current_tenant(db: Database) -> None:
    a = _tenant_with_members(db, "a", 3)
    b = _tenant_with_members(db, "b", 2)
    per_tenant = (
        select(func.count(Member.id)).where(Member.tenant_id == Tenant.id).scalar_subquery()
    )
    with db.transaction(b.id) as session:
        counts = dict(session.execute(select(Tenant.id, per_tenant).where(Tenant.id.in_([a.id, b.id]))).all())
    assert counts == {a.id: 0, b.id: 2}


@pytest.mark.parametrize("shape", [
    "entities", "columns", "count", "subquery", "core_table", "mixed", "exists", "update", "delete",
])
def test_a_statement_shape_stays_scoped_every_time_it_runs(db: Database, shape: str) -> None:
    """The filter learns once per statement shape how much work scoping it needs (a copy of the
    statement, or only the loader criteria); every later run, for whichever tenant, must still
    see and change only that tenant's rows."""
    tenants = [_tenant_with_members(db, f"s{i}", i + 1) for i in range(3)]
    table = Member.__table__

    def run(session: Any) -> Any:
        if shape == "entities":
            return {m.tenant_id for m in session.scalars(select(Member).where(Member.role == "agent"))}
        if shape == "columns":
            return {row.tenant_id for row in session.execute(select(Member.tenant_id, Member.email))}
        if shape == "count":
            return session.scalar(select(func.count()).select_from(Member))
        if shape == "subquery":
            inner = select(Member.id).where(Member.email == "m0@example.com")
            return set(session.scalars(select(Member.tenant_id).where(Member.id.in_(inner))))
        if shape == "core_table":
            return {row.tenant_id for row in session.execute(select(table.c.tenant_id))}
        if shape == "mixed":  # an entity's column, read from the table itself
            return set(session.scalars(select(Member.tenant_id).select_from(table).where(table.c.role == "agent")))
        if shape == "exists":
            return session.scalar(select(literal(1)).where(exists().where(Member.role == "agent")))
        if shape == "update":
            return session.execute(update(Member).values(display_name="x")).rowcount
        return session.execute(delete(Member).where(Member.email == "m0@example.com")).rowcount

    for round_ in range(2):
        for n, tenant in enumerate(tenants, start=1):
            session = db.session(tenant.id)
            try:
                with session.begin():
                    got = run(session)
                    if shape in ("update", "delete", "exists"):
                        session.rollback()  # leave the rows for the next round
            finally:
                session.close()
            expected = {
                "entities": {tenant.id}, "columns": {tenant.id}, "count": n, "subquery": {tenant.id},
                "core_table": {tenant.id}, "mixed": {tenant.id}, "exists": 1, "update": n, "delete": 1,
            }[shape]
            assert got == expected, (round_, n)


def test_statements_on_the_table_itself_change_only_the_current_tenants_rows(db: Database) -> None:
    """``update(Member.__table__)`` is not an ORM entity statement, so the loader criteria do not
    reach it; the Core pass scopes it (on SQLite nothing else would)."""
    a = _tenant_with_members(db, "a", 3)
    b = _tenant_with_members(db, "b", 2)
    table = Member.__table__
    for _ in range(2):  # the second run takes the shape's learnt plan
        with db.transaction(b.id) as session:
            changed = session.execute(update(table).values(display_name="renamed")).rowcount
            removed = session.execute(delete(table).where(table.c.email == "zz@example.com")).rowcount
        assert (changed, removed) == (2, 0)
    with db.transaction(b.id) as session:
        removed = session.execute(delete(table).where(table.c.email == "m0@example.com")).rowcount
    assert removed == 1
    with db.transaction(a.id) as session:
        assert set(session.scalars(select(Member.display_name))) == {"m0", "m1", "m2"}
    with db.transaction() as session:
        with pytest.raises(TenantContextMissing):
            session.execute(update(table).values(display_name="x"))
        with pytest.raises(TenantContextMissing):
            session.execute(delete(table))


def test_statements_on_the_table_by_key_read_and_change_only_the_current_tenants_rows(db: Database) -> None:
    """Statements on the table itself (routing reads and writes its state row and agents so on
    every decision), given keys of two tenants: an UPDATE executed for many keys at once changes
    only the current tenant's rows, a SELECT by keys reads only them, the first time and once the
    shape's plan is learnt (one criterion added to the WHERE, no copy of the statement). One
    with a subquery keeps the full traversal."""
    a = _tenant_with_members(db, "a", 2)
    b = _tenant_with_members(db, "b", 2)
    table = Member.__table__
    keys = {}
    for tenant in (a, b):
        with db.transaction(tenant.id) as session:
            keys[tenant.id] = list(session.scalars(select(Member.id)))
    everyone = keys[a.id] + keys[b.id]
    by_key = update(table).where(table.c.id == bindparam("key")).values(display_name=bindparam("name"))
    read = select(table.c.display_name).where(table.c.id.in_(bindparam("keys", expanding=True)))
    for round_ in range(2):
        with db.transaction(b.id) as session:
            session.execute(by_key, [{"key": key, "name": f"b{round_}"} for key in everyone])
            assert set(session.scalars(read, {"keys": everyone})) == {f"b{round_}"}
    assert database._PLANS[database._shape(by_key)] is table
    assert database._PLANS[database._shape(read)] is table
    with db.transaction(a.id) as session:
        assert set(session.scalars(read, {"keys": everyone})) == {"m0", "m1"}
    nested = update(table).where(table.c.id.in_(select(table.c.id).where(table.c.email == "m0@example.com"))
                                 ).values(display_name="first")
    for _ in range(2):
        with db.transaction(b.id) as session:
            assert session.execute(nested).rowcount == 1
    assert database._PLANS[database._shape(nested)] == "traverse"
    with db.transaction(a.id) as session:
        assert set(session.scalars(select(Member.display_name))) == {"m0", "m1"}
