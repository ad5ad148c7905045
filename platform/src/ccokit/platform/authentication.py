"""Who is calling: bearer tokens become a tenant-scoped request context.

For every request under ``/api/`` with an ``Authorization: Bearer`` header, the JWT access token
is verified (signature, issuer, expiry, revocation), its tenant looked up, and the request's
session scoped to that tenant. That costs one query, the tenant's row: revocations and plugin
switches come from the process's configuration cache, checked against the version on that row.
The tenant comes from the verified token and from nothing a caller could change in the request.
A suspended tenant gets 403 on every call.

Requests without a token pass through untouched: public routes (sign-up) need none, and every
other view's ``require_scope`` answers 401.
"""

from __future__ import annotations

import uuid

from flask import Flask, g, request
from flask_smorest import abort

from ccokit.platform.kernel import RequestScope, current_kernel, request_session
from ccokit.platform.messages import request_locale
from ccokit.platform.oauth.tokens import InvalidAccessToken, verify_access_token
from ccokit_sdk.plugin import Principal

__all__ = ["init_app"]

_CHALLENGE = 'Bearer realm="ccokit", error="invalid_token"'


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if header:
            abort(401, key="invalid_token", headers={"WWW-Authenticate": _CHALLENGE})
        return None
    return token.strip()


def authenticate_request() -> None:
    if not request.path.startswith("/api/"):
        return
    token = _bearer_token()
    if token is None:
        return
    session = request_session()
    try:
        verified = verify_access_token(token, session)
    except InvalidAccessToken:
        abort(401, key="invalid_token", headers={"WWW-Authenticate": _CHALLENGE})
    claims, tenant, tenant_id = verified.claims, verified.tenant, verified.tenant.id
    if tenant.status != "active":
        abort(403, key="tenant_suspended")
    member_id = claims.get("member_id")
    principal = Principal(
        tenant_id=tenant_id,
        client_id=claims["client_id"],
        scopes=frozenset(str(claims.get("scope", "")).split()),
        role=claims.get("role", "agent"),
        member_id=uuid.UUID(member_id) if member_id else None,
    )
    g.ccokit = RequestScope(
        tenant_id=tenant_id,
        principal=principal,
        session=session,
        locale=request_locale(),
        enabled_plugins=current_kernel().plugins.enabled_map(session),
    )
    g.tenant_summary = tenant


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("_ccokit_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.before_request(authenticate_request)
    app.teardown_request(_close_session)
