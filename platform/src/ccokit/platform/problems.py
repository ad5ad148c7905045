"""Errors as ``application/problem+json`` (RFC 9457), for every failure the app can answer.

Every error, from a malformed id in a URL to an unhandled exception, leaves through
:func:`problem_response`: one JSON shape with ``type``, ``title`` (in the caller's language),
``status``, ``detail``, ``instance`` and ``request_id``, plus ``errors`` with field messages
when validation failed. Clients match on ``type``; humans read ``title`` and ``detail``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ccokit.platform.messages import translate

__all__ = ["PROBLEM_MIME", "install_error_handlers", "problem_for_http_exception", "problem_response"]

PROBLEM_MIME = "application/problem+json"
PROBLEM_BASE = "https://ccokit.dev/problems/"
log = logging.getLogger(__name__)

_KEYS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def problem_response(
    status: int,
    *,
    key: str | None = None,
    detail: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response; ``key`` picks the type and the translated title."""
    key = key or _KEYS.get(status, "bad_request" if status < 500 else "internal_error")
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + key.replace("_", "-"),
        "title": translate(key),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    body["request_id"] = g.get("request_id")
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_for_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    key = data.get("key")
    detail = data.get("message")
    if detail is None and status == 429 and error.description:
        detail = error.description  # names the limit that was hit, e.g. "20 per 1 minute"
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    if errors:
        errors = _flatten_locations(errors)
    return problem_response(status, key=key, detail=detail, errors=errors, headers=headers)


_LOCATIONS = frozenset({"json", "query", "form", "headers", "files", "view_args"})


def _flatten_locations(errors: Any) -> Any:
    """webargs groups messages by location (``json``, ``query``); keep one level when possible."""
    if isinstance(errors, dict) and len(errors) == 1:
        (location, messages), = errors.items()
        if location in _LOCATIONS and isinstance(messages, dict):
            return messages
    return errors


def install_error_handlers(app: Flask) -> None:
    """Route every HTTP error and every unhandled exception to problem+json."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return problem_for_http_exception(error)

    @app.errorhandler(Exception)
    def _unhandled(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return problem_for_http_exception(error)
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            # The database dropped this connection (a restart, a failover): nothing was written,
            # and the pool has already replaced its connections, so asking again will work.
            log.warning("database_connection=lost on %s %s: %s", request.method, request.path, error.orig)
            return problem_response(503, headers={"Retry-After": "1"})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500)
