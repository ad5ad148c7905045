"""A flask-smorest blueprint whose field errors speak the caller's language.

marshmallow's messages are English only. A plugin's views built on :class:`Blueprint` answer a
422 with each field error in Chinese when the caller's language is Chinese (their member
locale, or ``Accept-Language: zh``), translated from the standard marshmallow and webargs
messages here plus any the plugin adds::

    from ccokit_sdk.blueprints import Blueprint, LocalizedParser

    class RoutingBlueprint(Blueprint):
        ARGUMENTS_PARSER = LocalizedParser(messages_zh={"Unknown skill.": "未知技能。"})

The parser also builds each argument schema once: given a schema class, webargs would build an
instance on every request, which costs more than loading a body with it, and a marshmallow
schema keeps no state of a load on itself, so one instance serves every request and thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from ccokit_sdk.plugin import current

__all__ = ["MESSAGES_ZH", "PATTERNS_ZH", "Blueprint", "LocalizedParser", "locale", "translate_messages"]

#: marshmallow's, webargs' and the SDK fields' standard messages in Chinese.
MESSAGES_ZH: Mapping[str, str] = {
    "Missing data for required field.": "缺少必填字段。",
    "Field may not be null.": "该字段不能为空。",
    "Unknown field.": "未知字段。",
    "Invalid input type.": "输入类型无效。",
    "Invalid value.": "值无效。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid aware datetime.": "必须是带时区的日期时间（如 2026-01-31T08:00:00Z）。",
    "Not a valid email address.": "不是有效的邮箱地址。",
    "Not a valid cursor.": "不是有效的游标。",
    "This cursor belongs to another sort.": "该游标属于另一种排序。",
    "String does not match expected pattern.": "格式不正确。",
}
#: Standard messages with values in them, and their Chinese templates.
PATTERNS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Must be one of: (.*)\.$"), "必须是以下之一：{0}。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度必须在 {0} 到 {1} 之间。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "长度不能少于 {0}。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "长度不能超过 {0}。"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "必须大于等于 {0} 且小于等于 {1}。",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "必须大于等于 {0}。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "必须小于等于 {0}。"),
    (
        re.compile(r"^Not a valid id of this kind \(expected (\w+)_…\)\.$"),
        "不是此类的有效编号（应为 {0}_…）。",
    ),
)


def locale() -> str:
    """``zh`` or ``en``: the authenticated caller's language (English outside a request)."""
    try:
        return current().locale
    except RuntimeError:
        return "en"


def translate_messages(
    messages: Any,
    language: str,
    exact: Mapping[str, str] = MESSAGES_ZH,
    patterns: Iterable[tuple[re.Pattern[str], str]] = PATTERNS_ZH,
) -> Any:
    """marshmallow's messages (nested dicts and lists of text) in ``language``."""
    if language != "zh":
        return messages
    if isinstance(messages, str):
        if messages in exact:
            return exact[messages]
        for pattern, template in patterns:
            match = pattern.match(messages)
            if match:
                return template.format(*match.groups())
        return messages
    if isinstance(messages, Mapping):
        return {k: translate_messages(v, language, exact, patterns) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(v, language, exact, patterns) for v in messages]
    return messages


class LocalizedParser(FlaskParser):
    """webargs' Flask parser answering 422 in the caller's language, one instance per schema.

    ``messages_zh`` and ``patterns_zh`` add a plugin's own messages (its validators') to the
    standard ones; a plugin's entry wins over the standard one of the same text.
    """

    def __init__(
        self,
        messages_zh: Mapping[str, str] | None = None,
        patterns_zh: Iterable[tuple[re.Pattern[str], str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.messages_zh: Mapping[str, str] = {**MESSAGES_ZH, **(messages_zh or {})}
        self.patterns_zh = (*tuple(patterns_zh), *PATTERNS_ZH)

    def translate(self, messages: Any, language: str) -> Any:
        return translate_messages(messages, language, self.messages_zh, self.patterns_zh)

    def use_args(self, argmap: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            argmap = argmap()
        return super().use_args(argmap, *args, **kwargs)

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, **kwargs: Any) -> NoReturn:
        translated = ma.ValidationError(self.translate(error.messages, locale()))
        super().handle_error(translated, req, schema, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover - handle_error aborts


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors follow the caller's language."""

    ARGUMENTS_PARSER = LocalizedParser()
