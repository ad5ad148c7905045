"""The customer tables: profiles, their contact points and tags, and the tenant's tier ladder.

One shopper is one ``customers`` row per tenant, however many channels they write from. Every
way to recognise them (an email, a phone, a chat id on one channel, an id in the merchant's own
systems) is a row of ``customer_contact_points``, unique per tenant, so one contact point names
one customer and a look-up is one probe of a tenant-led unique index.

A merged profile stays as a tombstone (``merged_into_id``) holding no personal data, so old ids
keep answering; an erased one stays as an anonymised stub (``erased_at``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = ["CONTACT_KINDS", "Base", "ContactPoint", "Customer", "CustomerTag", "Tier", "name_key"]

#: ``email`` and ``phone`` have no channel (``""``); ``chat`` has the chat channel (``wechat``);
#: ``external`` has the kind of id in the merchant's systems (``member_id``).
CONTACT_KINDS = ("email", "phone", "chat", "external")


class Base(DeclarativeBase):
    metadata = make_metadata()


class Tier(TenantScoped, TenantConfiguration, Base):
    """One rung of the tenant's member ladder and what it earns the customers who hold it."""

    __tablename__ = "customer_tiers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        UniqueConstraint("tenant_id", "rank"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    #: Stable machine name (``gold``); what imports, filters and other plugins use.
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    #: The name by language (``{"en": "Gold", "zh": "三点牛"}``), for consoles that show both.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Higher is better; one tier per rank.
    rank: Mapped[int] = mapped_column(Integer)
    #: Added to a conversation's or ticket's priority by routing and ticketing.
    priority_boost: Mapped[int] = mapped_column(Integer, default=0)
    #: Key of the SLA policy ticketing applies to this tier's tickets; ``None``: the default.
    sla_policy: Mapped[str | None] = mapped_column(String(60), nullable=True)
    #: Promises to this tier (``priority_refund``, ``low_burden_of_proof``).
    guarantees: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


def name_key(name: str | None) -> str | None:
    """What a customer's name is searched by (case-folded, at most 200 characters); the
    statements that insert customers without the ORM write it too."""
    return name.casefold()[:200] if name else None


class Customer(TenantScoped, Base):
    """One shopper of one tenant: the profile every channel and every plugin shares."""

    __tablename__ = "customers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "tier_id"], ["customer_tiers.tenant_id", "customer_tiers.id"]),
        ForeignKeyConstraint(["tenant_id", "merged_into_id"], ["customers.tenant_id", "customers.id"]),
        # Prefix search on the name (``q``): LIKE 'prefix%' needs text_pattern_ops on PostgreSQL.
        Index("ix_customers_tenant_id_name_key", "tenant_id", "name_key",
              postgresql_ops={"name_key": "text_pattern_ops"}),
        Index("ix_customers_tenant_id_tier_id", "tenant_id", "tier_id", "id"),
        Index("ix_customers_tenant_id_merged_into_id", "tenant_id", "merged_into_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: ``name`` case-folded, for prefix search; kept in step by :meth:`_fold_name`.
    name_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    tier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    # The joins name ``tenant_id`` but mark only the id column as foreign, so that clearing a
    # link sets ``tier_id`` (or removes a row) and never touches the tenant key.
    tier: Mapped[Tier | None] = relationship(
        lazy="joined",
        primaryjoin="and_(Customer.tenant_id == Tier.tenant_id, foreign(Customer.tier_id) == Tier.id)",
    )
    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin",
        order_by="ContactPoint.id",
        primaryjoin="and_(Customer.tenant_id == ContactPoint.tenant_id, "
                    "Customer.id == foreign(ContactPoint.customer_id))",
    )
    tag_rows: Mapped[list[CustomerTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CustomerTag.tag",
        primaryjoin="and_(Customer.tenant_id == CustomerTag.tenant_id, "
                    "Customer.id == foreign(CustomerTag.customer_id))",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @validates("name")
    def _fold_name(self, _key: str, value: str | None) -> str | None:
        self.name_key = name_key(value)
        return value

    # -- the profile as the API shows it ---------------------------------------------------
    def _values(self, kind: str) -> list[ContactPoint]:
        return [c for c in self.contact_points if c.kind == kind]

    @property
    def emails(self) -> list[str]:
        return [c.value for c in self._values("email")]

    @property
    def phones(self) -> list[str]:
        return [c.value for c in self._values("phone")]

    @property
    def chat_ids(self) -> list[dict[str, str]]:
        return [{"channel": c.channel, "id": c.value} for c in self._values("chat")]

    @property
    def external_ids(self) -> list[dict[str, str]]:
        return [{"kind": c.channel, "value": c.value} for c in self._values("external")]

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def tier_key(self) -> str | None:
        return self.tier.key if self.tier is not None else None


class ContactPoint(TenantScoped, Base):
    """One way to recognise a customer; ``(kind, channel, value)`` names one customer per tenant."""

    __tablename__ = "customer_contact_points"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "channel", "value"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        Index("ix_customer_contact_points_tenant_id_customer_id", "tenant_id", "customer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(40), default="")
    #: Normalised: emails lower-cased, phones as digits after an optional ``+``.
    value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(
        back_populates="contact_points",
        primaryjoin="and_(Customer.tenant_id == ContactPoint.tenant_id, "
                    "Customer.id == foreign(ContactPoint.customer_id))",
    )

    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.channel, self.value)


class CustomerTag(TenantScoped, Base):
    """A merchant's label on a customer (``vip``, ``wholesale``); its own table so that listing
    by tag is an index range on every database."""

    __tablename__ = "customer_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        Index("ix_customer_tags_tenant_id_tag", "tenant_id", "tag", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)

    def __init__(self, tag: str, **kwargs: Any) -> None:
        super().__init__(tag=tag, **kwargs)
