"""The tenant registry and its members: create, find, suspend, delete.

Functions take the session explicitly and never commit: the caller owns the transaction, so a
sign-up that fails half-way (a plugin hook raising, the OAuth client failing) leaves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, MetaData, Uuid, bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from ccokit.tenants.database import TENANT_SETTING, TenantSession
from ccokit.tenants.errors import EmailTaken, SlugTaken
from ccokit.tenants.models import Member, Tenant
from ccokit.tenants.passwords import hash_password, needs_rehash, verify_password
from ccokit.tenants.plans import get_plan
from ccokit_sdk.models import utcnow

__all__ = [
    "TenantSummary",
    "add_member",
    "authenticate_member",
    "count_members",
    "create_tenant",
    "find_tenant_by_slug",
    "get_tenant",
    "purge_tenant_rows",
    "scope_to_tenant",
    "set_tenant_status",
    "tenant_summary",
]

RESERVED_SLUGS = frozenset({"api", "admin", "oauth", "www", "static", "console", "ccokit"})


def create_tenant(session: TenantSession, *, slug: str, name: str, plan: str) -> Tenant:
    """Register a tenant and scope ``session`` to it, ready for its first rows."""
    get_plan(plan)
    if slug in RESERVED_SLUGS or find_tenant_by_slug(session, slug) is not None:
        raise SlugTaken(slug)
    tenant = Tenant(slug=slug, name=name, plan=plan, status="active")
    session.add(tenant)
    session.flush()
    session.set_tenant(tenant.id)
    return tenant


def get_tenant(session: Session, tenant_id: uuid.UUID) -> Tenant | None:
    return session.get(Tenant, tenant_id)


@dataclass(frozen=True)
class TenantSummary:
    """What every authenticated request needs of its tenant, read without building an ORM
    object (the routes that change the tenant load it with :func:`get_tenant`)."""

    id: uuid.UUID
    slug: str
    name: str
    plan: str
    status: str
    created_at: datetime
    config_version: int


_SUMMARY = select(
    Tenant.__table__.c.id, Tenant.__table__.c.slug, Tenant.__table__.c.name, Tenant.__table__.c.plan,
    Tenant.__table__.c.status, Tenant.__table__.c.created_at, Tenant.__table__.c.config_version,
).where(Tenant.__table__.c.id == bindparam("tenant_id"))


#: The same, applying the tenant's row-level-security setting as it reads (see begin_scoped).
_SCOPE_AND_SUMMARY = select(
    func.set_config(TENANT_SETTING, bindparam("tenant_setting"), True), *_SUMMARY.selected_columns,
).where(Tenant.__table__.c.id == bindparam("tenant_id"))


def tenant_summary(session: Session, tenant_id: uuid.UUID) -> TenantSummary | None:
    """The tenant's :class:`TenantSummary`, or ``None`` if there is no such tenant."""
    row = session.execute(_SUMMARY, {"tenant_id": tenant_id}).one_or_none()
    return TenantSummary(*row) if row is not None else None


def scope_to_tenant(session: TenantSession, tenant_id: uuid.UUID) -> TenantSummary | None:
    """Scope ``session`` to ``tenant_id`` and read the tenant's summary (``None`` if there is
    no such tenant). On PostgreSQL one statement does both when it opens the transaction, as
    for every authenticated request."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.begin_scoped(tenant_id, _SCOPE_AND_SUMMARY, {"tenant_id": tenant_id})
        return TenantSummary(*rows[0][1:]) if rows else None
    session.set_tenant(tenant_id)
    return tenant_summary(session, tenant_id)


def find_tenant_by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def set_tenant_status(session: Session, tenant: Tenant, status: str) -> Tenant:
    if status not in ("active", "suspended"):
        raise ValueError(f"cannot set status {status!r} directly")
    tenant.status = status
    return tenant


def add_member(
    session: TenantSession,
    *,
    email: str,
    password: str | None,
    role: str,
    display_name: str,
    locale: str = "en",
) -> Member:
    """Add a member to the session's tenant; the email is unique within the tenant."""
    email = email.strip().lower()
    if session.scalar(select(Member.id).where(Member.email == email)) is not None:
        raise EmailTaken(email)
    member = Member(
        email=email,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password) if password else None,
        locale=locale,
    )
    session.add(member)
    session.flush()
    return member


def count_members(session: TenantSession) -> int:
    return session.scalar(select(func.count()).select_from(Member).where(Member.status == "active")) or 0


def authenticate_member(session: TenantSession, email: str, password: str) -> Member | None:
    """Check a member's password in the session's tenant; upgrade the hash when parameters grew."""
    member = session.scalar(
        select(Member).where(Member.email == email.strip().lower(), Member.status == "active")
    )
    if not verify_password(member.password_hash if member else None, password):
        return None
    assert member is not None
    if member.password_hash and needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    member.last_login_at = utcnow()
    return member


def _tenant_tables_in_delete_order(connection: Connection) -> Sequence[str]:
    meta = MetaData()
    meta.reflect(bind=connection)
    tables = [t for t in meta.sorted_tables if "tenant_id" in t.c]
    return [t.name for t in reversed(tables)]


def purge_tenant_rows(session: TenantSession, tenant_id: uuid.UUID) -> dict[str, int]:
    """Delete every row of ``tenant_id`` in every table that has a ``tenant_id``, then the tenant.

    The table list comes from the database catalogue rather than from the installed code, so a
    plugin that was uninstalled still has its rows removed. Runs in the caller's transaction.
    """
    session.set_tenant(tenant_id)
    connection = session.connection()
    removed: dict[str, int] = {}
    quote = connection.dialect.identifier_preparer.quote
    for table in _tenant_tables_in_delete_order(connection):
        result = connection.execute(
            text(f"DELETE FROM {quote(table)} WHERE tenant_id = :tid").bindparams(  # noqa: S608
                bindparam("tid", type_=Uuid)
            ),
            {"tid": tenant_id},
        )
        removed[table] = result.rowcount
    session.execute(delete(Tenant).where(Tenant.id == tenant_id))
    return removed
