"""The condition language of triggers and automations: data a merchant writes, checked on save.

A rule's conditions are ``{"all": [...], "any": [...]}``; each item is
``{"field": ..., "operator": ..., "value": ...}``. The rule holds when every ``all`` condition
holds and, if ``any`` is not empty, at least one ``any`` condition holds.

Fields are the ticket's own, named as in the ticket API (``status``, ``priority``, ``tags``,
``assignee_id``…), its custom
fields (``custom_fields.<key>``, typed by the workspace's definitions), the requester's member
tier (``requester.tier`` and ``requester.tier_rank``, from the customers plugin when installed),
the update being processed (``comment.body``, ``comment.public``, ``comment.author_kind``,
``update.via``, ``update.type``, ``update.changed``; triggers only) and the time since something
happened (``hours_since.created|updated|solved|status_changed``; automations only).

Validation (:func:`validate_conditions`) reports each problem at its exact path
(``conditions.all.2.value``) in the caller's language; evaluation (:func:`matches`) never raises:
a condition that cannot be compared (a custom field whose type changed since the rule was saved)
simply does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ccokit.plugins.ticketing.services.rules import vocabulary as v
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors, text

__all__ = [
    "AUTOMATION",
    "INVALID",
    "OPERATORS",
    "TAG",
    "TRIGGER",
    "CustomFieldSpec",
    "Facts",
    "FieldSpec",
    "check_scalar",
    "condition_holds",
    "field_spec",
    "matches",
    "parse_datetime",
    "validate_conditions",
]

TRIGGER = "trigger"
AUTOMATION = "automation"

MAX_CONDITIONS = 50
MAX_TEXT = 1000

#: Operators that compare with what the update changed; meaningless for automations.
CHANGE_OPERATORS = frozenset({"changed", "changed_to", "changed_from"})
#: Operators that take no value.
BARE_OPERATORS = frozenset({"present", "absent", "changed"})
ORDERING = frozenset({"lt", "lte", "gt", "gte"})
OPERATORS = (
    "is", "is_not", "in", "not_in", "contains", "not_contains", "lt", "lte", "gt", "gte",
    "changed", "changed_to", "changed_from", "present", "absent",
)

_PRESENCE = ("present", "absent")
_CHANGE = ("changed", "changed_to", "changed_from")
#: Which operators each kind of value supports.
KIND_OPERATORS: dict[str, tuple[str, ...]] = {
    "enum": ("is", "is_not", "in", "not_in", *_PRESENCE, *_CHANGE),
    "ordered": ("is", "is_not", "in", "not_in", "lt", "lte", "gt", "gte", *_PRESENCE, *_CHANGE),
    "text": ("is", "is_not", "contains", "not_contains", *_PRESENCE, *_CHANGE),
    "number": ("is", "is_not", "lt", "lte", "gt", "gte", *_PRESENCE, *_CHANGE),
    "boolean": ("is", "is_not", *_PRESENCE, *_CHANGE),
    "id": ("is", "is_not", "in", "not_in", *_PRESENCE, *_CHANGE),
    "tags": ("contains", "not_contains", *_PRESENCE, "changed"),
    "multi": ("contains", "not_contains", *_PRESENCE, "changed"),
    "datetime": ("lt", "lte", "gt", "gte", *_PRESENCE, "changed"),
    "date": ("is", "is_not", "lt", "lte", "gt", "gte", *_PRESENCE, *_CHANGE),
    "names": ("contains", "not_contains"),
    "hours": ("lt", "lte", "gt", "gte"),
}
#: Keys of rule conditions that only make sense in one kind of rule.
_EVERYWHERE = frozenset({TRIGGER, AUTOMATION})


@dataclass(frozen=True)
class FieldSpec:
    """What a condition field holds: its kind, its choices, and which rules may use it."""

    name: str
    kind: str
    choices: tuple[str, ...] = ()
    id_prefix: str | None = None
    contexts: frozenset[str] = _EVERYWHERE

    @property
    def operators(self) -> tuple[str, ...]:
        allowed = KIND_OPERATORS[self.kind]
        if self.contexts == frozenset({AUTOMATION}) or self.name.startswith(("comment.", "update.")):
            return tuple(op for op in allowed if op not in CHANGE_OPERATORS)
        return allowed


@dataclass(frozen=True)
class CustomFieldSpec:
    """A workspace's custom field as rules see it: its key, the kind of its values, its options."""

    key: str
    kind: str
    options: tuple[str, ...] = ()


def _standard_fields() -> dict[str, FieldSpec]:
    specs = [
        FieldSpec("subject", "text"),
        FieldSpec("status", "enum", v.STATUSES),
        FieldSpec("priority", "ordered", v.PRIORITIES),
        FieldSpec("category", "enum", v.CATEGORIES),
        FieldSpec("channel", "enum", v.CHANNELS),
        FieldSpec("assignee_id", "id", id_prefix=v.MEMBER_PREFIX),
        FieldSpec("group_id", "id", id_prefix=v.GROUP_PREFIX),
        FieldSpec("customer_id", "id", id_prefix=v.CUSTOMER_PREFIX),
        FieldSpec("tags", "tags"),
        FieldSpec("due_at", "datetime"),
        FieldSpec("created_at", "datetime"),
        FieldSpec("updated_at", "datetime"),
        FieldSpec("solved_at", "datetime"),
        FieldSpec("status_changed_at", "datetime"),
        FieldSpec("requester.tier", "text"),
        FieldSpec("requester.tier_rank", "number"),
        FieldSpec("comment.body", "text", contexts=frozenset({TRIGGER})),
        FieldSpec("comment.public", "boolean", contexts=frozenset({TRIGGER})),
        FieldSpec("comment.author_kind", "enum", v.AUTHOR_KINDS, contexts=frozenset({TRIGGER})),
        FieldSpec("update.via", "enum", v.VIAS, contexts=frozenset({TRIGGER})),
        FieldSpec("update.type", "enum", ("created", "updated"), contexts=frozenset({TRIGGER})),
        FieldSpec("update.changed", "names", contexts=frozenset({TRIGGER})),
    ]
    specs += [
        FieldSpec(f"hours_since.{moment}", "hours", contexts=frozenset({AUTOMATION}))
        for moment in v.HOURS_SINCE
    ]
    return {spec.name: spec for spec in specs}


STANDARD_FIELDS = _standard_fields()
CUSTOM_PREFIX = "custom_fields."


def field_spec(name: str, custom_fields: Mapping[str, CustomFieldSpec]) -> FieldSpec | None:
    """The spec of a condition field, standard or custom; ``None`` if there is no such field."""
    if name.startswith(CUSTOM_PREFIX):
        custom = custom_fields.get(name[len(CUSTOM_PREFIX):])
        if custom is None:
            return None
        return FieldSpec(name, custom.kind, custom.options)
    return STANDARD_FIELDS.get(name)


# -- validation ------------------------------------------------------------------------------

_ID = re.compile(r"^[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{26}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG = re.compile(r"^[^\s,]{1,40}$")


def validate_conditions(
    data: Any,
    context: str,
    custom_fields: Mapping[str, CustomFieldSpec],
    errors: RuleErrors,
    path: str = "conditions",
) -> dict[str, list[dict[str, Any]]]:
    """Check a rule's conditions; add every problem to ``errors`` and return them normalised
    (``{"all": [...], "any": [...]}``, each value in its canonical form)."""
    normal: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        errors.add(path, "not_object")
        return normal
    extra = sorted(set(data) - {"all", "any"})
    if extra:
        errors.add(path, "unknown_keys", keys=", ".join(map(str, extra)))
    for group in ("all", "any"):
        items = data.get(group) or []
        where = f"{path}.{group}"
        if not isinstance(items, list):
            errors.add(where, "not_list")
            continue
        if len(items) > MAX_CONDITIONS:
            errors.add(where, "too_many", limit=MAX_CONDITIONS)
            continue
        for index, item in enumerate(items):
            checked = _validate_condition(item, context, custom_fields, errors, f"{where}.{index}")
            if checked is not None:
                normal[group].append(checked)
    return normal


def _validate_condition(
    item: Any, context: str, custom_fields: Mapping[str, CustomFieldSpec], errors: RuleErrors, path: str
) -> dict[str, Any] | None:
    if not isinstance(item, Mapping):
        errors.add(path, "not_object")
        return None
    extra = sorted(set(item) - {"field", "operator", "value"})
    if extra:
        errors.add(path, "unknown_keys", keys=", ".join(map(str, extra)))
    name, operator = item.get("field"), item.get("operator")
    if not isinstance(name, str) or not name:
        errors.add(f"{path}.field", "required")
        return None
    spec = field_spec(name, custom_fields)
    if spec is None:
        if name.startswith(CUSTOM_PREFIX):
            errors.add(f"{path}.field", "unknown_custom_field", key=name[len(CUSTOM_PREFIX):])
        else:
            errors.add(f"{path}.field", "unknown_field", field=name)
        return None
    if context not in spec.contexts:
        where = "where_triggers" if context == AUTOMATION else "where_automations"
        errors.add(f"{path}.field", "field_not_here", field=name, where=text(where, errors.locale))
        return None
    if not isinstance(operator, str) or not operator:
        errors.add(f"{path}.operator", "required")
        return None
    if operator not in OPERATORS:
        errors.add(f"{path}.operator", "unknown_operator", operator=operator)
        return None
    allowed = spec.operators
    if context == AUTOMATION:
        allowed = tuple(op for op in allowed if op not in CHANGE_OPERATORS)
    if operator not in allowed:
        errors.add(
            f"{path}.operator", "operator_not_for_field",
            operator=operator, field=name, allowed=", ".join(allowed),
        )
        return None
    if operator in BARE_OPERATORS:
        if item.get("value") is not None:
            errors.add(f"{path}.value", "no_value")
            return None
        return {"field": name, "operator": operator}
    if "value" not in item or item["value"] is None:
        errors.add(f"{path}.value", "required")
        return None
    value = _validate_value(spec, operator, item["value"], errors, f"{path}.value")
    if value is INVALID:
        return None
    return {"field": name, "operator": operator, "value": value}


#: What :func:`check_scalar` returns for a value it rejected (``None`` is a valid value).
INVALID = object()


def _validate_value(spec: FieldSpec, operator: str, value: Any, errors: RuleErrors, path: str) -> Any:
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_CONDITIONS:
            errors.add(path, "not_list_of", what=_what(spec, errors.locale))
            return INVALID
        checked = [check_scalar(spec, operator, one, errors, f"{path}.{i}") for i, one in enumerate(value)]
        return INVALID if INVALID in checked else checked
    if spec.kind in ("tags", "names", "multi"):
        items = value if isinstance(value, list) else [value]
        if not items or len(items) > MAX_CONDITIONS:
            errors.add(path, "not_list_of", what=_what(spec, errors.locale))
            return INVALID
        checked = []
        for i, one in enumerate(items):
            where = f"{path}.{i}" if isinstance(value, list) else path
            if spec.kind == "tags" and not (isinstance(one, str) and TAG.match(one)):
                errors.add(where, "not_tag", limit=40)
                return INVALID
            if spec.kind == "multi" and one not in spec.choices:
                errors.add(where, "not_one_of", choices=", ".join(spec.choices))
                return INVALID
            if spec.kind == "names" and (not isinstance(one, str) or not one):
                errors.add(where, "not_text", limit=MAX_TEXT)
                return INVALID
            checked.append(one)
        return checked
    return check_scalar(spec, operator, value, errors, path)


def _what(spec: FieldSpec, locale: str) -> str:
    if spec.kind == "tags":
        return "tags" if locale == "en" else "标签"
    return "values" if locale == "en" else "值"


def check_scalar(spec: FieldSpec, operator: str, value: Any, errors: RuleErrors, path: str) -> Any:
    kind = spec.kind
    if kind in ("enum", "ordered"):
        if value not in spec.choices:
            errors.add(path, "not_one_of", choices=", ".join(spec.choices))
            return INVALID
        return value
    if kind == "text":
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            errors.add(path, "not_text", limit=MAX_TEXT)
            return INVALID
        return value
    if kind in ("number", "hours"):
        number = _number(value)
        if number is None:
            errors.add(path, "not_number")
            return INVALID
        if kind == "hours" and number < 0:
            errors.add(path, "negative")
            return INVALID
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        if not isinstance(value, bool):
            errors.add(path, "not_boolean")
            return INVALID
        return value
    if kind == "id":
        prefix = spec.id_prefix or "id"
        if not (isinstance(value, str) and _ID.match(value) and value.startswith(prefix + "_")):
            errors.add(path, "not_id", prefix=prefix)
            return INVALID
        return value
    if kind == "datetime":
        moment = parse_datetime(value)
        if moment is None:
            errors.add(path, "not_datetime")
            return INVALID
        return moment.isoformat()
    if kind == "date":
        if not (isinstance(value, str) and _DATE.match(value) and _date(value) is not None):
            errors.add(path, "not_date")
            return INVALID
        return value
    raise AssertionError(f"no validation for {kind}")  # pragma: no cover - every kind is listed


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# -- evaluation ------------------------------------------------------------------------------

_MISSING = None


@dataclass
class Facts:
    """Everything a condition can look at, for one ticket at one moment.

    ``values`` holds the ticket as rules see it (field name to value, ids as public ids,
    ``custom_fields`` as a mapping); ``before`` the values the fields named in ``changed`` had
    before the update; ``extra`` the update's own facts (``comment.body``, ``update.via``…) and
    ``hours_since.*`` for automations; ``lazy`` computes a fact on first use (the requester's tier
    asks another plugin) and caches it.
    """

    values: Mapping[str, Any]
    before: Mapping[str, Any] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)
    lazy: dict[str, Callable[[], Any]] = field(default_factory=dict)
    custom_kinds: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        if name in self.lazy:
            self.extra[name] = self.lazy.pop(name)()
            return self.extra[name]
        if name.startswith(CUSTOM_PREFIX):
            return (self.values.get("custom_fields") or {}).get(name[len(CUSTOM_PREFIX):])
        if name == "update.changed":
            return sorted(self.changed)
        return self.values.get(name)

    def was(self, name: str) -> Any:
        return self.before.get(name)

    def has_changed(self, name: str) -> bool:
        return name in self.changed


def matches(conditions: Mapping[str, Sequence[Mapping[str, Any]]], facts: Facts) -> bool:
    """Whether a rule's (validated) conditions hold for ``facts``."""
    if not all(condition_holds(c, facts) for c in conditions.get("all") or ()):
        return False
    alternatives = conditions.get("any") or ()
    return not alternatives or any(condition_holds(c, facts) for c in alternatives)


def condition_holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    """One condition; anything that cannot be compared does not hold (never raises)."""
    name, operator, expected = condition["field"], condition["operator"], condition.get("value")
    kind = _kind_of(name, facts)
    try:
        if operator == "changed":
            return facts.has_changed(name)
        if operator == "changed_to":
            return facts.has_changed(name) and _equal(kind, facts.get(name), expected)
        if operator == "changed_from":
            return facts.has_changed(name) and _equal(kind, facts.was(name), expected)
        actual = facts.get(name)
        if operator == "present":
            return not _empty(actual)
        if operator == "absent":
            return _empty(actual)
        if operator == "is":
            return _equal(kind, actual, expected)
        if operator == "is_not":
            return not _equal(kind, actual, expected)
        if operator == "in":
            return any(_equal(kind, actual, one) for one in expected)
        if operator == "not_in":
            return not any(_equal(kind, actual, one) for one in expected)
        if operator == "contains":
            return _contains(kind, actual, expected)
        if operator == "not_contains":
            if kind in ("tags", "names", "multi") and isinstance(expected, list):
                return not any(_contains(kind, actual, one) for one in expected)
            return not _contains(kind, actual, expected)
        if operator in ORDERING:
            return _ordered(kind, name, operator, actual, expected)
    except (InvalidOperation, TypeError, ValueError, AttributeError):
        return False
    return False


def _kind_of(name: str, facts: Facts) -> str:
    if name.startswith(CUSTOM_PREFIX):
        return facts.custom_kinds.get(name[len(CUSTOM_PREFIX):], "text")
    spec = STANDARD_FIELDS.get(name)
    return spec.kind if spec else "text"


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple, set, dict)) and not value)


def _equal(kind: str, actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if kind in ("number", "hours"):
        a, b = _number(actual), _number(expected)
        return a is not None and a == b
    if kind == "datetime":
        return parse_datetime(actual) == parse_datetime(expected)
    if kind == "date":
        return _date(actual) == _date(expected)
    if kind == "boolean":
        return bool(actual) is expected if isinstance(expected, bool) else False
    return str(actual) == str(expected)


def _contains(kind: str, actual: Any, expected: Any) -> bool:
    """Text: the words appear (case-insensitively). Tags and names: every one given is there
    (``not_contains`` a list means none of them is there)."""
    if actual is None:
        return False
    if kind in ("tags", "names", "multi"):
        wanted = expected if isinstance(expected, list) else [expected]
        have = set(actual)
        return all(one in have for one in wanted)
    return str(expected).casefold() in str(actual).casefold()


def _ordered(kind: str, name: str, operator: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    left: Any
    right: Any
    if kind == "ordered":
        choices = STANDARD_FIELDS[name].choices
        left, right = choices.index(actual), choices.index(expected)
    elif kind == "datetime":
        left, right = parse_datetime(actual), parse_datetime(expected)
    elif kind == "date":
        left, right = _date(actual), _date(expected)
    else:
        left, right = _number(actual), _number(expected)
    if left is None or right is None:
        return False
    if operator == "lt":
        return bool(left < right)
    if operator == "lte":
        return bool(left <= right)
    if operator == "gt":
        return bool(left > right)
    return bool(left >= right)


def referenced_fields(conditions: Mapping[str, Iterable[Mapping[str, Any]]]) -> set[str]:
    """Every field a rule's conditions look at."""
    return {c["field"] for group in ("all", "any") for c in conditions.get(group) or ()}
