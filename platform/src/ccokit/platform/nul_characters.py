"""Refusing the NUL character (U+0000) in API input, for every route of the platform and plugins.

PostgreSQL's ``text`` and ``jsonb`` cannot hold U+0000, so a query parameter or a JSON string
that carries one would pass every schema and then fail in the database: a 500 for what is a bad
request. No client has a reason to send it, so the platform checks once per API request, before
any view parses its arguments, and answers 422 problem+json naming each field that carries one,
in the same nested shape as the schemas' field errors (``{"requester": {"name": [...]}}``,
``{"tags": {"0": [...]}}``). SQLite could store the character, but the rule is the same on
both databases, so a client sees one behaviour. Files (CSV imports, uploads) are the views' own
business (multipart bodies are not read here: they may be large uploads that their route
streams); URL-encoded form fields are checked like query parameters.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from ccokit.platform.messages import translate
from ccokit.platform.problems import problem_response

__all__ = ["init_app"]

NUL = "\x00"


def _visible(text: str) -> str:
    return text.replace(NUL, "\\u0000")


def _mark(errors: dict[str, Any], path: list[str]) -> None:
    """Put the message at ``path`` in the nested ``errors``."""
    node = errors
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node.setdefault(path[-1], [translate("nul_character")])


def _walk(value: Any, path: list[str], errors: dict[str, Any]) -> None:
    if isinstance(value, str):
        if NUL in value:
            _mark(errors, path or ["_body"])
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _visible(str(key))
            if NUL in str(key):
                _mark(errors, [*path, name])
            _walk(item, [*path, name], errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*path, str(index)], errors)


def _refuse_nul_characters() -> Response | None:
    if not request.path.startswith("/api/"):
        return None
    errors: dict[str, Any] = {}
    sources = [request.args]
    if request.mimetype == "application/x-www-form-urlencoded":  # small; multipart may be a file
        sources.append(request.form)
    for source in sources:
        for key, value in source.items(multi=True):
            if NUL in key or NUL in value:
                _mark(errors, [_visible(key)])
    if request.is_json and (request.content_length or request.headers.get("Transfer-Encoding")):
        # Cached by Flask: the view's own parsing does not read the body again. A body that is
        # not JSON is left to the view's parser, which says so.
        _walk(request.get_json(silent=True), [], errors)
    return problem_response(422, errors=errors) if errors else None


def init_app(app: Flask) -> None:
    """Check every API request (after authentication, so an anonymous caller learns nothing)."""
    app.before_request(_refuse_nul_characters)
