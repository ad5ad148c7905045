"""What every routing view shares: field errors and refusals in the caller's language."""

from __future__ import annotations

from typing import NoReturn, TypeVar

from ccokit.plugins.routing.schemas.config import MESSAGES_ZH
from ccokit.plugins.routing.services.messages import CATALOGUE, Invalid, Message
from ccokit_sdk import blueprints
from ccokit_sdk.blueprints import locale
from ccokit_sdk.plugin import abort, current, parse_public_id

__all__ = ["Blueprint", "conflict", "found", "refuse"]

R = TypeVar("R")


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


def found(model: type[R], prefix: str, public_id: str) -> R:
    """The workspace's row of ``model`` that a public id in the URL names; 404 for another
    workspace's, a made-up or malformed id, and an archived queue."""
    ctx = current()
    row = ctx.session.get(model, (ctx.tenant_id, parse_public_id(prefix, public_id)))
    if row is None or getattr(row, "archived_at", None) is not None:
        abort(404)
    return row
