"""What every ticketing view shares: field errors in the caller's language, and who is acting.

:class:`Blueprint` is flask-smorest's, with an argument parser whose 422 messages are given in
Chinese when the caller asked for it (``Accept-Language: zh``): marshmallow speaks English
only, so its standard messages are translated here. Business refusals raised by the services
(:class:`~..services.messages.Invalid`) are rendered by :func:`refuse` from ticketing's own
catalogue in the same way.
"""

from __future__ import annotations

import re
from typing import NoReturn

from ccokit.plugins.ticketing.services.changes import Actor
from ccokit.plugins.ticketing.services.messages import Invalid, render
from ccokit_sdk import blueprints
from ccokit_sdk.blueprints import locale
from ccokit_sdk.plugin import abort, current

__all__ = ["MESSAGES_ZH", "PATTERNS_ZH", "Blueprint", "locale", "refuse", "request_actor"]

#: Ticketing's own validators' messages, beside the SDK's standard ones.
MESSAGES_ZH = {
    "1-40 lowercase letters, digits or _, starting with a letter.":
        "1-40 个小写字母、数字或 _，以字母开头。",
    "1-40 characters without spaces, commas, quotes or backslashes.":
        "1-40 个字符，不含空格、逗号、引号或反斜杠。",
    "1-60 letters, digits, _, - or .": "1-60 个字母、数字、_、- 或 .",
    "A phone number: digits, spaces, ( ) and -, optionally a leading +.":
        "电话号码：数字、空格、( ) 和 -，可以 + 开头。",
}
PATTERNS_ZH = ((re.compile(r"^Not a valid author id \((.*)\)\.$"), "不是有效的作者编号（{0}）。"),)


class Blueprint(blueprints.Blueprint):
    """The SDK's localized blueprint, knowing ticketing's own messages in Chinese too."""

    ARGUMENTS_PARSER = blueprints.LocalizedParser(MESSAGES_ZH, PATTERNS_ZH)


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
