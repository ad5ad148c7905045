"""The action language of macros, triggers and automations, and what an action list amounts to.

Actions are a list of ``{"action": ..., "field": ..., "value": ...}``:

- ``set``: ``status``, ``priority``, ``category``, ``assignee_id`` (``mem_…`` or null),
  ``group_id`` (or null), ``due_at`` (ISO 8601, ``{"in_hours": n}`` from the moment the rule runs, or null)
  or ``custom_fields.<key>`` (a value of the field's type, or null);
- ``add_tags`` / ``remove_tags``: a list of tags;
- ``reply``: a public comment, ``note``: an internal note, both from a template;
- ``notify_webhook``: a message from a template, published as the event ``ticket.rule_notified``
  that the workspace's webhook endpoints receive (ccokit never calls a merchant URL from a rule).

Templates know ``{{ticket.number}}``, ``{{ticket.id}}``, ``{{ticket.subject}}``,
``{{ticket.status}}``, ``{{ticket.priority}}`` and ``{{requester.name}}``: a fixed substitution,
nothing is evaluated. :func:`plan_actions` turns a validated list into a :class:`Plan` (field
changes, comments, notifications) against the ticket as it is now, so one list becomes one update.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ccokit.plugins.ticketing.services.rules import vocabulary as v
from ccokit.plugins.ticketing.services.rules.conditions import (
    CUSTOM_PREFIX,
    INVALID,
    TAG,
    CustomFieldSpec,
    FieldSpec,
    check_scalar,
    field_spec,
    parse_datetime,
)
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors

__all__ = [
    "ACTIONS",
    "PLACEHOLDERS",
    "SETTABLE",
    "Plan",
    "plan_actions",
    "render",
    "self_limiting",
    "validate_actions",
]

ACTIONS = ("set", "add_tags", "remove_tags", "reply", "note", "notify_webhook")
SETTABLE = ("status", "priority", "category", "assignee_id", "group_id", "due_at")
#: Fields a rule may empty with ``null``.
CLEARABLE = frozenset({"assignee_id", "group_id", "due_at"})
#: A rule never sets a ticket back to new: new means nobody has looked at it.
SETTABLE_STATUSES = tuple(s for s in v.STATUSES if s != "new")
PLACEHOLDERS = (
    "ticket.number", "ticket.id", "ticket.subject", "ticket.status", "ticket.priority", "requester.name",
)
MAX_ACTIONS = 30
MAX_TEMPLATE = 4000
MAX_TAGS = 20
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


def validate_actions(
    data: Any,
    custom_fields: Mapping[str, CustomFieldSpec],
    errors: RuleErrors,
    path: str = "actions",
) -> list[dict[str, Any]]:
    """Check an action list; add every problem to ``errors`` and return the actions normalised."""
    if not isinstance(data, list):
        errors.add(path, "not_list" if data is not None else "required")
        return []
    if not data:
        errors.add(path, "no_actions")
        return []
    if len(data) > MAX_ACTIONS:
        errors.add(path, "too_many", limit=MAX_ACTIONS)
        return []
    normal: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data):
        where = f"{path}.{index}"
        checked = _validate_action(item, custom_fields, errors, where)
        if checked is None:
            continue
        if checked["action"] == "set":
            if checked["field"] in seen:
                errors.add(f"{where}.field", "duplicate_field", field=checked["field"])
                continue
            seen[checked["field"]] = index
        normal.append(checked)
    return normal


def _validate_action(
    item: Any, custom_fields: Mapping[str, CustomFieldSpec], errors: RuleErrors, path: str
) -> dict[str, Any] | None:
    if not isinstance(item, Mapping):
        errors.add(path, "not_object")
        return None
    kind = item.get("action")
    if not isinstance(kind, str) or not kind:
        errors.add(f"{path}.action", "required")
        return None
    if kind not in ACTIONS:
        errors.add(f"{path}.action", "unknown_action", action=kind)
        return None
    allowed_keys = {"action", "field", "value"} if kind == "set" else {"action", "value"}
    extra = sorted(set(item) - allowed_keys)
    if extra:
        errors.add(path, "unknown_keys", keys=", ".join(map(str, extra)))
        return None
    value = item.get("value")
    if kind == "set":
        return _validate_set(item.get("field"), value, "value" in item, custom_fields, errors, path)
    if kind in ("add_tags", "remove_tags"):
        tags = value if isinstance(value, list) else None
        if not tags or len(tags) > MAX_TAGS:
            errors.add(f"{path}.value", "not_list_of", what="tags" if errors.locale == "en" else "标签")
            return None
        for i, tag in enumerate(tags):
            if not (isinstance(tag, str) and TAG.match(tag)):
                errors.add(f"{path}.value.{i}", "not_tag", limit=40)
                return None
        return {"action": kind, "value": list(dict.fromkeys(tags))}
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEMPLATE:
        errors.add(f"{path}.value", "not_text", limit=MAX_TEMPLATE)
        return None
    unknown = [name for name in _PLACEHOLDER.findall(value) if name not in PLACEHOLDERS]
    if unknown:
        errors.add(
            f"{path}.value", "unknown_placeholder",
            placeholder="{{" + unknown[0] + "}}", known=", ".join("{{" + p + "}}" for p in PLACEHOLDERS),
        )
        return None
    return {"action": kind, "value": value}


def _validate_set(
    name: Any, value: Any, given: bool, custom_fields: Mapping[str, CustomFieldSpec],
    errors: RuleErrors, path: str,
) -> dict[str, Any] | None:
    if not isinstance(name, str) or not name:
        errors.add(f"{path}.field", "required")
        return None
    custom = name.startswith(CUSTOM_PREFIX)
    if not custom and name not in SETTABLE:
        errors.add(f"{path}.field", "field_not_settable", field=name, allowed=", ".join(SETTABLE))
        return None
    spec = field_spec(name, custom_fields)
    if spec is None:
        errors.add(f"{path}.field", "unknown_custom_field", key=name[len(CUSTOM_PREFIX):])
        return None
    if not given:
        errors.add(f"{path}.value", "required")
        return None
    if value is None:
        if custom or name in CLEARABLE:
            return {"action": "set", "field": name, "value": None}
        errors.add(f"{path}.value", "required")
        return None
    if name == "status":
        spec = FieldSpec("status", "enum", SETTABLE_STATUSES)
    if name == "due_at" and isinstance(value, Mapping):
        hours = value.get("in_hours")
        if set(value) != {"in_hours"} or isinstance(hours, bool) or not isinstance(hours, (int, float)) \
                or not 0 <= hours <= 24 * 366:
            errors.add(f"{path}.value.in_hours", "not_number")
            return None
        return {"action": "set", "field": name, "value": {"in_hours": hours}}
    if spec.kind == "multi":  # a multi-select custom field: a list of its options
        if not isinstance(value, list) or any(one not in spec.choices for one in value):
            errors.add(f"{path}.value", "not_one_of", choices=", ".join(spec.choices))
            return None
        return {"action": "set", "field": name, "value": list(dict.fromkeys(value))}
    checked = check_scalar(spec, "is", value, errors, f"{path}.value")
    if checked is INVALID:
        return None
    return {"action": "set", "field": name, "value": checked}


# -- what a list of actions does ---------------------------------------------------------------


@dataclass
class Plan:
    """What applying an action list to one ticket amounts to.

    ``changes`` are the ticket's field changes (``tags`` is the whole new list,
    ``custom_fields`` only the keys that change); ``comments`` are ``(body, public)`` pairs;
    ``notifications`` the rendered messages of ``notify_webhook``.
    """

    changes: dict[str, Any] = field(default_factory=dict)
    comments: list[tuple[str, bool]] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes or self.comments or self.notifications)


def plan_actions(
    actions: Sequence[Mapping[str, Any]],
    ticket: Mapping[str, Any],
    now: datetime,
    placeholders: Callable[[], Mapping[str, str]],
) -> Plan:
    """The :class:`Plan` of ``actions`` on ``ticket`` (values as rules see them, see
    :class:`~.conditions.Facts`); a field already at the value set is left out of ``changes``.
    ``placeholders`` is called at most once, when a template needs it."""
    plan = Plan()
    tags = list(ticket.get("tags") or [])
    custom = dict(ticket.get("custom_fields") or {})
    custom_changes: dict[str, Any] = {}
    cached: dict[str, str] | None = None

    def fill(template: str) -> str:
        nonlocal cached
        if cached is None and _PLACEHOLDER.search(template):
            cached = dict(placeholders())
        return render(template, cached or {})

    for action in actions:
        kind, value = action["action"], action.get("value")
        if kind == "set":
            name = action["field"]
            if name == "due_at" and isinstance(value, Mapping):
                value = (now + timedelta(hours=value["in_hours"])).isoformat()
            if name.startswith(CUSTOM_PREFIX):
                key = name[len(CUSTOM_PREFIX):]
                if custom.get(key) != value:
                    custom_changes[key] = value
                continue
            current = ticket.get(name)
            if name == "due_at":
                if parse_datetime(current) != (parse_datetime(value) if value else None):
                    plan.changes[name] = value
            elif current != value:
                plan.changes[name] = value
        elif kind == "add_tags":
            tags += [tag for tag in value if tag not in tags]
        elif kind == "remove_tags":
            tags = [tag for tag in tags if tag not in value]
        elif kind in ("reply", "note"):
            plan.comments.append((fill(value), kind == "reply"))
        elif kind == "notify_webhook":
            plan.notifications.append(fill(value))
    if tags != list(ticket.get("tags") or []):
        plan.changes["tags"] = tags
    if custom_changes:
        plan.changes["custom_fields"] = custom_changes
    return plan


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace each known ``{{name}}`` with its value (empty when unknown for this ticket);
    the values are inserted as they are, never interpreted."""
    return _PLACEHOLDER.sub(
        lambda m: str(values.get(m.group(1), "")) if m.group(1) in PLACEHOLDERS else m.group(0), template
    )


# -- automations must stop by themselves ---------------------------------------------------------


def self_limiting(
    conditions: Mapping[str, Sequence[Mapping[str, Any]]], actions: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether some action makes some ``all`` condition false on every ticket it acts on, so that
    an automation cannot keep firing on the same ticket (status is solved → set status closed;
    tags not_contains reminded → add_tags reminded)."""
    sets = {a["field"]: a.get("value") for a in actions if a["action"] == "set"}
    added = {t for a in actions if a["action"] == "add_tags" for t in a["value"]}
    removed = {t for a in actions if a["action"] == "remove_tags" for t in a["value"]}
    for condition in conditions.get("all") or ():
        name, operator, expected = condition["field"], condition["operator"], condition.get("value")
        if name == "tags":
            wanted = set(expected if isinstance(expected, list) else [expected or ""])
            if operator == "not_contains" and wanted & added:
                return True
            if operator == "contains" and wanted & removed:
                return True
            continue
        if name not in sets or isinstance(sets[name], Mapping):
            continue
        new = sets[name]
        if operator == "is" and new != expected:
            return True
        if operator == "is_not" and new is not None and new == expected:
            return True
        if operator == "in" and new not in expected:
            return True
        if operator == "not_in" and new is not None and new in expected:
            return True
        if operator == "absent" and new is not None:
            return True
        if operator == "present" and new is None:
            return True
    return False
