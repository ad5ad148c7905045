"""Saving rules: create, change and order macros, triggers and automations, each checked first.

Views call these and commit; a refused rule raises
:class:`~ccokit.plugins.ticketing.services.rules.messages.RuleInvalid` (a 422 with every problem at
its path) and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.rules import Automation, Macro, Trigger
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors, RuleInvalid
from ccokit.plugins.ticketing.services.rules.ticket_view import public_rule_id

__all__ = [
    "LIMITS",
    "create_rule",
    "get_rule",
    "list_query",
    "reorder_triggers",
    "snapshot_rule",
    "update_rule",
]

R = TypeVar("R", Macro, Trigger, Automation)
#: ``validate(session, {"conditions": …, "actions": …}, locale)`` -> the normalised pair.
Validate = Callable[[Session, Mapping[str, Any], str], dict[str, Any]]

#: At most this many of each per workspace: every trigger is checked on every ticket write.
LIMITS: dict[type[Any], int] = {Macro: 1000, Trigger: 500, Automation: 100}
_KIND = {Macro: "macro", Trigger: "trigger", Automation: "automation"}
_PLAIN = ("title", "description", "active")


def list_query(model: type[R], args: Mapping[str, Any]) -> Select[Any]:
    stmt = select(model)
    if args.get("active") is not None:
        stmt = stmt.where(model.active.is_(args["active"]))
    return stmt


def get_rule(session: Session, model: type[R], tenant_id: uuid.UUID, rule_id: uuid.UUID) -> R | None:
    return session.get(model, (tenant_id, rule_id))


def _rules_of(model: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("actions",) if model is Macro else ("conditions", "actions")
    return {key: data.get(key) for key in keys}


def create_rule(
    session: Session, model: type[R], data: Mapping[str, Any], validate: Validate, locale: str
) -> R:
    """Check and add a rule; triggers and automations without a position go last."""
    checked = validate(session, _rules_of(model, data), locale)
    count = session.scalar(select(func.count()).select_from(model)) or 0
    if count >= LIMITS[model]:
        errors = RuleErrors(locale)
        errors.add("_schema", "too_many", limit=LIMITS[model])
        raise RuleInvalid(errors.messages)
    row = model(**{key: data[key] for key in _PLAIN if key in data}, **checked)
    if model is not Macro:
        position = data.get("position")
        if position is None:
            last = session.scalar(select(func.max(model.position)))
            position = 0 if last is None else last + 1
        row.position = position
    session.add(row)
    session.flush()
    return row


def update_rule(
    session: Session, row: R, changes: Mapping[str, Any], validate: Validate, locale: str
) -> R:
    """Change a rule; conditions and actions are checked again as a whole."""
    keys = _rules_of(type(row), {})
    if any(key in changes for key in keys):
        merged = {key: changes.get(key, getattr(row, key)) for key in keys}
        for key, value in validate(session, merged, locale).items():
            setattr(row, key, value)
    for key in (*_PLAIN, "position"):
        if key in changes:
            setattr(row, key, changes[key])
    session.flush()
    return row


def reorder_triggers(session: Session, ids: list[uuid.UUID], locale: str) -> list[Trigger]:
    """Set the run order: ``ids`` must name every trigger of the workspace exactly once."""
    triggers = {t.id: t for t in session.scalars(select(Trigger))}
    errors = RuleErrors(locale)
    unknown = [i for i in ids if i not in triggers]
    if unknown:
        errors.add("ids", "unknown_ids", ids=", ".join(public_rule_id("trigger", i) for i in unknown))
    missing = [i for i in triggers if i not in set(ids)]
    if missing or len(set(ids)) != len(ids):
        named = ", ".join(public_rule_id("trigger", i) for i in missing) or "-"
        errors.add("ids", "reorder_incomplete", ids=named)
    errors.raise_if_any()
    for position, trigger_id in enumerate(ids):
        triggers[trigger_id].position = position
    session.flush()
    return [triggers[i] for i in ids]


def snapshot_rule(row: Macro | Trigger | Automation) -> dict[str, Any]:
    """A rule as the audit log keeps it (before and after a change)."""
    kind = _KIND[type(row)]
    data: dict[str, Any] = {
        "id": public_rule_id(kind, row.id), "title": row.title, "active": row.active, "actions": row.actions,
    }
    if not isinstance(row, Macro):
        data.update(position=row.position, conditions=row.conditions)
    return data
