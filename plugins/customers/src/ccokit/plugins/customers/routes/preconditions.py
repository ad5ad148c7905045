"""``ETag`` and ``If-Match`` for profiles and tiers, and loading the object a URL names.

The ETag is the row's version counter, which every change raises. ``If-Match`` is optional:
a client that sends it gets 412 when someone changed the object since it read it, instead of
overwriting that change; the version check in the UPDATE itself turns a write that races
another one into 409 either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from ccokit.plugins.customers.texts import text
from ccokit_sdk.plugin import abort

__all__ = ["check_if_match", "etag_of", "found_first"]

F = TypeVar("F", bound=Callable[..., Any])


def etag_of(obj: Any) -> str:
    return f'"{obj.version}"'


def check_if_match(obj: Any, what: str) -> None:
    """412 when ``If-Match`` was sent and names another version of ``obj``."""
    if_match = request.if_match
    if if_match and not if_match.star_tag and not if_match.contains(str(obj.version)):
        abort(412, message=text("stale", what=text(what), etag=etag_of(obj)))


def found_first(load: Callable[[str], Any], param: str) -> Callable[[F], F]:
    """Answer 404 for a URL that names no object before the body is parsed: an unknown (or
    another tenant's) id is not found, whatever the body says. Goes below ``require_scope``
    and above ``arguments``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            load(kwargs[param])
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
