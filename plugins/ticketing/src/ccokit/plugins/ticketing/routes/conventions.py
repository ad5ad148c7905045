"""What every ticketing view shares: field errors in the caller's language, and who is acting.

:class:`Blueprint` is flask-smorest's, with an argument parser whose 422 messages are given in
Chinese when the caller asked for it (``Accept-Language: zh``): marshmallow speaks English
only, so its standard messages are translated here. Business refusals raised by the services
(:class:`~..services.messages.Invalid`) are rendered by :func:`refuse` from ticketing's own
catalogue in the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from ccokit.plugins.ticketing.services.changes import Actor
from ccokit.plugins.ticketing.services.messages import Invalid, render
from ccokit_sdk.plugin import abort, current

__all__ = ["Blueprint", "locale", "refuse", "request_actor", "translate_messages"]

_EXACT = {
    "Missing data for required field.": "缺少必填字段。",
    "Field may not be null.": "该字段不能为空。",
    "Unknown field.": "未知字段。",
    "Invalid input type.": "输入类型无效。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid aware datetime.": "必须是带时区的日期时间（如 2026-01-31T08:00:00Z）。",
    "Not a valid email address.": "不是有效的邮箱地址。",
    "Not a valid cursor.": "不是有效的游标。",
    "This cursor belongs to another sort.": "该游标属于另一种排序。",
    "String does not match expected pattern.": "格式不正确。",
    "1-40 lowercase letters, digits or _, starting with a letter.":
        "1-40 个小写字母、数字或 _，以字母开头。",
    "1-40 characters without spaces, commas, quotes or backslashes.":
        "1-40 个字符，不含空格、逗号、引号或反斜杠。",
    "1-60 letters, digits, _, - or .": "1-60 个字母、数字、_、- 或 .",
    "A phone number: digits, spaces, ( ) and -, optionally a leading +.":
        "电话号码：数字、空格、( ) 和 -，可以 + 开头。",
}
_PATTERNS = [
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
    (re.compile(r"^Not a valid author id \((.*)\)\.$"), "不是有效的作者编号（{0}）。"),
]


def locale() -> str:
    """``zh`` or ``en``: the authenticated caller's language (English outside a request)."""
    try:
        return current().locale
    except RuntimeError:
        return "en"


def _translate(text: str) -> str:
    if text in _EXACT:
        return _EXACT[text]
    for pattern, template in _PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return text


def translate_messages(messages: Any, language: str) -> Any:
    """marshmallow's messages (nested dicts and lists of text) in ``language``."""
    if language != "zh":
        return messages
    if isinstance(messages, str):
        return _translate(messages)
    if isinstance(messages, Mapping):
        return {k: translate_messages(v, language) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(v, language) for v in messages]
    return messages


class LocalizedParser(FlaskParser):
    """webargs' Flask parser, answering 422 with messages in the caller's language, and reusing
    one instance of each argument schema.

    Given a schema class, webargs builds an instance on every request, and building one (its
    fields bound, its nested schemas made on first use) costs more than loading a body with it.
    A marshmallow 4 schema keeps no state of a load on itself, so one instance serves every
    request and thread.
    """

    def use_args(self, argmap: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            argmap = argmap()
        return super().use_args(argmap, *args, **kwargs)

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, **kwargs: Any) -> NoReturn:
        translated = ma.ValidationError(translate_messages(error.messages, locale()))
        super().handle_error(translated, req, schema, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover - handle_error aborts


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors follow ``Accept-Language``."""

    ARGUMENTS_PARSER = LocalizedParser()


def refuse(exc: Invalid, status: int = 422) -> NoReturn:
    """Answer a refused write: a problem with the field errors in the caller's language."""
    abort(status, messages=render(exc.errors, locale()))
    raise AssertionError("unreachable")  # pragma: no cover - abort raises


def request_actor() -> Actor:
    """The caller as a ticket actor: the member behind the token, or the API client itself."""
    principal = current().principal
    if principal.member_id is not None:
        return Actor("agent", principal.member_id)
    return Actor("app", None, principal.client_id)
