"""The isolated data layer: engines, tenant-scoped sessions and the tenant filter.

Isolation has two independent layers, so that one mistake never exposes another tenant:

1. **The ORM filter.** Every ORM statement on a :class:`~ccokit_sdk.models.TenantScoped` model,
   SELECT and bulk UPDATE/DELETE alike, gets ``tenant_id = :current`` added through
   ``with_loader_criteria``. A statement on a tenant table while no tenant is set raises
   :class:`TenantContextMissing` instead of reading everything (it fails closed). Inserts are
   stamped with the session's tenant, and a row of another tenant cannot be flushed.
2. **Row-level security** (PostgreSQL). Each transaction begins with
   ``set_config('ccokit.tenant_id', …, true)``; every tenant table's policy compares against it.
   The application connects as a role that owns no table and cannot bypass RLS, so even raw SQL
   that forgets the filter sees only its own tenant's rows.

SQLite (the embedded default) has only the first layer.

Sessions also keep what the process caches of a tenant's configuration honest: see
:mod:`ccokit.tenants.configuration_cache` and :meth:`TenantSession.cached_configuration`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, Executable, Table, and_, create_engine, event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker, with_loader_criteria
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import Alias, FromClause, Join, ScalarSelect, Select, SelectBase

from ccokit.tenants.configuration_cache import (
    ConfigurationCache,
    bump_version,
    is_configuration_table,
    read_version,
)
from ccokit.tenants.errors import TenantContextMissing, TenantMismatch
from ccokit.tenants.idle_ping import ping_when_idle
from ccokit_sdk.models import TenantConfiguration, TenantScoped

__all__ = ["TENANT_SETTING", "Database", "TenantSession", "is_tenant_table", "make_engine"]

#: The PostgreSQL setting that row-level-security policies read.
TENANT_SETTING = "ccokit.tenant_id"

T = TypeVar("T")
# Keys of Session.info: the process's cache, the configuration version read in this
# transaction, and the tenants whose configuration this transaction changed.
_CACHE, _VERSION, _CHANGED = "configuration_cache", "configuration_version", "configuration_changed"
#: Set while begin_scoped's statement opens the transaction: it applies the tenant setting itself.
_INLINE_SETTING = "tenant_setting_inline"


class TenantSession(Session):
    """A session bound to at most one tenant at a time.

    The tenant is set from the authenticated principal (or by a job re-entering a tenant) with
    :meth:`set_tenant`, never from request data.
    """

    @property
    def tenant_id(self) -> uuid.UUID | None:
        return self.info.get("tenant_id")

    def set_tenant(self, tenant_id: uuid.UUID | None) -> None:
        """Scope the session to ``tenant_id`` (``None`` for shared tables only).

        If a transaction is already open on PostgreSQL the row-level-security setting follows at
        once, so the whole transaction keeps seeing only one tenant at a time.
        """
        if tenant_id is not None and not isinstance(tenant_id, uuid.UUID):
            raise TypeError("tenant_id must be a UUID")
        changed = self.info.get("tenant_id") != tenant_id
        self.info["tenant_id"] = tenant_id
        if changed:
            self.info.pop(_VERSION, None)
        if changed and self.in_transaction():
            _apply_setting(self.connection(), tenant_id)

    def begin_scoped(
        self, tenant_id: uuid.UUID, statement: Executable, params: Mapping[str, Any]
    ) -> list[Any]:
        """PostgreSQL: scope the session to ``tenant_id`` and run ``statement`` as its
        transaction's first; returns its rows.

        The statement applies the row-level-security setting itself, with
        ``set_config('ccokit.tenant_id', :tenant_setting, true)`` in its select list
        (``tenant_setting`` is added to ``params`` here), and reads shared tables only. That
        spares every authenticated request a round trip: its first statement, the tenant's row,
        carries the setting. A statement that returns no row evaluated nothing, so the setting
        is then applied by a statement of its own; in a transaction already open, it is applied
        as :meth:`set_tenant` does, before the statement.
        """
        bound = {**params, "tenant_setting": str(tenant_id)}
        if self.in_transaction():
            self.set_tenant(tenant_id)
            return list(self.execute(statement, bound).all())
        self.set_tenant(tenant_id)
        self.info[_INLINE_SETTING] = True
        try:
            rows = list(self.execute(statement, bound).all())
        finally:
            self.info.pop(_INLINE_SETTING, None)
        if not rows:
            _apply_setting(self.connection(), tenant_id)
        return rows

    def cached_configuration(self, key: str, load: Callable[[TenantSession], T]) -> T:
        """``load(self)`` for this tenant, from the process's cache while the tenant's
        configuration version is the one this transaction read (see ``ccokit_sdk.models``)."""
        cache: ConfigurationCache | None = self.info.get(_CACHE)
        tenant_id = self.tenant_id
        if cache is None or tenant_id is None or tenant_id in self.info.get(_CHANGED, ()):
            return load(self)
        return cache.fetch(tenant_id, self.configuration_version(), key, lambda: load(self))  # type: ignore[no-any-return]

    def configuration_version(self) -> int:
        """The tenant's configuration version, read once per transaction."""
        version = self.info.get(_VERSION)
        if version is None:
            if self.tenant_id is None:
                raise TenantContextMissing("a configuration version needs a tenant context")
            version = self.info[_VERSION] = read_version(self, self.tenant_id)
        return int(version)

    def remember_configuration_version(self, version: int) -> None:
        """Take the version from a tenant row this transaction has just read, saving a look-up."""
        self.info[_VERSION] = version

    def configuration_changed(self) -> None:
        """Move the tenant's configuration version on in this transaction (once per transaction),
        so that other processes drop what they cached once it commits. The listeners below call
        it for every change of a ``TenantConfiguration`` row made through the session."""
        tenant_id = self.tenant_id
        changed: set[uuid.UUID] = self.info.setdefault(_CHANGED, set())
        if tenant_id is None or tenant_id in changed:
            return
        bump_version(self, tenant_id)
        changed.add(tenant_id)
        self.info.pop(_VERSION, None)

    @contextmanager
    def side_transaction(self) -> Iterator[TenantSession]:
        """A session of the same tenant on another connection, in a transaction of its own that
        commits when the block ends (rolls back on an error), whatever becomes of this one.

        For the little work that must not wait for this session's transaction, such as taking
        the next number of a per-tenant counter: its row lock is then held for the block only,
        not until the caller commits. Takes a second pooled connection for the block.
        """
        side = type(self)(bind=self.get_bind(), expire_on_commit=False)
        side.set_tenant(self.tenant_id)
        try:
            with side.begin():
                yield side
        finally:
            side.close()


_SET_TENANT = text(f"SELECT set_config('{TENANT_SETTING}', :value, true)")


def _apply_setting(connection: Any, tenant_id: uuid.UUID | None) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_TENANT, {"value": str(tenant_id) if tenant_id else ""})


def is_tenant_table(table: FromClause) -> bool:
    """A tenant table is one whose primary key starts with ``tenant_id`` (the data rule).

    Shared tables may carry a tenant id for look-ups (the OAuth client directory does) without
    being tenant-owned; their key does not start with it.
    """
    pk = list(getattr(table, "primary_key", ()) or ())
    return bool(pk) and pk[0].name == "tenant_id"


def _leftmost_tenant_tables(from_clause: FromClause) -> list[FromClause]:
    """The tenant table (or alias of one) at the left end of a FROM element, if any.

    The right side of every join is scoped in that join's ON clause instead (see below), so that
    an outer join keeps its meaning.
    """
    if isinstance(from_clause, Join):
        if from_clause.full:
            raise TenantContextMissing("FULL OUTER JOIN on tenant tables cannot be scoped safely")
        return _leftmost_tenant_tables(from_clause.left)
    base = from_clause.element if isinstance(from_clause, Alias) else from_clause
    return [from_clause] if isinstance(base, Table) and is_tenant_table(base) else []


def _froms_of(select: Select[Any]) -> list[FromClause]:
    """What a SELECT reads from: its columns' tables, ``select_from`` and WHERE's tables.

    ``Select.get_final_froms()`` says the same but builds the ORM compile state, which costs
    more than the query itself; it is used only when the statement has ORM joins, whose right
    sides must not be filtered in WHERE (``with_loader_criteria`` scopes them in their ON
    clause). Tables that sit inside an explicit join are represented by that join. Correlated
    tables found here are harmless: their criterion refers to the enclosing query's row.
    """
    if select._setup_joins:
        return list(select.get_final_froms())
    explicit = list(select._from_obj)
    joined = {
        _from_key(t)
        for j in explicit
        if isinstance(j, Join)
        for t in sql_util.find_tables(j, include_aliases=True)
    }
    candidates = [*explicit, *select.columns_clause_froms]
    for criterion in select._where_criteria:
        candidates += _tables_named_in(criterion)
    seen: dict[tuple[Any, ...], FromClause] = {}
    for from_clause in candidates:
        key = _from_key(from_clause)
        if isinstance(from_clause, Join) or key not in joined:
            seen.setdefault(key, from_clause)
    return list(seen.values())


def _tables_named_in(criterion: ClauseElement) -> list[FromClause]:
    """Tables (and aliases of tables) that a WHERE criterion reads, not looking into subqueries.

    A table that appears only inside ``x IN (SELECT ...)`` or ``EXISTS (...)`` belongs to that
    subquery, which the traversal scopes on its own; adding it to the outer query would make a
    cartesian product.
    """
    found: list[FromClause] = []
    stack: list[Any] = [criterion]
    while stack:
        element = stack.pop()
        if isinstance(element, (SelectBase, ScalarSelect)):
            continue
        if isinstance(element, (Table, Alias)):
            found.append(element)
            continue
        if isinstance(element, ColumnClause) and isinstance(element.table, (Table, Alias)):
            found.append(element.table)
            continue
        stack.extend(element.get_children())
    return found


def _from_key(from_clause: FromClause) -> tuple[Any, ...]:
    """Identity of a FROM element that survives cloning (a cloned alias is a new object)."""
    if isinstance(from_clause, Alias):
        return ("alias", id(from_clause.element), from_clause.name)
    return ("from", id(from_clause))


@dataclass
class _Scoping:
    """What the traversal did to one statement: how many SELECTs it visited, which tenant
    tables it scoped in them, and whether it scoped any join."""

    selects: int = 0
    tables: list[FromClause] = field(default_factory=list)
    joins: bool = False


def _scope_every_select(statement: Any, tenant_id: uuid.UUID | None) -> tuple[Any, _Scoping]:
    """Add ``tenant_id = :current`` to every SELECT, JOIN, UPDATE and DELETE, at any depth, on a
    tenant table.

    ``with_loader_criteria`` covers ORM entities, ORM joins, aliases, relationship loads and bulk
    UPDATE/DELETE, but not every shape: Core tables, some subqueries and correlated scalar
    subqueries escape it. This Core-level pass closes those gaps, and is also what makes a
    tenant-less query on any of them fail closed. Returns the scoped copy and what it did.
    """
    done = _Scoping()

    def criteria_for(tables: list[FromClause]) -> list[Any]:
        if tables and tenant_id is None:
            raise TenantContextMissing("a query on a tenant table needs a tenant context")
        return [table.c.tenant_id == tenant_id for table in tables]

    def visit_select(select: Select[Any]) -> None:
        done.selects += 1
        criteria = []
        for from_clause in _froms_of(select):
            tables = _leftmost_tenant_tables(from_clause)
            done.tables += tables
            criteria += criteria_for(tables)
        if criteria:
            # Select.where() is generative and cannot be used inside a cloning traversal; the
            # clone is private to this statement, so extending its criteria in place is safe.
            select._where_criteria += tuple(criteria)

    def visit_join(join: Join) -> None:
        criteria = criteria_for(_leftmost_tenant_tables(join.right))
        if criteria:
            done.joins = True
            join.onclause = and_(join.onclause, *criteria)

    def visit_dml(dml: Any) -> None:
        # UPDATE and DELETE of a tenant table: the loader criteria cover a mapped entity, not a
        # statement on the Table itself, which would otherwise change every tenant's rows.
        tables = _leftmost_tenant_tables(dml.table)
        done.tables += tables
        criteria = criteria_for(tables)
        if criteria:
            dml._where_criteria += tuple(criteria)

    # ORM options (loader strategies, criteria) are not clause elements and cannot be cloned.
    options = {"stop_on": list(getattr(statement, "_with_options", ()))}
    scoped = visitors.cloned_traverse(statement, options, {
        "select": visit_select, "join": visit_join, "update": visit_dml, "delete": visit_dml,
    })
    return scoped, done


# What each statement shape (its cache key) needs, learnt from the traversal the first time it
# runs, because the copy the traversal makes costs more than a primary-key look-up:
#: shared tables only (the tenant registry's look-ups): nothing to add;
_SHARED = "shared"
#: ``with_loader_criteria`` alone scopes every tenant table in it: one SELECT of mapped tenant
#: entities without subqueries or joins, or an UPDATE/DELETE of one without subqueries;
_LOADER_CRITERIA = "loader_criteria"
#: anything else is traversed every time;
_TRAVERSE = "traverse"
#: except a SELECT, UPDATE or DELETE of one tenant table itself (not a mapped entity) without
#: subqueries or joins, whose plan is that ``Table``: the traversal would add one criterion on it
#: to the WHERE, and that criterion is added without copying the whole statement (routing reads
#: and writes its state row and agents so on every decision).
_PLANS: dict[Any, str | Table] = {}
_PLANS_LIMIT = 10_000  # shapes are as many as the code has statements; this guards the odd generator


def _plan_for(statement: Any, done: _Scoping, mappers: Sequence[Any]) -> str | Table:
    entity_tables = {m.local_table for m in mappers if issubclass(m.class_, TenantScoped)}
    if not done.tables and not entity_tables:
        return _SHARED
    if done.joins or done.selects > (1 if isinstance(statement, Select) else 0):
        return _TRAVERSE
    if all(isinstance(t, Table) and t in entity_tables for t in done.tables):
        return _LOADER_CRITERIA
    if not mappers and len(done.tables) == 1 and isinstance(done.tables[0], Table):
        return done.tables[0]  # one statement, no join (both checked above), one tenant table
    return _TRAVERSE


def _shape(statement: Any) -> Any:
    key = statement._generate_cache_key()  # memoized on the statement; its compilation reuses it
    return None if key is None else key.key


@event.listens_for(TenantSession, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the originating statement already carries the criteria
    tenant_id = state.session.info.get("tenant_id")
    mappers = state.all_mappers
    if tenant_id is None and any(issubclass(m.class_, TenantScoped) for m in mappers):
        raise TenantContextMissing("a query on a tenant table needs a tenant context")
    statement = state.statement
    shape = _shape(statement)
    plan = _PLANS.get(shape) if shape is not None else None
    if plan is None or plan == _TRAVERSE:
        statement, done = _scope_every_select(statement, tenant_id)
        if plan is None and shape is not None:
            if len(_PLANS) >= _PLANS_LIMIT:
                _PLANS.clear()
            _PLANS[shape] = plan = _plan_for(state.statement, done, mappers)
            if plan != _TRAVERSE:
                statement = state.statement  # the copy adds nothing the loader criteria do not
    if plan == _SHARED and not any(m.relationships for m in mappers):
        state.statement = statement
        return  # no relationship a tenant row could be loaded through either
    if isinstance(plan, Table):
        if tenant_id is None:
            raise TenantContextMissing("a query on a tenant table needs a tenant context")
        # No mapped entity in it: the loader criteria would have nothing to act on.
        state.statement = statement.where(plan.c.tenant_id == tenant_id)
        return
    if tenant_id is not None:
        statement = statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
                track_closure_variables=True,
            )
        )
    state.statement = statement


@event.listens_for(TenantSession, "do_orm_execute")
def _notice_configuration_statements(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mappers = state.all_mappers
    # A statement on a model says so by its mapper; only one on a bare Table needs the table look-up.
    if any(issubclass(m.class_, TenantConfiguration) for m in mappers) if mappers else is_configuration_table(
        getattr(state.statement, "table", None)
    ):
        session: TenantSession = state.session  # type: ignore[assignment]
        session.configuration_changed()


@event.listens_for(TenantSession, "after_transaction_end")
def _forget_transaction_state(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_VERSION, None)
        session.info.pop(_CHANGED, None)


@event.listens_for(TenantSession, "before_flush")
def _stamp_and_check(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    tenant_id = session.info.get("tenant_id")
    changes = (session.new, session.dirty, session.deleted)
    if tenant_id is not None and any(isinstance(o, TenantConfiguration) for objs in changes for o in objs):
        session.configuration_changed()  # type: ignore[attr-defined]
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            raise TenantContextMissing("inserting a tenant row needs a tenant context")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantMismatch("refusing to insert a row of another tenant")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant_id:
            raise TenantMismatch("refusing to change a row of another tenant")


@event.listens_for(TenantSession, "after_begin")
def _set_row_level_security(session: Session, transaction: Any, connection: Any) -> None:
    # A savepoint inherits the transaction's setting; setting it again would cost a round trip.
    # A transaction opened by begin_scoped gets it from its first statement.
    if not transaction.nested and not session.info.get(_INLINE_SETTING):
        _apply_setting(connection, session.info.get("tenant_id"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, ping_idle_after: float = 1.0, **kwargs: Any) -> Engine:
    """Create an engine with ccokit's defaults for PostgreSQL (psycopg 3) and SQLite.

    A PostgreSQL connection is pinged before use when it has been idle for more than
    ``ping_idle_after`` seconds (:mod:`.idle_ping`); 0 pings on every checkout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if ping_idle_after <= 0:
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine, ping_idle_after)
    return engine


class Database:
    """The application's engine and its tenant-scoped session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.configuration_cache = ConfigurationCache()
        self._factory = sessionmaker(
            bind=self.engine, class_=TenantSession, expire_on_commit=False,
            info={_CACHE: self.configuration_cache},
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, tenant_id: uuid.UUID | None = None) -> TenantSession:
        session = self._factory()
        session.set_tenant(tenant_id)
        return session

    @contextmanager
    def transaction(self, tenant_id: uuid.UUID | None = None) -> Iterator[TenantSession]:
        """A session whose work commits on success and rolls back on any error."""
        session = self.session(tenant_id)
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
