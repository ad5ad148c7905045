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
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker, with_loader_criteria
from sqlalchemy.pool import StaticPool

from ccokit.tenants.errors import TenantContextMissing, TenantMismatch
from ccokit_sdk.models import TenantScoped

__all__ = ["TENANT_SETTING", "Database", "TenantSession"]

#: The PostgreSQL setting that row-level-security policies read.
TENANT_SETTING = "ccokit.tenant_id"


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
        self.info["tenant_id"] = tenant_id
        if self.in_transaction():
            _apply_setting(self.connection(), tenant_id)


def _apply_setting(connection: Any, tenant_id: uuid.UUID | None) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": TENANT_SETTING, "value": str(tenant_id) if tenant_id else ""},
        )


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


@event.listens_for(TenantSession, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if not _touches_tenant_tables(state):
        return
    tenant_id = state.session.info.get("tenant_id")
    if tenant_id is None:
        raise TenantContextMissing("a query on a tenant table needs a tenant context")
    if state.is_column_load or state.is_relationship_load:
        return  # the originating statement's options already carry the criteria
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
            track_closure_variables=True,
        )
    )


@event.listens_for(TenantSession, "before_flush")
def _stamp_and_check(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    tenant_id = session.info.get("tenant_id")
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
    _apply_setting(connection, session.info.get("tenant_id"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with ccokit's defaults for PostgreSQL (psycopg 3) and SQLite."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


class Database:
    """The application's engine and its tenant-scoped session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._factory = sessionmaker(
            bind=self.engine, class_=TenantSession, expire_on_commit=False
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
