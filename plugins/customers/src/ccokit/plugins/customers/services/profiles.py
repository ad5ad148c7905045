"""Customer profiles: listing, look-up, creation and change.

Every change checks first that no other customer owns the contact points it claims (so the
answer can name that customer), then writes in a savepoint, so a profile created at the same
moment with the same email fails as :class:`ContactTaken` rather than as a broken transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import ContactPoint, Customer, CustomerTag, Tier
from ccokit.plugins.customers.services.contacts import (
    ContactKey,
    claim,
    keys_of_profile,
    live_customer,
    owners,
    set_contacts,
)
from ccokit.plugins.customers.services.errors import CustomerErased, Publish
from ccokit.plugins.customers.services.tiers import tier_by_key
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import utcnow

__all__ = [
    "create_customer",
    "get_customer",
    "list_query",
    "lookup_customer",
    "lookup_key",
    "public_id",
    "set_tags",
    "update_customer",
    "writing",
]

_SCALARS = ("name", "locale", "notes")


def public_id(customer: Customer) -> str:
    return encode_public_id("cus", customer.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lookup_key(args: Mapping[str, Any]) -> ContactKey | None:
    """The contact key named by look-up arguments (``email``, ``phone``, a chat or external pair)."""
    if "email" in args:
        return ("email", "", args["email"])
    if "phone" in args:
        return ("phone", "", args["phone"])
    if "chat_id" in args:
        return ("chat", args["chat_channel"], args["chat_id"])
    if "external_id" in args:
        return ("external", args["external_kind"], args["external_id"])
    return None


def list_query(args: Mapping[str, Any]) -> Select[Any]:
    """Live customers (not merged away, not erased) matching every filter in ``args``."""
    stmt = select(Customer).where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
    if args.get("tag"):
        stmt = stmt.where(exists().where(
            CustomerTag.tenant_id == Customer.tenant_id, CustomerTag.customer_id == Customer.id,
            CustomerTag.tag == args["tag"],
        ))
    if args.get("tier"):
        stmt = stmt.where(Customer.tier_id.in_(select(Tier.id).where(Tier.key == args["tier"])))
    if args.get("q"):
        stmt = stmt.where(Customer.name_key.like(_escape_like(args["q"].casefold()) + "%", escape="\\"))
    for key in _contact_filters(args):
        stmt = stmt.where(exists().where(
            ContactPoint.tenant_id == Customer.tenant_id, ContactPoint.customer_id == Customer.id,
            ContactPoint.kind == key[0], ContactPoint.channel == key[1], ContactPoint.value == key[2],
        ))
    return stmt


def _contact_filters(args: Mapping[str, Any]) -> Iterator[ContactKey]:
    for name in ("email", "phone", "chat_id", "external_id"):
        if name in args:
            key = lookup_key({k: args[k] for k in (name, "chat_channel", "external_kind") if k in args})
            if key is not None:
                yield key


def get_customer(session: Session, customer_id: uuid.UUID) -> Customer | None:
    """The profile ``customer_id`` names, following merges (erased profiles included)."""
    return live_customer(session, customer_id)


def lookup_customer(session: Session, key: ContactKey) -> Customer | None:
    owner = owners(session, [key]).get(key)
    return live_customer(session, owner) if owner is not None else None


def set_tags(customer: Customer, tags: list[str]) -> bool:
    """Make the customer's tags exactly ``tags``; returns whether they changed."""
    wanted = set(tags)
    changed = False
    for row in list(customer.tag_rows):
        if row.tag not in wanted:
            customer.tag_rows.remove(row)
            changed = True
    have = {row.tag for row in customer.tag_rows}
    for tag in tags:
        if tag not in have:
            customer.tag_rows.append(CustomerTag(tag))
            have.add(tag)
            changed = True
    return changed


@contextmanager
def writing(
    session: Session, keys_by_field: Mapping[str, list[ContactKey]], customer_id: uuid.UUID | None
) -> Iterator[None]:
    """A savepoint around a write that claims contact points; a key claimed by someone else
    at the same moment is reported as :class:`ContactTaken` naming them."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        claim(session, customer_id, keys_by_field)  # raises ContactTaken naming the new owner
        raise


def create_customer(session: Session, data: Mapping[str, Any], publish: Publish) -> Customer:
    """A new profile from loaded ``CustomerSchema`` data; publishes ``customer.created``."""
    keys = keys_of_profile(data)
    tier = tier_by_key(session, data["tier_key"]) if data.get("tier_key") else None
    claim(session, None, keys)
    customer = Customer(**{name: data.get(name) for name in _SCALARS})
    with writing(session, keys, None):
        customer.tier = tier
        set_contacts(customer, keys)
        set_tags(customer, data.get("tags") or [])
        session.add(customer)
    publish("customer.created", {"customer_id": public_id(customer)})
    return customer


def update_customer(
    session: Session, customer: Customer, changes: Mapping[str, Any], publish: Publish
) -> Customer:
    """Apply a loaded ``CustomerPatchSchema`` change; publishes ``customer.updated`` with the
    names of the fields that changed, and ``customer.tier_changed`` when the tier did."""
    if customer.erased_at is not None:
        raise CustomerErased(customer.id)
    keys = keys_of_profile(changes)
    claim(session, customer.id, keys)
    new_tier = customer.tier
    if "tier_key" in changes:
        new_tier = tier_by_key(session, changes["tier_key"]) if changes["tier_key"] else None
    previous_tier = customer.tier_key
    changed: list[str] = []
    with writing(session, keys, customer.id):
        for name in _SCALARS:
            if name in changes and getattr(customer, name) != changes[name]:
                setattr(customer, name, changes[name])
                changed.append(name)
        if new_tier is not customer.tier:
            customer.tier = new_tier
            changed.append("tier")
        for field, field_keys in keys.items():
            if set_contacts(customer, {field: field_keys}):
                changed.append(field)
        if "tags" in changes and set_tags(customer, changes["tags"]):
            changed.append("tags")
        if changed:
            customer.updated_at = utcnow()
    if changed:
        publish("customer.updated", {"customer_id": public_id(customer), "changed": changed})
    if "tier" in changed:
        publish("customer.tier_changed", {
            "customer_id": public_id(customer), "tier": customer.tier_key, "previous_tier": previous_tier,
        })
    return customer
