"""Contact points: who owns which, and the moves that keep "one contact point, one customer".

A contact point is addressed by its key ``(kind, channel, value)`` in its normalised spelling
(see :mod:`ccokit.plugins.customers.schemas.contact`); the unique index on that key per tenant
is what look-ups probe and what refuses a second owner.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import String, Uuid, bindparam, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload

from ccokit.plugins.customers.models import ContactPoint, Customer, name_key
from ccokit.plugins.customers.services.errors import ContactTaken
from ccokit_sdk.ids import new_id
from ccokit_sdk.models import tenant_of, utcnow

__all__ = [
    "FIELD_OF_KIND",
    "ContactKey",
    "add_contacts",
    "claim",
    "insert_customer",
    "keys_of_profile",
    "live_customer",
    "owner_or_new_customer",
    "owners",
    "set_contacts",
]

#: ``(kind, channel, value)``: ``("email", "", "wang@shop.cn")``, ``("chat", "wechat", "wxid_4kd9")``.
ContactKey = tuple[str, str, str]
FIELD_OF_KIND = {"email": "emails", "phone": "phones", "chat": "chat_ids", "external": "external_ids"}
_KIND_OF_FIELD = {field: kind for kind, field in FIELD_OF_KIND.items()}
_CHUNK = 500
#: Merges repoint older tombstones, so a chain is one hop; this only guards against a loop.
_MAX_HOPS = 8


def keys_of_profile(data: Mapping[str, Any]) -> dict[str, list[ContactKey]]:
    """The contact keys of each contact field given in ``data`` (loaded by a profile schema)."""
    keys: dict[str, list[ContactKey]] = {}
    for field, kind in _KIND_OF_FIELD.items():
        if field not in data:
            continue
        if kind in ("email", "phone"):
            keys[field] = [(kind, "", value) for value in data[field]]
        elif kind == "chat":
            keys[field] = [(kind, item["channel"], item["id"]) for item in data[field]]
        else:
            keys[field] = [(kind, item["kind"], item["value"]) for item in data[field]]
    return keys


def owners(session: Session, keys: Iterable[ContactKey]) -> dict[ContactKey, uuid.UUID]:
    """Which customer owns each of ``keys`` (those nobody owns are absent); one query per kind
    and channel and 500 values, each an index probe."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, channel, value in keys:
        groups[(kind, channel)].add(value)
    found: dict[ContactKey, uuid.UUID] = {}
    for (kind, channel), values in groups.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start:start + _CHUNK]
            if len(chunk) == 1:
                # One value (a ticket's requester, a chat) is the common case: a prepared
                # comparison spares the expanding IN its rendering on every execution.
                rows = session.execute(_OWNER_OF_ONE, {"kind": kind, "channel": channel, "value": chunk[0]})
            else:
                rows = session.execute(select(ContactPoint.value, ContactPoint.customer_id).where(
                    ContactPoint.kind == kind, ContactPoint.channel == channel, ContactPoint.value.in_(chunk),
                ))
            for value, customer_id in rows:
                found[(kind, channel, value)] = customer_id
    return found


def live_customer(session: Session, customer_id: uuid.UUID, *, lean: bool = False) -> Customer | None:
    """The customer ``customer_id`` names now: itself, or the profile it was merged into.

    ``lean`` leaves the contact points and tags to be loaded when touched (two statements fewer
    for a caller that wants only the profile and its tier, such as every new ticket's SLA)."""
    options = (lazyload(Customer.contact_points), lazyload(Customer.tag_rows)) if lean else ()
    tenant_id = tenant_of(session)

    def load(wanted: uuid.UUID) -> Customer | None:
        if tenant_id is not None:  # no query when this session has the profile already
            return session.get(Customer, (tenant_id, wanted), options=options)
        return session.scalar(select(Customer).where(Customer.id == wanted).options(*options))

    customer = load(customer_id)
    hops = 0
    while customer is not None and customer.merged_into_id is not None and hops < _MAX_HOPS:
        customer = load(customer.merged_into_id)
        hops += 1
    return customer


# Built once: a statement object is compiled once and keeps its cache key, where one built per
# call is taken apart again on every execution to find its compiled form.
_customers, _points = Customer.__table__, ContactPoint.__table__
_INSERT_CUSTOMER = insert(_customers)
_DELETE_CUSTOMER = delete(_customers).where(
    _customers.c.tenant_id == bindparam("tenant_id"), _customers.c.id == bindparam("id")
)
_INSERT_POINTS = {
    is_postgres: dialect.insert(_points)
    .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "channel", "value"])
    .returning(_points.c.kind, _points.c.channel, _points.c.value)
    for is_postgres, dialect in ((True, postgresql), (False, sqlite))
}
_OWNER_OF_ONE = select(ContactPoint.value, ContactPoint.customer_id).where(
    ContactPoint.kind == bindparam("kind"), ContactPoint.channel == bindparam("channel"),
    ContactPoint.value == bindparam("value"),
)


def insert_customer(
    session: Session, keys: list[ContactKey], name: str | None, locale: str | None
) -> uuid.UUID | None:
    """Insert a customer owning ``keys`` (normalised, none owned a moment ago); its id, or
    ``None`` when another transaction took one of the keys first (nothing is left behind then).

    Two statements without a savepoint: the profile row, then its contact points with
    ``ON CONFLICT DO NOTHING`` on the per-tenant unique key. A key taken meanwhile (PostgreSQL
    waits for the other transaction to commit) comes back missing from ``RETURNING``, and the
    profile is deleted again, its contact points with it (the foreign key cascades). This is
    every new ticket's requester, so it stays off the ORM's unit of work.
    """
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("customers are created in a tenant-scoped session")
    customer_id, now = new_id(), utcnow()
    session.execute(_INSERT_CUSTOMER, {
        "tenant_id": tenant_id, "id": customer_id, "name": name,
        "name_key": name_key(name), "locale": locale,
        "created_at": now, "updated_at": now, "version": 1,
    })
    rows = [
        {"tenant_id": tenant_id, "id": new_id(), "customer_id": customer_id, "kind": kind,
         "channel": channel, "value": value, "created_at": now}
        for kind, channel, value in dict.fromkeys(keys)
    ]
    insert_points = _INSERT_POINTS[session.get_bind().dialect.name == "postgresql"]
    # One row (a ticket's requester) is one statement; several go as one multi-row INSERT.
    added = session.execute(insert_points, rows[0] if len(rows) == 1 else rows).all()
    if len(added) == len(rows):  # every key is ours
        return customer_id
    session.execute(_DELETE_CUSTOMER, {"tenant_id": tenant_id, "id": customer_id})
    return None


#: The owner of one contact point, or a new profile owning it, in one statement (PostgreSQL).
#: ``owner`` reads the key; only if nobody owns it, ``profile`` inserts the customer and
#: ``point`` its contact point (the profile's row, inserted by the same statement, satisfies the
#: foreign key). A key another transaction took meanwhile makes ``point`` insert nothing (after
#: waiting for that transaction), and the caller deletes the orphaned profile.
_OWNER_OR_NEW = text("""
WITH owner AS (
    SELECT customer_id FROM customer_contact_points
    WHERE tenant_id = :tenant_id AND kind = :kind AND channel = :channel AND value = :value
), profile AS (
    INSERT INTO customers (tenant_id, id, name, name_key, locale, created_at, updated_at, version)
    SELECT :tenant_id, :id, :name, :name_key, :locale, :now, :now, 1
    WHERE NOT EXISTS (SELECT FROM owner)
    RETURNING id
), point AS (
    INSERT INTO customer_contact_points (tenant_id, id, customer_id, kind, channel, value, created_at)
    SELECT :tenant_id, :point_id, profile.id, :kind, :channel, :value, :now FROM profile
    ON CONFLICT (tenant_id, kind, channel, value) DO NOTHING
    RETURNING customer_id
)
SELECT (SELECT customer_id FROM owner), (SELECT id FROM profile), (SELECT customer_id FROM point)
""").bindparams(
    *(bindparam(name, type_=Uuid()) for name in ("tenant_id", "id", "point_id")),
    *(bindparam(name, type_=String()) for name in ("kind", "channel", "value", "name", "name_key", "locale")),
    bindparam("now", type_=Customer.__table__.c.created_at.type),
)


def owner_or_new_customer(
    session: Session, key: ContactKey, name: str | None, locale: str | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """On PostgreSQL: ``(owner, None)`` if a customer owns ``key`` (normalised), else
    ``(None, new)`` with a new customer owning it, in one round trip; ``(None, None)`` if another
    transaction took the key at the same moment (nothing is left behind then).

    What a new ticket's requester needs: the look-up and, for a first-time shopper, the two
    inserts, which :func:`owners` and :func:`insert_customer` do in three statements elsewhere.
    """
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("customers are created in a tenant-scoped session")
    kind, channel, value = key
    owner, profile, created = session.execute(_OWNER_OR_NEW, {
        "tenant_id": tenant_id, "id": new_id(), "point_id": new_id(), "kind": kind, "channel": channel,
        "value": value, "name": name, "name_key": name_key(name),
        "locale": locale, "now": utcnow(),
    }).one()
    if owner is not None or created is not None:
        return owner, created
    if profile is not None:
        session.execute(_DELETE_CUSTOMER, {"tenant_id": tenant_id, "id": profile})
    return None, None


def claim(
    session: Session, customer_id: uuid.UUID | None, keys_by_field: Mapping[str, list[ContactKey]]
) -> None:
    """Raise :class:`ContactTaken` if a customer other than ``customer_id`` (``None``: a new one)
    owns any of the keys."""
    wanted = [key for keys in keys_by_field.values() for key in keys]
    taken = owners(session, wanted)
    for field, keys in keys_by_field.items():
        for key in keys:
            owner = taken.get(key)
            if owner is not None and owner != customer_id:
                raise ContactTaken(field, key[2], owner)


def set_contacts(customer: Customer, keys_by_field: Mapping[str, list[ContactKey]]) -> bool:
    """Make each given field's contact points exactly ``keys`` (others untouched); returns
    whether anything changed. Call :func:`claim` first."""
    changed = False
    for field, keys in keys_by_field.items():
        kind = _KIND_OF_FIELD[field]
        current = {c.key(): c for c in customer.contact_points if c.kind == kind}
        for key, point in current.items():
            if key not in keys:
                customer.contact_points.remove(point)
                changed = True
        for key in keys:
            if key not in current:
                customer.contact_points.append(ContactPoint(kind=key[0], channel=key[1], value=key[2]))
                changed = True
    return changed


def add_contacts(customer: Customer, keys: Iterable[ContactKey]) -> bool:
    """Add the keys the customer does not have yet; returns whether any was added."""
    have = {c.key() for c in customer.contact_points}
    added = False
    for key in keys:
        if key not in have:
            customer.contact_points.append(ContactPoint(kind=key[0], channel=key[1], value=key[2]))
            have.add(key)
            added = True
    return added
