"""The tier ladder: each tenant's member tiers, ranked, and what each earns.

Tiers are configuration: the views that change them audit the change. Keys never change once
set, because imports, filters, events and other plugins name tiers by key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import Customer, Tier
from ccokit.plugins.customers.schemas.tiers import MAX_TIERS
from ccokit.plugins.customers.services.errors import TierInUse, TierTaken, TooManyTiers, UnknownTier

__all__ = [
    "DEFAULT_LADDER",
    "create_tier",
    "delete_tier",
    "get_tier",
    "ladder_query",
    "seed_ladder",
    "tier_by_key",
    "tier_state",
    "update_tier",
]

#: The four tiers a new workspace starts with (a dairy brand's ladder): key, en, zh, boost,
#: SLA policy, guarantees. Merchants rename, re-rank or remove them.
DEFAULT_LADDER: tuple[tuple[str, str, str, int, str | None, tuple[str, ...]], ...] = (
    ("bronze", "Bronze", "一点牛", 0, None, ()),
    ("silver", "Silver", "二点牛", 10, None, ()),
    ("gold", "Gold", "三点牛", 20, "priority", ("priority_refund",)),
    ("platinum", "Platinum", "超级牛", 40, "vip", ("priority_refund", "low_burden_of_proof")),
)
_FIELDS = ("name", "names", "rank", "priority_boost", "sla_policy", "guarantees")


def ladder_query() -> Select[Any]:
    return select(Tier).order_by(Tier.rank)


def get_tier(session: Session, tier_id: uuid.UUID) -> Tier | None:
    return session.scalar(select(Tier).where(Tier.id == tier_id))


def tier_by_key(session: Session, key: str) -> Tier:
    tier = session.scalar(select(Tier).where(Tier.key == key))
    if tier is None:
        raise UnknownTier(key)
    return tier


def tier_state(tier: Tier) -> dict[str, Any]:
    """The tier as the audit log records it."""
    return {"key": tier.key, **{name: getattr(tier, name) for name in _FIELDS}}


def _check_free(session: Session, tier: Tier | None, key: str | None, rank: int | None) -> None:
    others = select(Tier).where(Tier.id != tier.id) if tier is not None else select(Tier)
    if key is not None and session.scalar(others.where(Tier.key == key)) is not None:
        raise TierTaken("key", key)
    if rank is not None and session.scalar(others.where(Tier.rank == rank)) is not None:
        raise TierTaken("rank", rank)


def create_tier(session: Session, data: Mapping[str, Any]) -> Tier:
    count = session.scalar(select(func.count()).select_from(Tier)) or 0
    if count >= MAX_TIERS:
        raise TooManyTiers(MAX_TIERS)
    _check_free(session, None, data["key"], data["rank"])
    tier = Tier(
        key=data["key"], name=data["name"], names=dict(data.get("names") or {}), rank=data["rank"],
        priority_boost=data.get("priority_boost", 0), sla_policy=data.get("sla_policy"),
        guarantees=list(data.get("guarantees") or []),
    )
    with _saving(tier), session.begin_nested():
        session.add(tier)
    return tier


def update_tier(session: Session, tier: Tier, changes: Mapping[str, Any]) -> Tier:
    _check_free(session, tier, None, changes.get("rank"))
    with _saving(tier), session.begin_nested():
        for name in _FIELDS:
            if name in changes:
                value = changes[name]
                copy = dict(value) if name == "names" else list(value) if name == "guarantees" else value
                setattr(tier, name, copy)
    return tier


def delete_tier(session: Session, tier: Tier) -> None:
    """Remove a tier nobody holds; raises :class:`TierInUse` otherwise."""
    held = select(func.count()).select_from(Customer).where(Customer.tier_id == tier.id)
    holders = session.scalar(held) or 0
    if holders:
        raise TierInUse(holders)
    session.delete(tier)
    session.flush()


def seed_ladder(session: Session, locale: str) -> None:
    """The default four tiers, named in the workspace's language (``zh``: 一点牛 … 超级牛)."""
    for rank, (key, en, zh, boost, policy, guarantees) in enumerate(DEFAULT_LADDER, start=1):
        session.add(Tier(
            key=key, name=zh if locale == "zh" else en, names={"en": en, "zh": zh}, rank=rank,
            priority_boost=boost, sla_policy=policy, guarantees=list(guarantees),
        ))


@contextmanager
def _saving(tier: Tier) -> Iterator[None]:
    """Around a savepoint: a tier written at the same moment with the same key or rank makes
    this one fail as :class:`TierTaken` instead of breaking the caller's transaction."""
    try:
        yield
    except IntegrityError as exc:
        field = "rank" if "rank" in str(exc.orig) else "key"
        raise TierTaken(field, tier.rank if field == "rank" else tier.key) from exc
