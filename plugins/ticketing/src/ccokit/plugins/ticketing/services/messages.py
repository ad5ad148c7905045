"""What ticketing tells a merchant when a write is refused, in English and Chinese.

Services raise :class:`Invalid` with errors keyed by the API field that caused them (nested for
``custom_fields`` and ``requester``), each message a :class:`Message` (a stable key and its
values). The route renders them in the caller's language (``current().locale``) into the
``errors`` of a 422 problem, so a console can put each message next to its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MESSAGES", "Invalid", "Message", "render"]

MESSAGES: dict[str, dict[str, str]] = {
    "transition": {
        "en": "A {current} ticket cannot become {target}; allowed: {allowed}.",
        "zh": "状态为 {current} 的工单不能变为 {target}；可变为：{allowed}。",
    },
    "closed": {
        "en": "This ticket is closed; it cannot change any more.",
        "zh": "该工单已关闭，不能再修改。",
    },
    "merge_closed": {
        "en": "Ticket #{number} is closed and cannot take part in a merge.",
        "zh": "工单 #{number} 已关闭，不能参与合并。",
    },
    "unknown_ticket": {"en": "No ticket has the id {id}.", "zh": "没有编号为 {id} 的工单。"},
    "unknown_group": {"en": "No group has this id.", "zh": "没有该编号的分组。"},
    "unknown_member": {
        "en": "No member of this workspace has the id {id}.",
        "zh": "本商家空间没有编号为 {id} 的成员。",
    },
    "inactive_member": {"en": "Member {id} is deactivated.", "zh": "成员 {id} 已停用。"},
    "unknown_customer": {"en": "No customer has this id.", "zh": "没有该编号的客户。"},
    "bad_contact": {"en": "Not a usable contact point: {detail}", "zh": "无法使用的联系方式：{detail}"},
    "unknown_custom_field": {
        "en": "No custom field has the key {key}.",
        "zh": "没有键为 {key} 的自定义字段。",
    },
    "required": {"en": "This field is required.", "zh": "此项必填。"},
    "not_text": {
        "en": "Must be text of at most {limit} characters.",
        "zh": "必须是不超过 {limit} 个字符的文本。",
    },
    "not_number": {"en": "Must be a number.", "zh": "必须是数字。"},
    "not_date": {"en": "Must be a date (YYYY-MM-DD).", "zh": "必须是日期（YYYY-MM-DD）。"},
    "not_boolean": {"en": "Must be true or false.", "zh": "必须是 true 或 false。"},
    "not_option": {"en": "Must be one of: {choices}.", "zh": "必须是以下之一：{choices}。"},
    "not_options": {
        "en": "Must be a list of distinct values among: {choices}.",
        "zh": "必须是以下值组成的不重复列表：{choices}。",
    },
    "key_taken": {"en": "Another custom field uses this key.", "zh": "已有自定义字段使用该键。"},
    "name_taken": {"en": "Another group has this name.", "zh": "已有分组使用该名称。"},
    "type_fixed": {
        "en": "The type of a custom field cannot change once created; add a new field instead.",
        "zh": "自定义字段创建后不能更改类型；请新建字段。",
    },
    "options_needed": {
        "en": "A {type} field needs at least one option.",
        "zh": "{type} 类型的字段至少需要一个选项。",
    },
    "options_unused": {
        "en": "Only dropdown and multi-select fields have options.",
        "zh": "只有下拉和多选字段才有选项。",
    },
    "duplicate_option": {"en": "Option values must be distinct: {value}.", "zh": "选项值不能重复：{value}。"},
    "too_many_ids": {"en": "At most {limit} ids.", "zh": "最多 {limit} 个编号。"},
    "merge_self": {"en": "A ticket cannot be merged into itself.", "zh": "工单不能合并到自身。"},
    "bulk_failed": {
        "en": "Nothing was changed: {count} of the tickets could not take these changes.",
        "zh": "未作任何修改：其中 {count} 个工单无法应用这些修改。",
    },
    "nothing_to_change": {"en": "Give at least one change.", "zh": "请至少提供一项修改。"},
}


@dataclass(frozen=True)
class Message:
    """One refusal: a key of :data:`MESSAGES` and the values its text names."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, locale: str) -> str:
        entry = MESSAGES[self.key]
        template = entry.get(locale) or entry["en"]
        return template.format(**self.values)


class Invalid(Exception):
    """A write was refused; ``errors`` maps API fields (nested where the input nests) to
    lists of :class:`Message`. Nothing of the write has been flushed when it is raised."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)

    @classmethod
    def one(cls, field_name: str, key: str, **values: Any) -> Invalid:
        return cls({field_name: [Message(key, values)]})


def render(errors: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """``errors`` with every :class:`Message` turned into text in ``locale``."""

    def walk(value: Any) -> Any:
        if isinstance(value, Message):
            return value.text(locale)
        if isinstance(value, Mapping):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(errors)
