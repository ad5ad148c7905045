"""The services other plugins use: ``customers.resolve``, ``customers.get``, ``customers.tier``.

Other plugins cannot import this module (plugins are independent), so what they get back are
small frozen dataclasses read by attribute: :class:`CustomerRef` and :class:`TierRef`. Their
fields are a stable contract (``docs/customers.md``); new fields may be added, none removed.

Each service takes the caller's tenant-scoped session and never commits: the caller's view, or
the platform around the caller's event handler, commits the effect with everything else.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import Customer, Tier
from ccokit.plugins.customers.schemas.contact import (
    normalise_channel,
    normalise_email,
    normalise_identifier,
    normalise_key,
    normalise_locale,
    normalise_phone,
)
from ccokit.plugins.customers.services.contacts import (
    FIELD_OF_KIND,
    ContactKey,
    add_contacts,
    insert_customer,
    live_customer,
    owner_or_new_customer,
    owners,
)
from ccokit.plugins.customers.services.errors import Publish
from ccokit.plugins.customers.services.profiles import public_id
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id
from ccokit_sdk.models import cached_configuration, utcnow
from ccokit_sdk.plugin import current

__all__ = ["CustomerRef", "TierRef", "customer_tier", "get_customer_ref", "resolve_customer"]


@dataclass(frozen=True)
class TierRef:
    """A member tier and what it earns, as routing and ticketing read it."""

    id: uuid.UUID
    public_id: str
    key: str
    name: str
    rank: int
    priority_boost: int
    sla_policy: str | None
    guarantees: tuple[str, ...]
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerRef:
    """A customer as other plugins see it; ``id`` is what they store (``public_id`` to show)."""

    id: uuid.UUID
    public_id: str
    name: str | None
    locale: str | None
    tier: TierRef | None
    erased: bool = False


def tier_ref(tier: Tier | None) -> TierRef | None:
    if tier is None:
        return None
    return TierRef(
        id=tier.id, public_id=encode_public_id("tier", tier.id), key=tier.key, name=tier.name,
        rank=tier.rank, priority_boost=tier.priority_boost, sla_policy=tier.sla_policy,
        guarantees=tuple(tier.guarantees or ()), names=dict(tier.names or {}),
    )


def tiers_by_id(session: Session) -> Mapping[uuid.UUID, TierRef]:
    """The workspace's tier ladder by tier id (from the configuration cache)."""
    return cached_configuration(session, "customers.tiers", _load_tiers)


def _load_tiers(session: Session) -> Mapping[uuid.UUID, TierRef]:
    return MappingProxyType({tier.id: tier_ref(tier) for tier in session.scalars(select(Tier))})  # type: ignore[misc]


def _tier_of(session: Session, customer: Customer) -> TierRef | None:
    return tiers_by_id(session).get(customer.tier_id) if customer.tier_id is not None else None


def customer_ref(customer: Customer, session: Session) -> CustomerRef:
    """The plain-value view of ``customer``, its tier from the cached ladder."""
    return CustomerRef(
        id=customer.id, public_id=public_id(customer), name=customer.name, locale=customer.locale,
        tier=_tier_of(session, customer), erased=customer.erased_at is not None,
    )


def _customer_id(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return decode_public_id("cus", value)
    except InvalidPublicId:
        return None


def get_customer_ref(session: Session, customer_id: uuid.UUID | str) -> CustomerRef | None:
    """``customers.get``: the customer ``customer_id`` (a UUID or ``cus_…``) names, following
    merges; ``None`` if there is none. Erased customers come back with ``erased=True``."""
    wanted = _customer_id(customer_id)
    customer = live_customer(session, wanted) if wanted is not None else None
    return customer_ref(customer, session) if customer is not None else None


def customer_tier(session: Session, customer_id: uuid.UUID | str) -> TierRef | None:
    """``customers.tier``: the tier of the customer (following merges), or ``None``."""
    wanted = _customer_id(customer_id)
    customer = live_customer(session, wanted, lean=True) if wanted is not None else None
    return _tier_of(session, customer) if customer is not None else None


def _keys(
    email: str | None, phone: str | None, chat_id: str | None, chat_channel: str | None,
    external_id: str | None, external_kind: str | None,
) -> list[ContactKey]:
    """The given contact points, normalised, strongest first: an id in the merchant's own
    systems, then email, phone, chat id. Raises ``ValueError`` for a malformed one."""
    if (chat_id is None) != (chat_channel is None):
        raise ValueError("customers.resolve: chat_id and chat_channel go together")
    if (external_id is None) != (external_kind is None):
        raise ValueError("customers.resolve: external_id and external_kind go together")
    keys: list[ContactKey] = []
    try:
        if external_id is not None and external_kind is not None:
            keys.append(("external", normalise_key(external_kind), normalise_identifier(external_id)))
        if email is not None:
            keys.append(("email", "", normalise_email(email)))
        if phone is not None:
            keys.append(("phone", "", normalise_phone(phone)))
        if chat_id is not None and chat_channel is not None:
            keys.append(("chat", normalise_channel(chat_channel), normalise_identifier(chat_id)))
    except ma.ValidationError as exc:
        message = exc.messages[0] if isinstance(exc.messages, list) else exc.messages
        raise ValueError(f"customers.resolve: {message}") from exc
    if not keys:
        raise ValueError("customers.resolve: give an email, a phone, a chat id or an external id")
    return keys


def _publisher(session: Session, publish: Publish | None) -> Publish | None:
    """``publish`` if given, else the request's when ``session`` is the request's session."""
    if publish is not None:
        return publish
    try:
        ctx = current()
    except RuntimeError:
        return None
    return ctx.publish if ctx.session is session else None


def resolve_customer(
    session: Session,
    *,
    email: str | None = None,
    phone: str | None = None,
    chat_id: str | None = None,
    chat_channel: str | None = None,
    external_id: str | None = None,
    external_kind: str | None = None,
    name: str | None = None,
    locale: str | None = None,
    create: bool = True,
    publish: Publish | None = None,
) -> CustomerRef | None:
    """``customers.resolve``: the customer any of the given contact points names, or a new one.

    - Found: the first owner in the order external id, email, phone, chat id. Given contact
      points nobody owns yet are added to it (the same message came from all of them), as are
      ``name`` and ``locale`` where the profile has none; ``customer.updated`` is published.
      Points another customer owns are left alone: merging is a person's decision.
    - Not found: with ``create`` a profile is made of all of them (``customer.created``);
      without, ``None``.

    ``publish`` is the caller's ``ctx.publish`` (required in event handlers and jobs; inside a
    request the request's is used). Raises ``ValueError`` for a malformed or missing contact
    point. Never commits.
    """
    keys = _keys(email, phone, chat_id, chat_channel, external_id, external_kind)
    clean_name = name.strip()[:200] or None if name else None
    clean_locale = _locale(locale)
    emit = _publisher(session, publish)

    def theirs() -> CustomerRef | None:
        # Someone created this shopper at the same moment: theirs is the profile.
        return resolve_customer(
            session, email=email, phone=phone, chat_id=chat_id, chat_channel=chat_channel,
            external_id=external_id, external_kind=external_kind, create=False, publish=emit,
        )

    if create and emit is not None and len(keys) == 1 and session.get_bind().dialect.name == "postgresql":
        # One contact point (a ticket's requester, a chat): look up or create in one statement.
        owner, customer_id = owner_or_new_customer(session, keys[0], clean_name, clean_locale)
        if customer_id is not None:
            return _created(customer_id, clean_name, clean_locale, emit)
        if owner is None:
            return theirs()
        taken = {keys[0]: owner}
    else:
        taken = owners(session, keys)
    owner = next((taken[key] for key in keys if key in taken), None)
    # Lean: a returning shopper's contact points are loaded only if one is to be added.
    customer = live_customer(session, owner, lean=True) if owner is not None else None
    if customer is not None:
        _enrich(session, customer, [k for k in keys if k not in taken], clean_name, clean_locale, emit)
        return customer_ref(customer, session)
    if not create:
        return None
    if emit is None:
        raise TypeError("customers.resolve creates a customer here: pass publish=ctx.publish")
    # A key with an owner whose profile is gone cannot be given to a new one either.
    customer_id = insert_customer(session, keys, clean_name, clean_locale) if not taken else None
    if customer_id is None:
        return theirs()
    return _created(customer_id, clean_name, clean_locale, emit)


def _created(customer_id: uuid.UUID, name: str | None, locale: str | None, emit: Publish) -> CustomerRef:
    created = CustomerRef(
        id=customer_id, public_id=encode_public_id("cus", customer_id), name=name, locale=locale, tier=None,
    )
    emit("customer.created", {"customer_id": created.public_id})
    return created


def _locale(locale: str | None) -> str | None:
    if not locale:
        return None
    try:
        return normalise_locale(locale)
    except ma.ValidationError:
        return None  # a channel's odd language tag is not worth refusing a shopper for


def _enrich(
    session: Session, customer: Customer, new_keys: list[ContactKey], name: str | None,
    locale: str | None, emit: Publish | None,
) -> None:
    changed: list[str] = []
    updates: dict[str, Any] = {}
    if name and not customer.name:
        updates["name"] = name
    if locale and not customer.locale:
        updates["locale"] = locale
    if not new_keys and not updates:
        return
    if emit is None:
        raise TypeError("customers.resolve adds to a profile here: pass publish=ctx.publish")
    try:
        with session.begin_nested():
            if add_contacts(customer, new_keys):
                changed.extend(dict.fromkeys(FIELD_OF_KIND[key[0]] for key in new_keys))
            for attr, value in updates.items():
                setattr(customer, attr, value)
                changed.append(attr)
            customer.updated_at = utcnow()
    except IntegrityError:
        return  # another request claimed one of the new points at the same moment; keep ours as is
    emit("customer.updated", {"customer_id": public_id(customer), "changed": changed})
