"""``Idempotency-Key`` on every POST of the API, for the platform and every plugin alike.

Flow, for an authenticated ``POST /api/…`` that carries the header (the IETF draft "The
Idempotency-Key HTTP Header Field", with Stripe's behaviour where the draft leaves a choice):

1. Before the view, the key is claimed for the tenant and the caller (the app, and the member
   acting through it) together with a fingerprint of the method, the path and the canonical JSON
   body (for an upload, its type and length); see :mod:`ccokit.platform.idempotency.store`.
2. If the key already holds an answer for the same request, that answer (status, body,
   ``Location``, ``ETag``, ``Content-Type``) is sent again with ``Idempotent-Replayed: true`` and
   the view does not run. The same key with another request answers 422; while the first request
   still runs, 409.
3. After the view, a success (2xx) is saved for 24 hours. Anything else releases the key: in
   ccokit a 4xx means the view changed nothing (its transaction never committed), so running it
   again is safe, and a failure caused by the moment (a full plan, a taken email, a missing
   scope) must not stick to the key for a day. A 5xx or a request that never finished is not
   saved either, so the client may retry with the same key.

Plugins get all of this without doing anything: it wraps every POST under ``/api/``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask, Response, g, request
from flask_smorest import abort

from ccokit.platform.idempotency.store import (
    Claimed,
    InFlight,
    KeyScope,
    Mismatch,
    claim_key,
    fingerprint,
    release_key,
    save_response,
)
from ccokit.platform.kernel import current_kernel
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.plugin import Principal

__all__ = ["HEADER", "REPLAYED_HEADER", "IdempotencyKeyDoc", "init_app"]

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: Headers of the first answer that a replay repeats; the rest (request id, rate limits) are the
#: replaying request's own.
SAVED_HEADERS = ("Content-Type", "Location", "ETag")
_PRINTABLE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
_HELD = "_ccokit_idempotency"


def _key_from_header(raw: str) -> str:
    """The key: 1-255 printable ASCII characters, bare or as a quoted sf-string (the draft's form)."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= 255 or not _PRINTABLE.match(key):
        abort(422, messages={HEADER: ["Must be 1-255 printable ASCII characters, e.g. a UUID."]})
    return key


def _principal(principal: Principal) -> str:
    """Whose key: the app, and the member acting through it (keys of two callers never meet)."""
    if principal.member_id is None:
        return principal.client_id
    return f"{principal.client_id}/{encode_public_id('mem', principal.member_id)}"


def _claim() -> Response | None:
    if request.method != "POST" or not request.path.startswith("/api/") or HEADER not in request.headers:
        return None
    ctx = g.get("ccokit")
    if ctx is None:
        return None  # no tenant (sign-up) or no token: the view answers (401 where a token is needed)
    scope = KeyScope(ctx.tenant_id, _principal(ctx.principal), _key_from_header(request.headers[HEADER]))
    query = request.query_string.decode("latin-1")
    path = f"{request.path}?{query}" if query else request.path
    kernel = current_kernel()
    request_fingerprint = fingerprint(request.method, path, _body_for_fingerprint())
    outcome = claim_key(kernel.db, kernel.settings.secret_key, scope, request_fingerprint)
    if isinstance(outcome, Claimed):
        g.setdefault(_HELD, (scope, outcome.claim))
        return None
    if isinstance(outcome, Mismatch):
        abort(
            422, key="idempotency_key_reused",
            message=f"this {HEADER} was used for a different request; use a new key for a new request",
        )
    if isinstance(outcome, InFlight):
        detail = (
            "the saved answer of this key cannot be read after a secret key change; use a new key"
            if outcome.unreadable else "a request with this key is still being processed; retry shortly"
        )
        abort(409, key="idempotency_key_in_use", message=detail, headers={"Retry-After": "1"})
    response = Response(outcome.body, status=outcome.status)
    for name, value in outcome.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _body_for_fingerprint() -> bytes:
    """The JSON body itself; for any other body (a file upload), its type and length only.

    An upload is not read here: this runs before the route's own hooks, so reading it would meet
    the app's default size limit before a route that takes large files (the customers CSV
    import) has raised its own, and would hold the whole file in memory. A retry of the same
    upload has the same type and length (a multipart boundary may change between attempts, so
    it is left out); a different file of exactly the same size under a reused key is the one
    misuse this does not notice.
    """
    if request.is_json or not request.content_length:
        return request.get_data()
    return f"{request.mimetype}; length={request.content_length}".encode()


def _finish(response: Response) -> Response:
    held = g.pop(_HELD, None)
    if held is None:
        return response
    scope, claim = held
    kernel = current_kernel()
    try:
        if response.status_code < 400 and not response.is_streamed:
            headers = {name: response.headers[name] for name in SAVED_HEADERS if name in response.headers}
            save_response(
                kernel.db, kernel.settings.secret_key, scope, claim,
                response.status_code, headers, response.get_data(),
            )
        else:
            release_key(kernel.db, scope, claim)
    except Exception:
        # The change itself is committed; answer it. The claim expires after its lease.
        log.exception("could not record the answer of %s %s for its %s", request.method, request.path, HEADER)
    return response


def _release_unfinished(_exc: BaseException | None) -> None:
    held = g.pop(_HELD, None)
    if held is not None:
        scope, claim = held
        try:
            release_key(current_kernel().db, scope, claim)
        except Exception:
            log.exception("could not release an %s", HEADER)


def init_app(app: Flask) -> None:
    """Install the claim before the view (after authentication and the plugin guard) and the
    save after it."""
    app.before_request(_claim)
    app.after_request(_finish)
    app.teardown_request(_release_unfinished)


class IdempotencyKeyDoc(BasePlugin):  # type: ignore[misc]
    """Documents the ``Idempotency-Key`` header on every authenticated POST of the OpenAPI spec."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec
        spec.components.parameter(
            "IdempotencyKey",
            "header",
            {
                "name": HEADER,
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": (
                    "A unique value (e.g. a UUID) that makes a retry of this POST safe: for 24 hours "
                    "the same key with the same body returns the first answer (with "
                    "`Idempotent-Replayed: true`) instead of acting again; another body answers 422, "
                    "a request still running with this key 409."
                ),
            },
        )

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        post = (operations or {}).get("post")
        if post is None or not (path or "").startswith("/api/") or not post.get("security"):
            return
        post.setdefault("parameters", []).append("IdempotencyKey")  # a reference to the component
