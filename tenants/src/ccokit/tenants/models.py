"""Tables of the tenancy layer.

``tenants`` is shared by all tenants (it is the registry itself); ``members`` and
``tenant_plugins`` belong to one tenant each and carry ``tenant_id`` first in their keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKeyConstraint, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = ["MEMBER_ROLES", "TENANT_STATUSES", "Base", "Member", "Tenant", "TenantPlugin"]

TENANT_STATUSES = ("active", "suspended", "deleted")
MEMBER_ROLES = ("agent", "supervisor", "admin", "owner")


class Base(DeclarativeBase):
    metadata = make_metadata()


class Tenant(Base):
    """A merchant: the registry row every tenant-owned row points back to. Shared table."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Moves on with every change of the tenant's configuration rows, so that every process
    #: knows when what it cached of them is stale (see ``ccokit.tenants.configuration_cache``).
    config_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Member(TenantScoped, Base):
    """A person who works in a tenant's workspace: owner, admin, supervisor or agent."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TenantPlugin(TenantScoped, TenantConfiguration, Base):
    """Whether a plugin is enabled for a tenant, and the tenant's validated settings of it."""

    __tablename__ = "tenant_plugins"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
