"""``client.customers``: one profile per shopper (会员通), and ``client.customers.tiers``, the ladder.

Needs the customers plugin (on by default). A profile holds the shopper's contact points
(emails, phones, chat ids, the ids your own systems give them), each naming one customer of the
workspace: ``lookup`` finds who one names, ``merge`` joins two profiles of one person, ``erase``
removes a person's personal data for good. ``tier`` is the key of one of the workspace's tiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, many, nulls, path

__all__ = [
    "AsyncCustomerService",
    "AsyncTierService",
    "ChatId",
    "Customer",
    "CustomerService",
    "ExternalId",
    "Tier",
    "TierService",
]

URL = "/api/v1/customers/customers"
ONE = "/api/v1/customers/customers/{}"
LOOKUP = "/api/v1/customers/customers/lookup"
TIERS = "/api/v1/customers/tiers"
TIER = "/api/v1/customers/tiers/{}"

Contacts = Sequence[Mapping[str, str]] | None


@dataclass(frozen=True, kw_only=True)
class ChatId(APIObject):
    """An id on a chat channel: ``channel`` (``wechat``, ``wangwang``, ``web``, ...) and ``id``."""

    channel: str
    id: str


@dataclass(frozen=True, kw_only=True)
class ExternalId(APIObject):
    """The customer's id in your own systems: ``kind`` (``member_id``) and ``value``."""

    kind: str
    value: str


@dataclass(frozen=True, kw_only=True)
class Customer(APIObject):
    """A customer profile (``cus_…``); contact points as ccokit stores them (emails lower-cased,
    phones as digits). ``erased_at`` is set once the personal data was erased."""

    id: str
    name: str | None
    emails: list[str]
    phones: list[str]
    chat_ids: list[ChatId]
    external_ids: list[ExternalId]
    locale: str | None
    tier: str | None
    tags: list[str]
    notes: str | None
    erased_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Tier(APIObject):
    """A member tier (``tier_…``): ``key`` is fixed at creation, ``rank`` higher is better; what it
    earns is ``priority_boost``, ``sla_policy`` (a ticketing SLA policy's key) and ``guarantees``."""

    id: str
    key: str
    name: str
    names: dict[str, str]
    rank: int
    priority_boost: int
    sla_policy: str | None
    guarantees: list[str]
    created_at: datetime
    updated_at: datetime


def _contacts(values: Contacts) -> list[dict[str, str]] | None:
    return [dict(value) for value in values] if values is not None else None


def _profile(
    name: str | None, emails: Sequence[str] | None, phones: Sequence[str] | None, chat_ids: Contacts,
    external_ids: Contacts, locale: str | None, tier: str | None, tags: Sequence[str] | None,
    notes: str | None,
) -> dict[str, Any]:
    return fields(
        name=name, emails=many(emails), phones=many(phones), chat_ids=_contacts(chat_ids),
        external_ids=_contacts(external_ids), locale=locale, tier=tier, tags=many(tags), notes=notes,
    )


def _contact_query(
    email: str | None, phone: str | None, chat_channel: str | None, chat_id: str | None,
    external_kind: str | None, external_id: str | None,
) -> dict[str, Any]:
    return fields(email=email, phone=phone, chat_channel=chat_channel, chat_id=chat_id,
                  external_kind=external_kind, external_id=external_id)


def _tier_body(
    name: str | None, names: Mapping[str, str] | None, rank: int | None, priority_boost: int | None,
    sla_policy: str | None, guarantees: Sequence[str] | None,
) -> dict[str, Any]:
    return fields(name=name, names=dict(names) if names is not None else None, rank=rank,
                  priority_boost=priority_boost, sla_policy=sla_policy, guarantees=many(guarantees))


class TierService(Namespace):
    def list(self) -> Pager[Tier]:
        """The ladder, lowest rank first (scope ``customers:read``; one page, at most 20 tiers)."""
        return self._list(Tier, TIERS)

    def create(
        self,
        *,
        key: str,
        name: str,
        rank: int,
        names: Mapping[str, str] | None = None,
        priority_boost: int | None = None,
        sla_policy: str | None = None,
        guarantees: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Tier:
        """Add a tier (scope ``customers:admin``); 409 if the key or the rank is taken."""
        body = {"key": key, **_tier_body(name, names, rank, priority_boost, sla_policy, guarantees)}
        return self._call(Tier, "POST", TIERS, body=body, idempotency_key=idempotency_key)

    def get(self, tier_id: str) -> Tier:
        return self._call(Tier, "GET", path(TIER, tier_id))

    def update(
        self,
        tier_id: str,
        *,
        name: str | None = None,
        names: Mapping[str, str] | None = None,
        rank: int | None = None,
        priority_boost: int | None = None,
        sla_policy: str | None = None,
        guarantees: Sequence[str] | None = None,
        clear: Sequence[str] | None = None,
    ) -> Tier:
        """Change the given fields (not ``key``); ``clear=["sla_policy"]`` goes back to the default policy."""
        body = {**_tier_body(name, names, rank, priority_boost, sla_policy, guarantees), **nulls(clear)}
        return self._call(Tier, "PATCH", path(TIER, tier_id), body=body)

    def delete(self, tier_id: str) -> None:
        """Remove a tier nobody holds (409 while customers do)."""
        self._call_no_content("DELETE", path(TIER, tier_id))


class CustomerService(Namespace):
    """``client.customers``, with ``tiers`` for the workspace's member tiers."""

    def __init__(self, engine: SyncEngine) -> None:
        super().__init__(engine)
        self.tiers = TierService(engine)

    def list(
        self,
        *,
        tag: str | None = None,
        tier: str | None = None,
        q: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        chat_channel: str | None = None,
        chat_id: str | None = None,
        external_kind: str | None = None,
        external_id: str | None = None,
        limit: int | None = None,
    ) -> Pager[Customer]:
        """Live profiles oldest first, matching every filter given (scope ``customers:read``).

        ``q`` is the start of the name, in any case; ``tier`` a tier's key; the contact filters
        are exact (``chat_id`` with ``chat_channel``, ``external_id`` with ``external_kind``).
        """
        query = {**fields(tag=tag, tier=tier, q=q),
                 **_contact_query(email, phone, chat_channel, chat_id, external_kind, external_id)}
        return self._list(Customer, URL, query, limit)

    def create(
        self,
        *,
        name: str | None = None,
        emails: Sequence[str] | None = None,
        phones: Sequence[str] | None = None,
        chat_ids: Contacts = None,
        external_ids: Contacts = None,
        locale: str | None = None,
        tier: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> Customer:
        """Add a profile with a name or at least one contact point (scope ``customers:write``).

        ``chat_ids`` are ``{"channel": ..., "id": ...}``, ``external_ids`` ``{"kind": ..., "value": ...}``;
        409 (:class:`~ccokit_sdk.errors.Conflict`) if a contact point already names a customer.
        """
        body = _profile(name, emails, phones, chat_ids, external_ids, locale, tier, tags, notes)
        return self._call(Customer, "POST", URL, body=body, idempotency_key=idempotency_key)

    def get(self, customer_id: str) -> Customer:
        """The profile; an id merged away answers with the profile it was merged into."""
        return self._call(Customer, "GET", path(ONE, customer_id))

    def update(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        emails: Sequence[str] | None = None,
        phones: Sequence[str] | None = None,
        chat_ids: Contacts = None,
        external_ids: Contacts = None,
        locale: str | None = None,
        tier: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        clear: Sequence[str] | None = None,
    ) -> Customer:
        """Change the given fields; a list given replaces the one kept, ``None`` keeps a field,
        ``clear`` names fields to empty (``clear=["tier"]``: out of every tier)."""
        body = {**_profile(name, emails, phones, chat_ids, external_ids, locale, tier, tags, notes),
                **nulls(clear)}
        return self._call(Customer, "PATCH", path(ONE, customer_id), body=body)

    def lookup(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        chat_channel: str | None = None,
        chat_id: str | None = None,
        external_kind: str | None = None,
        external_id: str | None = None,
    ) -> Customer:
        """The customer one contact point names (give exactly one); :class:`~ccokit_sdk.errors.NotFound`
        if nobody."""
        query = _contact_query(email, phone, chat_channel, chat_id, external_kind, external_id)
        return self._call(Customer, "GET", LOOKUP, params=query)

    def merge(self, customer_id: str, *, source_id: str) -> Customer:
        """Merge the profile ``source_id`` into this one (same person); the source's id then answers
        with this profile, and other plugins move their records (tickets follow)."""
        return self._call(Customer, "POST", path(ONE + "/merge", customer_id), body={"source_id": source_id})

    def erase(self, customer_id: str) -> Customer:
        """Erase the customer's personal data for good (GDPR, PIPL; scope ``customers:admin``);
        the profile stays as an anonymised stub. Repeating it changes nothing."""
        return self._call(Customer, "POST", path(ONE + "/erase", customer_id))


class AsyncTierService(AsyncNamespace):
    def list(self) -> AsyncPager[Tier]:
        """The ladder, lowest rank first (one page, at most 20 tiers)."""
        return self._list(Tier, TIERS)

    async def create(
        self,
        *,
        key: str,
        name: str,
        rank: int,
        names: Mapping[str, str] | None = None,
        priority_boost: int | None = None,
        sla_policy: str | None = None,
        guarantees: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Tier:
        """Add a tier (scope ``customers:admin``); 409 if the key or the rank is taken."""
        body = {"key": key, **_tier_body(name, names, rank, priority_boost, sla_policy, guarantees)}
        return await self._call(Tier, "POST", TIERS, body=body, idempotency_key=idempotency_key)

    async def get(self, tier_id: str) -> Tier:
        return await self._call(Tier, "GET", path(TIER, tier_id))

    async def update(
        self,
        tier_id: str,
        *,
        name: str | None = None,
        names: Mapping[str, str] | None = None,
        rank: int | None = None,
        priority_boost: int | None = None,
        sla_policy: str | None = None,
        guarantees: Sequence[str] | None = None,
        clear: Sequence[str] | None = None,
    ) -> Tier:
        """Change the given fields (not ``key``); ``clear`` names fields to empty."""
        body = {**_tier_body(name, names, rank, priority_boost, sla_policy, guarantees), **nulls(clear)}
        return await self._call(Tier, "PATCH", path(TIER, tier_id), body=body)

    async def delete(self, tier_id: str) -> None:
        """Remove a tier nobody holds (409 while customers do)."""
        await self._call_no_content("DELETE", path(TIER, tier_id))


class AsyncCustomerService(AsyncNamespace):
    """``client.customers`` of :class:`~ccokit_sdk.AsyncClient`, with ``tiers``."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.tiers = AsyncTierService(engine)

    def list(
        self,
        *,
        tag: str | None = None,
        tier: str | None = None,
        q: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        chat_channel: str | None = None,
        chat_id: str | None = None,
        external_kind: str | None = None,
        external_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Customer]:
        """Live profiles oldest first, matching every filter given (see :meth:`CustomerService.list`)."""
        query = {**fields(tag=tag, tier=tier, q=q),
                 **_contact_query(email, phone, chat_channel, chat_id, external_kind, external_id)}
        return self._list(Customer, URL, query, limit)

    async def create(
        self,
        *,
        name: str | None = None,
        emails: Sequence[str] | None = None,
        phones: Sequence[str] | None = None,
        chat_ids: Contacts = None,
        external_ids: Contacts = None,
        locale: str | None = None,
        tier: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> Customer:
        """Add a profile with a name or at least one contact point (scope ``customers:write``)."""
        body = _profile(name, emails, phones, chat_ids, external_ids, locale, tier, tags, notes)
        return await self._call(Customer, "POST", URL, body=body, idempotency_key=idempotency_key)

    async def get(self, customer_id: str) -> Customer:
        """The profile; an id merged away answers with the profile it was merged into."""
        return await self._call(Customer, "GET", path(ONE, customer_id))

    async def update(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        emails: Sequence[str] | None = None,
        phones: Sequence[str] | None = None,
        chat_ids: Contacts = None,
        external_ids: Contacts = None,
        locale: str | None = None,
        tier: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        clear: Sequence[str] | None = None,
    ) -> Customer:
        """Change the given fields; see :meth:`CustomerService.update`."""
        body = {**_profile(name, emails, phones, chat_ids, external_ids, locale, tier, tags, notes),
                **nulls(clear)}
        return await self._call(Customer, "PATCH", path(ONE, customer_id), body=body)

    async def lookup(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        chat_channel: str | None = None,
        chat_id: str | None = None,
        external_kind: str | None = None,
        external_id: str | None = None,
    ) -> Customer:
        """The customer one contact point names (give exactly one); NotFound if nobody."""
        query = _contact_query(email, phone, chat_channel, chat_id, external_kind, external_id)
        return await self._call(Customer, "GET", LOOKUP, params=query)

    async def merge(self, customer_id: str, *, source_id: str) -> Customer:
        """Merge the profile ``source_id`` into this one (see :meth:`CustomerService.merge`)."""
        return await self._call(
            Customer, "POST", path(ONE + "/merge", customer_id), body={"source_id": source_id}
        )

    async def erase(self, customer_id: str) -> Customer:
        """Erase the customer's personal data for good (scope ``customers:admin``)."""
        return await self._call(Customer, "POST", path(ONE + "/erase", customer_id))
