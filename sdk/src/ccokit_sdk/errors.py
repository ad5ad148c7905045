"""Every failure the API client reports, as one exception tree.

.. code-block:: text

    CcokitError
    ├── APIConnectionError            the request did not get an answer (refused, reset, DNS, TLS)
    │   └── APITimeoutError           ... because a timeout ran out
    ├── APIError                      the server answered with an error status
    │   ├── BadRequest                400
    │   ├── AuthenticationError       401 (and a refused client-credentials token request)
    │   ├── PermissionDenied          403
    │   ├── NotFound                  404
    │   ├── Conflict                  409
    │   ├── PreconditionFailed        412, an ``If-Match`` that no longer matches
    │   ├── ValidationError           422, with ``.errors`` per field
    │   ├── RateLimited               429, with ``.retry_after``
    │   └── ServerError               5xx
    └── WebhookVerificationError      a webhook whose signature or timestamp does not check out

The API answers errors as ``application/problem+json`` (RFC 9457); :class:`APIError` carries
its members (``type``, ``title``, ``detail``, ``errors``, ``request_id``) and the response
headers. Match on the class, or on :attr:`APIError.code` (the last part of the problem type, such
as ``"email-taken"``); ``title`` is for humans and comes in the caller's language.

The underlying HTTP library's exceptions never reach the caller: they are translated into
:class:`APIConnectionError` and chained as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequest",
    "CcokitError",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "PreconditionFailed",
    "RateLimited",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
]


class CcokitError(Exception):
    """The base of every error raised by ``ccokit_sdk``'s client and webhook verification."""


class APIConnectionError(CcokitError):
    """No answer arrived: the connection was refused or dropped, the name did not resolve, TLS failed."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """No answer arrived in time (connecting, sending, reading, or waiting for a pooled connection)."""


class APIError(CcokitError):
    """The server answered with an error status.

    ``status``: the HTTP status. ``type``, ``title``, ``detail``, ``errors`` and ``request_id``:
    the problem document's members (``errors`` maps a field to its messages; it may nest, e.g.
    ``{"settings": {"max_replies": ["..."]}}``). ``headers``: the response headers, with
    case-insensitive lookup. ``body``: the decoded problem document, or the raw text when the
    answer was not JSON (a proxy's error page, say).
    """

    def __init__(
        self,
        status: int,
        *,
        type: str | None = None,  # the RFC 9457 member's name
        title: str | None = None,
        detail: str | None = None,
        errors: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors: Mapping[str, Any] = errors or {}
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        super().__init__(self._message())

    @property
    def code(self) -> str | None:
        """The problem type's last path segment, e.g. ``"email-taken"``; stable, unlike ``title``."""
        if not self.type:
            return None
        return self.type.rstrip("/").rsplit("/", 1)[-1] or None

    def _message(self) -> str:
        text = f"{self.status} {self.title or 'error'}"
        if self.detail:
            text += f": {self.detail}"
        if self.errors:
            text += f" {dict(self.errors)}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class BadRequest(APIError):
    """400: the request was malformed."""


class AuthenticationError(APIError):
    """401: no valid credentials (a missing, expired or revoked token; a wrong client secret)."""


class PermissionDenied(APIError):
    """403: the token lacks a scope or role for this action, or the workspace is suspended."""


class NotFound(APIError):
    """404: no such object in this workspace (or its plugin is disabled for the workspace)."""


class Conflict(APIError):
    """409: the request conflicts with the current state (a taken email, a plan limit, a key in use)."""


class PreconditionFailed(APIError):
    """412: the object changed since you read it (the version you sent as ``If-Match`` is stale).

    Read it again, reapply your change to what you read, and send it with the new version.
    """


class ValidationError(APIError):
    """422: some input was invalid; ``errors`` maps each field to its messages."""


class RateLimited(APIError):
    """429: the workspace's (or the caller's address') budget is spent.

    ``retry_after`` is the number of seconds the server asked to wait, when it said.
    """

    def __init__(self, status: int, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(status, **kwargs)


class ServerError(APIError):
    """5xx: the server (or a proxy in front of it) failed; the request may be retried."""


class WebhookVerificationError(CcokitError):
    """A webhook's signature is missing or wrong, or its timestamp is outside the tolerance."""
