"""What rule validation tells a merchant, in English and Chinese.

Every problem found in a macro, trigger or automation is reported at the exact path of the value
that caused it (``conditions.all.2.value``), so a console can put the message next to the input.
Keys are stable; the wording may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MESSAGES", "RuleErrors", "RuleInvalid", "text"]

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This is required.", "zh": "此项必填。"},
    "not_object": {"en": "Expected an object.", "zh": "应为对象。"},
    "not_list": {"en": "Expected a list.", "zh": "应为列表。"},
    "unknown_keys": {"en": "Unknown keys: {keys}.", "zh": "未知的键：{keys}。"},
    "too_many": {"en": "At most {limit} items.", "zh": "最多 {limit} 项。"},
    "unknown_field": {"en": "Unknown field {field}.", "zh": "未知字段 {field}。"},
    "unknown_custom_field": {
        "en": "No custom field has the key {key}.",
        "zh": "没有键为 {key} 的自定义字段。",
    },
    "field_not_here": {
        "en": "{field} can only be used in {where}.",
        "zh": "{field} 只能用于{where}。",
    },
    "unknown_operator": {"en": "Unknown operator {operator}.", "zh": "未知的运算符 {operator}。"},
    "operator_not_for_field": {
        "en": "The operator {operator} does not apply to {field}; use one of: {allowed}.",
        "zh": "运算符 {operator} 不适用于 {field}；可用：{allowed}。",
    },
    "no_value": {"en": "This operator takes no value.", "zh": "该运算符不需要值。"},
    "not_one_of": {"en": "Must be one of: {choices}.", "zh": "必须是以下之一：{choices}。"},
    "not_number": {"en": "Must be a number.", "zh": "必须是数字。"},
    "not_integer": {"en": "Must be a whole number.", "zh": "必须是整数。"},
    "not_boolean": {"en": "Must be true or false.", "zh": "必须是 true 或 false。"},
    "not_text": {"en": "Must be text of 1-{limit} characters.", "zh": "必须是 1-{limit} 个字符的文本。"},
    "not_datetime": {
        "en": "Must be a date and time with a zone (ISO 8601), e.g. 2026-01-31T08:00:00Z.",
        "zh": "必须是带时区的日期时间（ISO 8601），如 2026-01-31T08:00:00Z。",
    },
    "not_date": {"en": "Must be a date (YYYY-MM-DD).", "zh": "必须是日期（YYYY-MM-DD）。"},
    "not_id": {"en": "Must be an id like {prefix}_….", "zh": "必须是形如 {prefix}_… 的编号。"},
    "not_list_of": {"en": "Must be a non-empty list of {what}.", "zh": "必须是非空的{what}列表。"},
    "not_tag": {
        "en": "Tags are 1-{limit} characters without spaces.",
        "zh": "标签为 1-{limit} 个字符，不含空格。",
    },
    "negative": {"en": "Must not be negative.", "zh": "不能为负数。"},
    "unknown_action": {"en": "Unknown action {action}.", "zh": "未知的动作 {action}。"},
    "action_not_here": {
        "en": "The action {action} cannot be used in {where}.",
        "zh": "动作 {action} 不能用于{where}。",
    },
    "field_not_settable": {
        "en": "{field} cannot be set by a rule; settable: {allowed}.",
        "zh": "规则不能设置 {field}；可设置：{allowed}。",
    },
    "unknown_placeholder": {
        "en": "Unknown placeholder {placeholder}; known: {known}.",
        "zh": "未知的占位符 {placeholder}；可用：{known}。",
    },
    "no_conditions": {
        "en": "A trigger or automation needs at least one condition.",
        "zh": "触发器或自动化至少需要一个条件。",
    },
    "no_actions": {"en": "At least one action is required.", "zh": "至少需要一个动作。"},
    "needs_time_condition": {
        "en": "An automation needs at least one hours_since.* condition under all.",
        "zh": "自动化在 all 下至少需要一个 hours_since.* 条件。",
    },
    "fires_forever": {
        "en": "This automation could fire again and again: one of its actions must make one of its "
        "conditions under all false (e.g. status is solved, then set status to closed).",
        "zh": "该自动化可能反复执行：至少一个动作必须使 all 下的某个条件不再成立"
        "（例如 状态为已解决，再将状态设为已关闭）。",
    },
    "duplicate_field": {"en": "{field} is set twice.", "zh": "{field} 被重复设置。"},
    "loop_cap_note": {
        "en": "Triggers stopped after {passes} passes over this update; later triggers did not run. "
        "Check the triggers for a chain that keeps re-enabling itself.",
        "zh": "本次更新的触发器在执行 {passes} 轮后停止，之后的触发器未运行。"
        "请检查是否有互相触发的触发器链。",
    },
    "where_triggers": {"en": "triggers", "zh": "触发器"},
    "where_automations": {"en": "automations", "zh": "自动化"},
    "where_macros": {"en": "macros", "zh": "宏"},
    "where_updates": {"en": "triggers and macros", "zh": "触发器与宏"},
    "unknown_ids": {"en": "Unknown ids: {ids}.", "zh": "未知的编号：{ids}。"},
    "reorder_incomplete": {
        "en": "List every trigger exactly once; missing: {ids}.",
        "zh": "必须且只能列出每个触发器一次；缺少：{ids}。",
    },
}


def text(key: str, locale: str = "en", /, **values: Any) -> str:
    """The message ``key`` in ``locale`` (English when the locale is unknown), filled in."""
    entry = MESSAGES[key]
    template = entry.get(locale) or entry["en"]
    return template.format(**values) if values else template


class RuleErrors:
    """Collects messages by path while a rule is checked, in one locale."""

    def __init__(self, locale: str = "en") -> None:
        self.locale = locale
        self.messages: dict[str, list[str]] = {}

    def add(self, path: str, key: str, /, **values: Any) -> None:
        self.messages.setdefault(path, []).append(text(key, self.locale, **values))

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise RuleInvalid(self.messages)


class RuleInvalid(ValueError):
    """A rule failed validation; ``errors`` maps each path to its messages (answered as 422)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)
