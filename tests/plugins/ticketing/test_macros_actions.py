"""The action language: validation at exact paths, what a list of actions amounts to, templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ccokit.plugins.ticketing.services.rules.actions import plan_actions, render, validate_actions
from ccokit.plugins.ticketing.services.rules.conditions import CustomFieldSpec
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors

CUSTOM = {
    "refund_amount": CustomFieldSpec("refund_amount", "number"),
    "reason": CustomFieldSpec("reason", "enum", ("damaged", "late")),
}
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TICKET = {
    "number": 42, "subject": "Kettle", "status": "open", "priority": "normal", "tags": ["a", "b"],
    "custom_fields": {"reason": "late"}, "assignee_id": None, "due_at": None,
}


def check(actions: Any, locale: str = "en") -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    errors = RuleErrors(locale)
    normal = validate_actions(actions, CUSTOM, errors)
    return normal, errors.messages


def test_a_full_valid_list() -> None:
    actions = [
        {"action": "set", "field": "status", "value": "pending"},
        {"action": "set", "field": "assignee_id", "value": None},
        {"action": "set", "field": "due_at", "value": {"in_hours": 48}},
        {"action": "set", "field": "custom_fields.refund_amount", "value": "12.5"},
        {"action": "add_tags", "value": ["x", "x", "y"]},
        {"action": "remove_tags", "value": ["a"]},
        {"action": "reply", "value": "您好 {{ requester.name }}，工单 {{ticket.number}} 已处理"},
        {"action": "note", "value": "auto"},
        {"action": "notify_webhook", "value": "refund {{ticket.id}}"},
    ]
    normal, errors = check(actions)
    assert errors == {}
    assert normal[3]["value"] == 12.5
    assert normal[4]["value"] == ["x", "y"]


@pytest.mark.parametrize(
    ("action", "path", "fragment"),
    [
        ({"action": "explode"}, "actions.1.action", "Unknown action explode"),
        ({"value": 1}, "actions.1.action", "required"),
        ({"action": "set", "field": "subject", "value": "x"}, "actions.1.field", "cannot be set by a rule"),
        ({"action": "set", "field": "status", "value": "new"}, "actions.1.value", "Must be one of"),
        ({"action": "set", "field": "status", "value": None}, "actions.1.value", "required"),
        ({"action": "set", "field": "status"}, "actions.1.value", "required"),
        ({"action": "set", "field": "priority", "value": "asap"}, "actions.1.value", "low, normal, high, urgent"),
        ({"action": "set", "field": "assignee_id", "value": "grp_01JD3M6ZK7Q3XG5W2V8N4T9R1B"}, "actions.1.value",
         "mem_"),
        ({"action": "set", "field": "due_at", "value": {"in_hours": "soon"}}, "actions.1.value.in_hours",
         "number"),
        ({"action": "set", "field": "custom_fields.reason", "value": "bored"}, "actions.1.value", "damaged, late"),
        ({"action": "set", "field": "custom_fields.nope", "value": 1}, "actions.1.field", "key nope"),
        ({"action": "add_tags", "value": []}, "actions.1.value", "non-empty list"),
        ({"action": "add_tags", "value": ["ok", "not ok"]}, "actions.1.value.1", "Tags"),
        ({"action": "reply", "value": ""}, "actions.1.value", "text of 1-4000"),
        ({"action": "reply", "value": "Hi {{customer.email}}"}, "actions.1.value", "{{customer.email}}"),
        ({"action": "note", "value": "x", "public": True}, "actions.1", "Unknown keys: public"),
        ({"action": "set", "field": "status", "value": "open"}, "actions.1.field", "set twice"),
    ],
)
def test_each_problem_is_reported_at_its_path(action: dict[str, Any], path: str, fragment: str) -> None:
    _, errors = check([{"action": "set", "field": "status", "value": "solved"}, action])
    assert list(errors) == [path]
    assert fragment in errors[path][0]


def test_list_shape_problems() -> None:
    assert check([])[1] == {"actions": ["At least one action is required."]}
    assert check(None)[1] == {"actions": ["This is required."]}
    assert check({"action": "note"})[1] == {"actions": ["Expected a list."]}
    assert check([{"action": "note", "value": "x"}] * 31)[1] == {"actions": ["At most 30 items."]}


def test_messages_in_chinese() -> None:
    _, errors = check([{"action": "reply", "value": "{{x.y}}"}], locale="zh")
    assert errors["actions.0.value"][0].startswith("未知的占位符 {{x.y}}")


def test_plan_is_one_update_with_only_real_changes() -> None:
    actions, _ = check([
        {"action": "set", "field": "status", "value": "open"},  # already open: no change
        {"action": "set", "field": "priority", "value": "high"},
        {"action": "set", "field": "due_at", "value": {"in_hours": 24}},
        {"action": "set", "field": "custom_fields.reason", "value": "late"},  # unchanged
        {"action": "set", "field": "custom_fields.refund_amount", "value": 10},
        {"action": "add_tags", "value": ["c", "a"]},
        {"action": "remove_tags", "value": ["b"]},
        {"action": "reply", "value": "Ticket #{{ticket.number}}: {{ticket.subject}} for {{requester.name}}"},
        {"action": "note", "value": "internal"},
        {"action": "notify_webhook", "value": "refund {{ticket.number}}"},
    ])
    asked = []

    def placeholders() -> dict[str, str]:
        asked.append(1)
        return {"ticket.number": "42", "ticket.subject": "Kettle", "requester.name": "王芳"}

    plan = plan_actions(actions, TICKET, NOW, placeholders)
    assert plan.changes == {
        "priority": "high",
        "due_at": "2026-03-02T08:00:00+00:00",
        "tags": ["a", "c"],
        "custom_fields": {"refund_amount": 10},
    }
    assert plan.comments == [("Ticket #42: Kettle for 王芳", True), ("internal", False)]
    assert plan.notifications == ["refund 42"]
    assert asked == [1]


def test_plan_of_actions_that_change_nothing_is_empty() -> None:
    actions, _ = check([
        {"action": "set", "field": "status", "value": "open"},
        {"action": "add_tags", "value": ["a"]},
        {"action": "remove_tags", "value": ["zzz"]},
    ])
    assert not plan_actions(actions, TICKET, NOW, dict)


def test_render_is_plain_substitution() -> None:
    values = {"ticket.subject": "{{ticket.number}} <b>", "ticket.number": "7"}
    # A value is inserted as it is: it is not scanned for placeholders again, nor escaped.
    assert render("[{{ticket.subject}}] {{ ticket.number }} {{requester.name}}.", values) == "[{{ticket.number}} <b>] 7 ."
    assert render("{{__class__}} {{ticket.__dict__}}", values) == "{{__class__}} {{ticket.__dict__}}"
