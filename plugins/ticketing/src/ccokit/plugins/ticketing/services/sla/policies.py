"""SLA policies: which tickets a policy covers, what it promises them, and which one applies.

Policies are tried in ``position`` order (then age); the first active policy whose conditions
all hold applies. A condition lists allowed values of one ticket fact (``priority``, ``channel``,
``category``, or ``tier``: the member tier key of the ticket's customer from the customers
plugin); an absent or empty list allows anything, a tier condition never holds for a ticket
without a tiered customer. A member tier whose ``sla_policy`` names a policy key puts that policy
first for its customers' tickets (it still has to be active and its conditions still have to
hold, so a "VIP, urgent only" policy stays urgent-only).

A policy's targets are per priority and metric (``first_reply``, ``next_reply``, ``resolution``),
in minutes of business time on the policy's calendar (the default calendar when it names none)
or of calendar time. Functions flush but never commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.sla import METRICS, SlaPolicy
from ccokit.plugins.ticketing.models.tickets import CATEGORIES, CHANNELS, PRIORITIES, Ticket
from ccokit.plugins.ticketing.schemas.sla import Errors
from ccokit.plugins.ticketing.services.other_plugins import service
from ccokit.plugins.ticketing.services.sla.calendar import CalendarHorizonExceeded
from ccokit.plugins.ticketing.services.sla.calendars import (
    SlaConflict,
    SlaInvalid,
    get_calendar,
    measure_of,
)
from ccokit_sdk.models import cached_configuration, utcnow

__all__ = [
    "MAX_POLICIES",
    "PolicyRule",
    "Target",
    "TicketFacts",
    "create_policy",
    "delete_policy",
    "facts_of",
    "get_policy",
    "list_query",
    "matches",
    "policy_for",
    "targets_of",
    "update_policy",
]

log = logging.getLogger(__name__)

MAX_POLICIES = 200
VOCABULARIES: dict[str, Sequence[str]] = {"priority": PRIORITIES, "channel": CHANNELS, "category": CATEGORIES}
CONDITION_KEYS = ("priority", "tier", "channel", "category")

@dataclass(frozen=True)
class TicketFacts:
    """What a policy's conditions look at."""

    priority: str
    channel: str
    category: str
    tier: str | None = None
    #: The policy key the customer's member tier asks for, if any.
    tier_policy: str | None = None


@dataclass(frozen=True)
class Target:
    """One promise: ``minutes`` of business time on ``calendar_id`` (or calendar time)."""

    policy_id: uuid.UUID
    metric: str
    minutes: int
    business_hours: bool
    calendar_id: uuid.UUID | None


@dataclass(frozen=True)
class PolicyRule:
    """What choosing and applying a policy needs of an active :class:`SlaPolicy`: a read-only
    copy, shared by the requests of a process through the configuration cache."""

    id: uuid.UUID
    key: str
    calendar_id: uuid.UUID | None
    conditions: Mapping[str, Sequence[str]]
    targets: tuple[Mapping[str, Any], ...]


def active_policies(session: Session) -> tuple[PolicyRule, ...]:
    """The active policies in the order they are tried (cached per configuration version)."""
    return cached_configuration(session, "ticketing.sla_policies", _load_active_policies)


def _load_active_policies(session: Session) -> tuple[PolicyRule, ...]:
    rows = session.scalars(
        select(SlaPolicy).where(SlaPolicy.active).order_by(SlaPolicy.position, SlaPolicy.id)
    )
    return tuple(PolicyRule(
        id=p.id, key=p.key, calendar_id=p.calendar_id,
        conditions=MappingProxyType({k: tuple(v) for k, v in (p.conditions or {}).items()}),
        targets=tuple(MappingProxyType(dict(t)) for t in p.targets or []),
    ) for p in rows)


def _tier(session: Session, customer_id: uuid.UUID | None) -> Any:
    """The customer's member tier (``.key``, ``.sla_policy``) from the customers plugin, if both
    the plugin and a tier are there; ticketing works without them."""
    if customer_id is None:
        return None
    tier_of = service("customers.tier")
    return tier_of(session, customer_id) if tier_of is not None else None


#: ``facts_of``'s default: look the customer's tier up.
LOOK_UP: Any = object()


def facts_of(session: Session, ticket: Ticket, tier: Any = LOOK_UP) -> TicketFacts:
    """What policies look at; ``tier`` is the customer's tier when the caller knows it already."""
    if tier is LOOK_UP:
        tier = _tier(session, ticket.customer_id)
    return TicketFacts(
        priority=ticket.priority,
        channel=ticket.channel,
        category=ticket.category,
        tier=getattr(tier, "key", None),
        tier_policy=getattr(tier, "sla_policy", None),
    )


def matches(policy: PolicyRule | SlaPolicy, facts: TicketFacts) -> bool:
    conditions = policy.conditions or {}
    return all(
        not conditions.get(name) or getattr(facts, name) in conditions[name] for name in CONDITION_KEYS
    )


def policy_for(session: Session, facts: TicketFacts) -> PolicyRule | None:
    """The policy that applies to a ticket with ``facts``."""
    policies = active_policies(session)
    if facts.tier_policy:
        named = next((p for p in policies if p.key == facts.tier_policy), None)
        if named is not None and matches(named, facts):
            return named
    return next((p for p in policies if matches(p, facts)), None)


def targets_of(
    policy: PolicyRule | None, priority: str, default_calendar_id: uuid.UUID | None
) -> dict[str, Target]:
    """The targets ``policy`` sets for tickets of ``priority``, by metric."""
    if policy is None:
        return {}
    found = {}
    for target in policy.targets or []:
        if target["priority"] == priority:
            business = bool(target.get("business_hours", True))
            found[target["metric"]] = Target(
                policy_id=policy.id,
                metric=target["metric"],
                minutes=int(target["minutes"]),
                business_hours=business,
                calendar_id=(policy.calendar_id or default_calendar_id) if business else None,
            )
    return found


# -- configuration ---------------------------------------------------------------------------


def list_query(args: Mapping[str, Any]) -> Select[Any]:
    stmt = select(SlaPolicy)
    if args.get("active") is not None:
        stmt = stmt.where(SlaPolicy.active.is_(args["active"]))
    return stmt


def get_policy(session: Session, tenant_id: uuid.UUID, policy_id: uuid.UUID) -> SlaPolicy | None:
    return session.get(SlaPolicy, (tenant_id, policy_id))


def _normalised_conditions(conditions: Mapping[str, Any] | None, errors: Errors) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name in CONDITION_KEYS:
        values = list(dict.fromkeys((conditions or {}).get(name) or []))
        vocabulary = VOCABULARIES.get(name)
        for index, value in enumerate(values):
            if vocabulary is not None and value not in vocabulary:
                errors.add(("conditions", name, index), "not_one_of", choices=", ".join(vocabulary))
        if values:
            result[name] = values
    return result


def _checked_targets(
    session: Session, tenant_id: uuid.UUID, targets: Sequence[Mapping[str, Any]],
    calendar_id: uuid.UUID | None, errors: Errors,
) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    result = []
    calendar_ok = not errors
    for index, target in enumerate(targets):
        priority, metric = target["priority"], target["metric"]
        if priority not in PRIORITIES:
            errors.add(("targets", index, "priority"), "not_one_of", choices=", ".join(PRIORITIES))
        if metric not in METRICS:
            errors.add(("targets", index, "metric"), "not_one_of", choices=", ".join(METRICS))
        if (priority, metric) in seen:
            errors.add(("targets", index, "metric"), "target_twice", priority=priority, metric=metric)
        seen.add((priority, metric))
        business = bool(target.get("business_hours", True))
        if business and calendar_ok:
            # A promise the calendar cannot keep within its horizon is refused now, not at the
            # first ticket it would apply to.
            measure = measure_of(session, tenant_id, True, calendar_id)
            try:
                measure.add(utcnow(), timedelta(minutes=target["minutes"]))
            except CalendarHorizonExceeded:
                errors.add(("targets", index, "minutes"), "beyond_horizon", minutes=target["minutes"])
        result.append({"priority": priority, "metric": metric, "minutes": int(target["minutes"]),
                       "business_hours": business})
    return result


def _checked(session: Session, tenant_id: uuid.UUID, data: Mapping[str, Any]) -> dict[str, Any]:
    errors = Errors()
    calendar_id = data.get("calendar_id")
    if calendar_id is not None and get_calendar(session, tenant_id, calendar_id) is None:
        errors.add(("calendar_id",), "unknown_calendar")
    targets = _checked_targets(session, tenant_id, data["targets"], calendar_id, errors)
    conditions = _normalised_conditions(data.get("conditions"), errors)
    if errors:
        raise SlaInvalid(errors.messages)
    return {**data, "conditions": conditions, "targets": targets}


def _key_taken(session: Session, key: str, other_than: uuid.UUID | None = None) -> bool:
    stmt = select(SlaPolicy.id).where(SlaPolicy.key == key)
    if other_than is not None:
        stmt = stmt.where(SlaPolicy.id != other_than)
    return session.scalar(stmt.limit(1)) is not None


def _refuse_taken_key() -> None:
    errors = Errors()
    errors.add(("key",), "key_taken")
    raise SlaConflict(errors.messages)


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        _refuse_taken_key()


FIELDS = ("key", "title", "description", "position", "active", "calendar_id", "conditions", "targets")


def create_policy(session: Session, tenant_id: uuid.UUID, data: Mapping[str, Any]) -> SlaPolicy:
    """A new policy from the create schema's output; it goes last unless given a position."""
    values = _checked(session, tenant_id, data)
    if _key_taken(session, values["key"]):
        _refuse_taken_key()
    count = session.scalar(select(func.count()).select_from(SlaPolicy)) or 0
    if count >= MAX_POLICIES:
        errors = Errors()
        errors.add(("key",), "too_many", limit=MAX_POLICIES)
        raise SlaInvalid(errors.messages)
    if values.get("position") is None:
        last = session.scalar(select(func.max(SlaPolicy.position)))
        values["position"] = 0 if last is None else last + 1
    policy = SlaPolicy(**{name: values[name] for name in FIELDS if name in values})
    session.add(policy)
    _flush(session)
    return policy


def policy_record(policy: SlaPolicy) -> dict[str, Any]:
    """A policy's writable fields as stored."""
    return {name: getattr(policy, name) for name in FIELDS}


def update_policy(session: Session, policy: SlaPolicy, changes: Mapping[str, Any]) -> SlaPolicy:
    """Apply a partial change, checked on the policy as a whole. Tickets already under way keep
    their clocks until something about them changes (priority, category, channel, customer)."""
    values = _checked(session, policy.tenant_id, {**policy_record(policy), **changes})
    if values["key"] != policy.key and _key_taken(session, values["key"], policy.id):
        _refuse_taken_key()
    for name in FIELDS:
        setattr(policy, name, values[name])
    _flush(session)
    return policy


def delete_policy(session: Session, policy: SlaPolicy) -> None:
    """Remove a policy; the clocks it started keep their targets."""
    session.delete(policy)
    session.flush()
