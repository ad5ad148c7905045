"""Building blocks for plugin models: the tenant mixin and a declarative base factory.

Every table a tenant owns carries ``tenant_id`` as the first column of its primary key, so
that the platform's data layer can filter it, PostgreSQL row-level security can police it and
a Citus cluster can distribute it by tenant without a rewrite. Plugins get that by mixing in
:class:`TenantScoped`; the platform recognises the mixin and applies the tenant filter to every
query on such a model, failing closed when no tenant is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, Uuid
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from ccokit_sdk.ids import new_id

__all__ = [
    "NAMING_CONVENTION",
    "TenantConfiguration",
    "TenantScoped",
    "UTCDateTime",
    "cached_configuration",
    "make_metadata",
    "new_id",
    "side_transaction",
    "tenant_of",
    "utcnow",
]

T = TypeVar("T")

#: Constraint names that Alembic can rely on across PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A fresh :class:`MetaData` with the naming convention every ccokit schema shares."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (ccokit never stores naive times)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp column that accepts only aware datetimes and always returns UTC.

    SQLite keeps no zone, so values are normalised to UTC on the way in and marked UTC on the
    way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: ccokit stores timezone-aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TenantScoped:
    """Mixin for every model whose rows belong to one tenant.

    Declares ``tenant_id`` as the leading primary-key column. Put it first in the bases
    (``class Reply(TenantScoped, Base)``) and add your own ``id`` as the second key column. Every
    foreign key to another tenant table must include ``tenant_id`` too.
    """

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, sort_order=-100)


class TenantConfiguration:
    """Mixin for tenant tables that configure a workspace rather than record its work: custom
    field definitions, policies, rules, tier ladders. Such rows change seldom and are read by
    nearly every request, which is what :func:`cached_configuration` is for.

    Put it next to :class:`TenantScoped` (``class Rule(TenantScoped, TenantConfiguration, Base)``).
    Every insert, update or delete of such a row through the platform's session (ORM objects, and
    ``insert``/``update``/``delete`` statements on the model or its table) moves the tenant's
    configuration version in the same transaction, so every process drops what it cached of
    that tenant once the change commits. Changes made behind the session's back (raw SQL, another
    program) are not noticed.
    """


def cached_configuration(session: Session, key: str, load: Callable[[Session], T]) -> T:
    """``load(session)``, computed once per process while the session's tenant's configuration
    stays unchanged, and taken from the process's cache after that.

    ``key`` names what ``load`` reads (prefix it with your plugin's name: ``"gifts.card_types"``);
    ``load`` must read only :class:`TenantConfiguration` rows, and return plain data that
    nobody changes afterwards (tuples, frozen dataclasses, ``MappingProxyType``), never ORM
    objects: the value is shared by every request of the process, on every thread. Inside a
    transaction that has itself changed configuration, ``load`` runs every time, so a request
    sees its own changes. A session the platform did not make simply calls ``load``.
    """
    reader: Any = getattr(session, "cached_configuration", None)
    if reader is None:
        return load(session)
    return reader(key, load)  # type: ignore[no-any-return]


def tenant_of(session: Session) -> uuid.UUID | None:
    """The tenant a session the platform made is scoped to (``None`` outside any tenant).

    For primary-key look-ups, ``session.get(Model, (tenant_of(session), id))``, which answer
    from the session's identity map without a query when the row is already loaded.
    """
    tenant_id: Any = getattr(session, "tenant_id", None)
    return tenant_id if isinstance(tenant_id, uuid.UUID) else None


@contextmanager
def side_transaction(session: Session) -> Iterator[Session]:
    """A session of ``session``'s tenant in a short transaction of its own, on another connection,
    committed when the block ends (rolled back on an error) whatever becomes of ``session``.

    For the little that must not wait for the caller's transaction: taking the next value of a
    per-tenant counter in a side transaction holds the counter's row lock for the block only, so
    a workspace's concurrent requests do not queue behind each other's whole transaction. What it
    writes stays even if the caller's transaction rolls back (a number taken is then skipped).
    The sessions the platform hands to views, handlers and jobs all offer it; on SQLite, which
    has one writer at a time, keep such work in the caller's transaction instead.
    """
    opener: Any = getattr(session, "side_transaction", None)
    if opener is None:
        raise TypeError("side_transaction needs a session the platform made")
    with opener() as side:
        yield side
