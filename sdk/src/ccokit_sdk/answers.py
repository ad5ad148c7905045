"""Reading the server's answers: JSON on success, one of :mod:`ccokit_sdk.errors` otherwise.

The API answers errors as ``application/problem+json``; the token endpoint answers them in the
OAuth dialect (``{"error": "invalid_client", "error_description": ...}``); a proxy in between may
answer with an HTML page. Each becomes an :class:`~ccokit_sdk.errors.APIError` subclass chosen by
status, carrying whatever the body said.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ccokit_sdk.errors import (
    APIError,
    AuthenticationError,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    ServerError,
    ValidationError,
)
from ccokit_sdk.retries import parse_retry_after

__all__ = ["error_for", "json_of", "token_error_for"]

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: ValidationError,
    429: RateLimited,
}


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text


def _build(cls: type[APIError], response: httpx.Response, body: Any, **members: Any) -> APIError:
    members.setdefault("request_id", response.headers.get("x-request-id"))
    members.setdefault("title", response.reason_phrase or None)
    if cls is RateLimited:
        members["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(response.status_code, headers=response.headers, body=body, **members)


def _class_for(status: int) -> type[APIError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)


def error_for(response: httpx.Response) -> APIError:
    """The exception for an API error answer (problem+json, or whatever else came back)."""
    body = _body(response)
    problem = body if isinstance(body, dict) else {}
    members: dict[str, Any] = {}
    for name in ("type", "title", "detail", "request_id"):
        if isinstance(problem.get(name), str):
            members[name] = problem[name]
    if isinstance(problem.get("errors"), dict):
        members["errors"] = problem["errors"]
    return _build(_class_for(response.status_code), response, body, **members)


def token_error_for(response: httpx.Response) -> APIError:
    """The exception for a refused token request: wrong credentials or scopes are an
    :class:`~ccokit_sdk.errors.AuthenticationError` whatever the status (400 or 401)."""
    body = _body(response)
    error = body if isinstance(body, dict) else {}
    members: dict[str, Any] = {}
    if isinstance(error.get("error"), str):
        members["title"] = error["error"]
    if isinstance(error.get("error_description"), str):
        members["detail"] = error["error_description"]
    status = response.status_code
    cls = AuthenticationError if status in (400, 401, 403) else _class_for(status)
    return _build(cls, response, body, **members)


def json_of(response: httpx.Response) -> Any:
    """The decoded body of a successful answer (``None`` for 204 No Content)."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise _build(
            APIError, response, response.text,
            detail="the answer was not JSON; is base_url the ccokit API?",
        ) from None
