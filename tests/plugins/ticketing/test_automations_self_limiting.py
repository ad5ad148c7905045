"""An automation must switch itself off on the ticket it acted on; which rules count as doing so."""

from __future__ import annotations

from typing import Any

import pytest

from ccokit.plugins.ticketing.services.rules.actions import self_limiting

SOLVED_96H = {"field": "hours_since.solved", "operator": "gt", "value": 96}


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def set_(field: str, value: Any) -> dict[str, Any]:
    return {"action": "set", "field": field, "value": value}


@pytest.mark.parametrize(
    ("condition", "action"),
    [
        (cond("status", "is", "solved"), set_("status", "closed")),
        (cond("status", "in", ["pending", "on_hold"]), set_("status", "open")),
        (cond("status", "is_not", "closed"), set_("status", "closed")),
        (cond("priority", "not_in", ["high", "urgent"]), set_("priority", "high")),
        (cond("assignee_id", "absent"), set_("assignee_id", "mem_01JD3M6ZK7Q3XG5W2V8N4T9R1B")),
        (cond("group_id", "present"), set_("group_id", None)),
        (cond("tags", "not_contains", ["reminded"]), {"action": "add_tags", "value": ["reminded"]}),
        (cond("tags", "contains", ["waiting"]), {"action": "remove_tags", "value": ["waiting"]}),
        (cond("custom_fields.stage", "is", "a"), set_("custom_fields.stage", "b")),
    ],
)
def test_an_action_that_falsifies_a_condition(condition: dict[str, Any], action: dict[str, Any]) -> None:
    assert self_limiting({"all": [SOLVED_96H, condition], "any": []}, [action])


@pytest.mark.parametrize(
    ("condition", "action"),
    [
        (cond("status", "is", "solved"), set_("status", "solved")),  # sets what it checks
        (cond("status", "in", ["solved", "closed"]), set_("status", "closed")),
        (cond("status", "is", "solved"), set_("priority", "low")),  # another field
        (cond("status", "is", "solved"), {"action": "add_tags", "value": ["x"]}),
        (cond("tags", "not_contains", ["reminded"]), {"action": "add_tags", "value": ["other"]}),
        (cond("tags", "present"), {"action": "remove_tags", "value": ["x"]}),
        (cond("status", "is", "solved"), {"action": "notify_webhook", "value": "again and again"}),
    ],
)
def test_actions_that_leave_every_condition_true(condition: dict[str, Any], action: dict[str, Any]) -> None:
    assert not self_limiting({"all": [SOLVED_96H, condition], "any": []}, [action])


def test_only_conditions_under_all_count() -> None:
    # Under any, a falsified condition may leave another alternative true: it stops nothing.
    conditions = {"all": [SOLVED_96H], "any": [cond("status", "is", "solved"), cond("priority", "is", "low")]}
    assert not self_limiting(conditions, [set_("status", "closed")])
