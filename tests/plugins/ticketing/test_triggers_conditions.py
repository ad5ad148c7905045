"""The condition language: what each operator means, and how a bad condition is reported."""

from __future__ import annotations

from typing import Any

import pytest

from ccokit.plugins.ticketing.services.rules.conditions import (
    AUTOMATION,
    TRIGGER,
    CustomFieldSpec,
    Facts,
    condition_holds,
    matches,
    validate_conditions,
)
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors

CUSTOM = {
    "refund_amount": CustomFieldSpec("refund_amount", "number"),
    "reason": CustomFieldSpec("reason", "enum", ("damaged", "late", "wrong_item")),
    "vip": CustomFieldSpec("vip", "boolean"),
    "order_no": CustomFieldSpec("order_no", "text"),
    "ship_date": CustomFieldSpec("ship_date", "date"),
    "issues": CustomFieldSpec("issues", "multi", ("scratch", "dent", "missing_part")),
}
KINDS = {key: spec.kind for key, spec in CUSTOM.items()}

TICKET = {
    "subject": "Refund for a broken kettle 水壶",
    "status": "open",
    "priority": "high",
    "category": "after_sales",
    "channel": "chat",
    "assignee_id": None,
    "group_id": "grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B",
    "tags": ["refund_request", "vip"],
    "due_at": "2026-03-01T08:00:00+00:00",
    "custom_fields": {"refund_amount": "88.50", "reason": "damaged", "vip": True, "ship_date": "2026-02-01",
                      "issues": ["scratch", "dent"]},
}


def facts(**extra: Any) -> Facts:
    before = extra.pop("before", {})
    changed = frozenset(extra.pop("changed", ()))
    values = {**TICKET, **extra.pop("values", {})}
    return Facts(values=values, before=before, changed=changed, extra=extra, custom_kinds=KINDS)


def holds(field: str, operator: str, value: Any = None, **kw: Any) -> bool:
    return condition_holds({"field": field, "operator": operator, "value": value}, facts(**kw))


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "is", "open", True),
        ("status", "is", "solved", False),
        ("status", "is_not", "solved", True),
        ("status", "in", ["new", "open"], True),
        ("status", "not_in", ["new", "open"], False),
        ("priority", "gt", "normal", True),
        ("priority", "gte", "high", True),
        ("priority", "lt", "high", False),
        ("priority", "lte", "urgent", True),
        ("subject", "contains", "KETTLE", True),
        ("subject", "contains", "水壶", True),
        ("subject", "not_contains", "kettle", False),
        ("tags", "contains", "vip", True),
        ("tags", "contains", ["vip", "refund_request"], True),
        ("tags", "contains", ["vip", "angry"], False),
        ("tags", "not_contains", ["angry", "spam"], True),
        ("tags", "not_contains", ["angry", "vip"], False),
        ("tags", "present", None, True),
        ("assignee_id", "absent", None, True),
        ("assignee_id", "present", None, False),
        ("assignee_id", "is", "mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B", False),
        ("assignee_id", "is_not", "mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B", True),
        ("group_id", "is", "grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B", True),
        ("due_at", "lt", "2026-03-02T00:00:00Z", True),
        ("due_at", "gt", "2026-03-01T08:59:00+01:00", True),
        ("due_at", "gt", "2026-03-01T09:00:00+01:00", False),
        ("custom_fields.refund_amount", "lt", 100, True),
        ("custom_fields.refund_amount", "lt", 88.5, False),
        ("custom_fields.refund_amount", "lte", 88.5, True),
        ("custom_fields.refund_amount", "is", 88.5, True),
        ("custom_fields.reason", "in", ["damaged", "late"], True),
        ("custom_fields.vip", "is", True, True),
        ("custom_fields.vip", "is", False, False),
        ("custom_fields.ship_date", "lt", "2026-02-02", True),
        ("custom_fields.order_no", "absent", None, True),
        ("custom_fields.issues", "contains", ["dent", "scratch"], True),
        ("custom_fields.issues", "not_contains", ["missing_part"], True),
        ("custom_fields.issues", "contains", "missing_part", False),
        # A value the ticket does not have: only the negative operators hold.
        ("custom_fields.order_no", "is_not", "A1", True),
        ("custom_fields.order_no", "contains", "A1", False),
        ("custom_fields.order_no", "not_contains", "A1", True),
        ("solved_at", "lt", "2026-03-02T00:00:00Z", False),
    ],
)
def test_operators(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value) is expected


def test_change_operators_look_at_the_update() -> None:
    changed = {"changed": {"status", "tags"}, "before": {"status": "new", "tags": []}}
    assert holds("status", "changed", **changed)
    assert not holds("priority", "changed", **changed)
    assert holds("status", "changed_to", "open", **changed)
    assert not holds("status", "changed_to", "solved", **changed)
    assert holds("status", "changed_from", "new", **changed)
    assert not holds("status", "changed_from", "pending", **changed)
    # Not changed in this update: changed_to does not hold even though the value matches.
    assert not holds("status", "changed_to", "open")
    assert holds("update.changed", "contains", "status", **changed)
    assert holds("update.changed", "not_contains", "priority", **changed)


def test_comment_and_update_facts() -> None:
    comment = {"comment.body": "我要退款 please", "comment.public": True, "comment.author_kind": "customer"}
    assert holds("comment.body", "contains", "退款", **comment)
    assert holds("comment.public", "is", True, **comment)
    assert holds("comment.author_kind", "is", "customer", **comment)
    # An update without a comment: the comment facts are absent.
    assert holds("comment.body", "absent")
    assert not holds("comment.public", "is", True)
    assert holds("update.via", "is", "api", **{"update.via": "api"})
    assert holds("update.type", "is", "created", **{"update.type": "created"})


def test_requester_tier_is_asked_lazily_and_once() -> None:
    calls = []

    def tier() -> str:
        calls.append(1)
        return "gold"

    f = Facts(values=TICKET, lazy={"requester.tier": tier})
    condition = {"field": "requester.tier", "operator": "is", "value": "gold"}
    assert not calls
    assert condition_holds(condition, f)
    assert condition_holds(condition, f)
    assert calls == [1]


def test_all_and_any() -> None:
    f = facts()
    yes = {"field": "status", "operator": "is", "value": "open"}
    no = {"field": "status", "operator": "is", "value": "solved"}
    assert matches({"all": [yes], "any": []}, f)
    assert not matches({"all": [yes, no], "any": []}, f)
    assert matches({"all": [yes], "any": [no, yes]}, f)
    assert not matches({"all": [yes], "any": [no]}, f)
    assert matches({"all": [], "any": [yes]}, f)


def test_a_value_that_cannot_be_compared_does_not_hold() -> None:
    # The field became text after the rule was saved: lt on "abc" simply does not hold.
    f = facts(values={"custom_fields": {"refund_amount": "abc"}})
    assert not condition_holds({"field": "custom_fields.refund_amount", "operator": "lt", "value": 100}, f)
    assert condition_holds({"field": "custom_fields.refund_amount", "operator": "present"}, f)


def check(data: Any, context: str = TRIGGER, locale: str = "en") -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors = RuleErrors(locale)
    normal = validate_conditions(data, context, CUSTOM, errors)
    return normal, errors.messages


def test_valid_conditions_are_normalised() -> None:
    normal, errors = check({"all": [
        {"field": "custom_fields.refund_amount", "operator": "lt", "value": "100"},
        {"field": "tags", "operator": "contains", "value": "refund_request"},
        {"field": "assignee_id", "operator": "absent"},
        {"field": "due_at", "operator": "lt", "value": "2026-03-01T08:00:00Z"},
    ]})
    assert errors == {}
    assert normal["all"][0]["value"] == 100
    assert normal["all"][1]["value"] == ["refund_request"]
    assert normal["all"][2] == {"field": "assignee_id", "operator": "absent"}
    assert normal["all"][3]["value"] == "2026-03-01T08:00:00+00:00"
    assert normal["any"] == []


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        ({"field": "nope", "operator": "is", "value": 1}, "conditions.all.1.field", "Unknown field nope"),
        ({"field": "custom_fields.colour", "operator": "is", "value": "red"}, "conditions.all.1.field",
         "No custom field has the key colour"),
        ({"field": "status", "operator": "is", "value": "done"}, "conditions.all.1.value", "Must be one of"),
        ({"field": "status", "operator": "lt", "value": "open"}, "conditions.all.1.operator",
         "does not apply to status"),
        ({"field": "status", "operator": "resembles", "value": "x"}, "conditions.all.1.operator",
         "Unknown operator"),
        ({"field": "custom_fields.refund_amount", "operator": "lt", "value": "lots"}, "conditions.all.1.value",
         "Must be a number"),
        ({"field": "custom_fields.reason", "operator": "is", "value": "bored"}, "conditions.all.1.value",
         "damaged, late, wrong_item"),
        ({"field": "custom_fields.reason", "operator": "in", "value": ["late", "bored"]},
         "conditions.all.1.value.1", "Must be one of"),
        ({"field": "custom_fields.issues", "operator": "contains", "value": ["dent", "rust"]},
         "conditions.all.1.value.1", "scratch, dent, missing_part"),
        ({"field": "custom_fields.issues", "operator": "is", "value": "dent"}, "conditions.all.1.operator",
         "does not apply"),
        ({"field": "custom_fields.vip", "operator": "is", "value": "yes"}, "conditions.all.1.value",
         "true or false"),
        ({"field": "assignee_id", "operator": "is", "value": "bob"}, "conditions.all.1.value", "mem_"),
        ({"field": "status", "operator": "is"}, "conditions.all.1.value", "required"),
        ({"field": "status", "operator": "present", "value": "x"}, "conditions.all.1.value", "no value"),
        ({"field": "tags", "operator": "contains", "value": "two words"}, "conditions.all.1.value", "Tags"),
        ({"field": "due_at", "operator": "lt", "value": "2026-03-01T08:00:00"}, "conditions.all.1.value",
         "with a zone"),
        ({"field": "hours_since.solved", "operator": "gt", "value": 96}, "conditions.all.1.field",
         "only be used in automations"),
        ({"field": "status", "operator": "is", "value": "open", "extra": 1}, "conditions.all.1",
         "Unknown keys: extra"),
        ("status is open", "conditions.all.1", "Expected an object"),
    ],
)
def test_each_problem_is_reported_at_its_path(condition: Any, path: str, fragment: str) -> None:
    ok = {"field": "status", "operator": "is", "value": "open"}
    _, errors = check({"all": [ok, condition]})
    assert list(errors) == [path]
    assert fragment in errors[path][0]


def test_automation_only_and_trigger_only_fields() -> None:
    _, errors = check({"all": [
        {"field": "status", "operator": "changed"},
        {"field": "comment.body", "operator": "contains", "value": "x"},
        {"field": "hours_since.solved", "operator": "gt", "value": -1},
    ]}, context=AUTOMATION)
    assert set(errors) == {"conditions.all.0.operator", "conditions.all.1.field", "conditions.all.2.value"}
    assert "only be used in triggers" in errors["conditions.all.1.field"][0]
    assert "negative" in errors["conditions.all.2.value"][0]


def test_messages_in_chinese() -> None:
    _, errors = check({"any": [{"field": "status", "operator": "is", "value": "done"}]}, locale="zh")
    assert errors["conditions.any.0.value"][0].startswith("必须是以下之一")
    _, errors = check({"all": "x"}, locale="zh")
    assert errors == {"conditions.all": ["应为列表。"]}
