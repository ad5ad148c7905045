"""What every routing view shares: field errors and refusals in the caller's language."""

from __future__ import annotations

from typing import NoReturn

from ccokit.plugins.routing.schemas.config import MESSAGES_ZH
from ccokit.plugins.routing.services.messages import CATALOGUE, Invalid, Message
from ccokit_sdk import blueprints
from ccokit_sdk.blueprints import locale
from ccokit_sdk.plugin import abort

__all__ = ["Blueprint", "conflict", "refuse"]


class Blueprint(blueprints.Blueprint):
    """The SDK's localized blueprint, knowing routing's own messages in Chinese too."""

    ARGUMENTS_PARSER = blueprints.LocalizedParser(MESSAGES_ZH)


def refuse(exc: Invalid, status: int = 422) -> NoReturn:
    """Answer a refused write: a problem with the field errors in the caller's language."""
    abort(status, messages=CATALOGUE.render(exc.errors, locale()))
    raise AssertionError("unreachable")  # pragma: no cover - abort raises


def conflict(message: Message) -> NoReturn:
    """Answer 409 with one message in the caller's language."""
    abort(409, message=CATALOGUE.text(message, locale()))
    raise AssertionError("unreachable")  # pragma: no cover - abort raises
