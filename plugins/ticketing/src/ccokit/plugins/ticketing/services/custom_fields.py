"""Custom fields: their definitions (admin configuration) and the check of every ticket's values.

A ticket write names values by field key (``{"order_amount": 129.5, "refund_reason": "damaged"}``);
:func:`merge_values` checks each against its definition and returns the ticket's new values, or
raises :class:`~ccokit.plugins.ticketing.services.messages.Invalid` with one message per key
(``{"custom_fields": {"order_amount": ["Must be a number."]}}``). ``null`` removes a value.
Required fields must have a value when a ticket is created and cannot be emptied afterwards.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.custom_fields import CustomField
from ccokit.plugins.ticketing.services.messages import Invalid, Message
from ccokit_sdk.models import cached_configuration

__all__ = [
    "TEXT_LIMIT",
    "FieldDefinition",
    "create_field",
    "definitions",
    "merge_values",
    "parse_filter_value",
    "update_field",
]

TEXT_LIMIT = 5000


@dataclass(frozen=True)
class FieldDefinition:
    """What every ticket write checks a custom value against: a read-only copy of a
    :class:`CustomField`, shared by the requests of a process through the configuration cache."""

    id: uuid.UUID
    key: str
    type: str
    titles: Mapping[str, str]
    options: tuple[Mapping[str, Any], ...]
    required: bool
    active: bool
    position: int


def definitions(session: Session) -> Mapping[str, FieldDefinition]:
    """Every custom field of the session's tenant, by key, in position order (from the process's
    configuration cache; one statement when the tenant's configuration changed)."""
    return cached_configuration(session, "ticketing.custom_fields", _load_definitions)


def _load_definitions(session: Session) -> Mapping[str, FieldDefinition]:
    rows = session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))
    return MappingProxyType({f.key: FieldDefinition(
        id=f.id, key=f.key, type=f.type, titles=MappingProxyType(dict(f.titles or {})),
        options=tuple(MappingProxyType(dict(o)) for o in f.options or []),
        required=bool(f.required), active=bool(f.active), position=f.position,
    ) for f in rows})


def _choices(field: FieldDefinition | CustomField) -> list[str]:
    return [str(o["value"]) for o in field.options or []]


def _check(field: FieldDefinition | CustomField, value: Any) -> tuple[Any, Message | None]:
    """``value`` normalised for storage, or the message that refuses it."""
    kind = field.type
    if kind == "text":
        if not isinstance(value, str) or len(value) > TEXT_LIMIT:
            return None, Message("not_text", {"limit": TEXT_LIMIT})
        return value, None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None, Message("not_number")
        return value, None
    if kind == "date":
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value).isoformat(), None
            except ValueError:
                pass
        return None, Message("not_date")
    if kind == "checkbox":
        if not isinstance(value, bool):
            return None, Message("not_boolean")
        return value, None
    choices = _choices(field)
    if kind == "dropdown":
        if not isinstance(value, str) or value not in choices:
            return None, Message("not_option", {"choices": ", ".join(choices)})
        return value, None
    # multi_select
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v in choices for v in value)
        or len(set(value)) != len(value)
    ):
        return None, Message("not_options", {"choices": ", ".join(choices)})
    return list(value), None


def merge_values(
    defs: Mapping[str, FieldDefinition],
    current: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    creating: bool,
) -> dict[str, Any]:
    """The ticket's custom values after ``changes``; raises ``Invalid`` naming each bad key."""
    errors: dict[str, list[Message]] = {}
    result = dict(current)
    for key, value in changes.items():
        field = defs.get(key)
        if field is None or not field.active:
            errors[key] = [Message("unknown_custom_field", {"key": key})]
            continue
        if value is None or value == [] or value == "":
            if field.required:
                errors[key] = [Message("required")]
            result.pop(key, None)
            continue
        normalised, problem = _check(field, value)
        if problem is not None:
            errors[key] = [problem]
        else:
            result[key] = normalised
    if creating:
        for key, field in defs.items():
            if field.active and field.required and key not in result and key not in errors:
                errors[key] = [Message("required")]
    if errors:
        raise Invalid({"custom_fields": errors})
    return result


def parse_filter_value(field: FieldDefinition, text: str) -> Any:
    """A ``cf.<key>=text`` query value as the stored JSON value; raises ``Invalid``."""
    if field.type == "number":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise Invalid.one(f"cf.{field.key}", "not_number")
        return int(number) if number.is_integer() else number
    if field.type == "checkbox":
        if text.lower() not in ("true", "false", "1", "0"):
            raise Invalid.one(f"cf.{field.key}", "not_boolean")
        return text.lower() in ("true", "1")
    if field.type in ("dropdown", "multi_select") and text not in _choices(field):
        raise Invalid.one(f"cf.{field.key}", "not_option", choices=", ".join(_choices(field)))
    if field.type == "date":
        _, problem = _check(field, text)
        if problem is not None:
            raise Invalid({f"cf.{field.key}": [problem]})
    return text


def _check_options(kind: str, options: list[dict[str, Any]] | None) -> None:
    if kind in ("dropdown", "multi_select"):
        if not options:
            raise Invalid.one("options", "options_needed", type=kind)
        seen: set[str] = set()
        for option in options:
            if option["value"] in seen:
                raise Invalid.one("options", "duplicate_option", value=option["value"])
            seen.add(option["value"])
    elif options:
        raise Invalid.one("options", "options_unused")


def create_field(session: Session, data: Mapping[str, Any]) -> CustomField:
    """Add a definition; raises ``Invalid`` (bad options, key taken). The caller commits."""
    _check_options(data["type"], data.get("options"))
    field = CustomField(
        key=data["key"], type=data["type"], titles=dict(data["titles"]),
        options=list(data.get("options") or []), required=data.get("required", False),
        active=data.get("active", True), position=data.get("position", 0),
    )
    try:
        with session.begin_nested():
            session.add(field)
    except IntegrityError as exc:
        raise Invalid.one("key", "key_taken") from exc
    return field


def update_field(session: Session, field: CustomField, changes: Mapping[str, Any]) -> CustomField:
    """Change titles, options, the required flag, activity or position; the type stays."""
    if "type" in changes and changes["type"] != field.type:
        raise Invalid.one("type", "type_fixed")
    if "options" in changes:
        _check_options(field.type, changes["options"])
    for name in ("titles", "options", "required", "active", "position"):
        if name in changes:
            setattr(field, name, changes[name])
    session.flush()
    return field
