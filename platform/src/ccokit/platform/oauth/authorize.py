"""``/oauth/authorize``: the sign-in and consent pages an agent sees when an app asks for access.

The flow, all on one URL that keeps the OAuth parameters in its query string:

1. The client id is looked up in the shared directory and the session scoped to its tenant;
   authlib then checks the request (client, exact redirect URI, scopes, PKCE ``S256``). A bad
   request with a trustworthy redirect URI goes back to the app with ``error=…``; otherwise the
   agent sees an error page (never a redirect to an unchecked URI).
2. Not signed in: a form asks for workspace, email and password. The signed-in member is kept in
   the Flask session cookie (tenant id and member id) and must belong to the client's tenant.
3. Signed in: the consent page lists the scopes the member's role may grant; scopes above the
   role are listed as left out. *Allow* issues a code and redirects; *Deny* redirects with
   ``access_denied``.

Every POST carries a CSRF token kept in the session cookie; the pages may not be framed.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from typing import Any

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask import session as cookie

from ccokit.platform.kernel import current_kernel, request_session
from ccokit.platform.messages import request_locale
from ccokit.platform.oauth.clients import tenant_of_client
from ccokit.platform.oauth.grants import active_member, grantable_scopes
from ccokit.platform.oauth.page_text import page_text, scope_description
from ccokit.platform.oauth.server import OAuthServer
from ccokit.tenants.database import TenantSession
from ccokit.tenants.models import Member, Tenant
from ccokit.tenants.registry import authenticate_member, find_tenant_by_slug, get_tenant

__all__ = ["blueprint"]

blueprint = Blueprint("oauth_authorize", __name__)

_SIGNED_IN = "oauth_member"
#: Parameters authlib quotes in error descriptions, where RFC 6749 allows only some printable
#: ASCII; anything else would make authlib raise instead of answering.
_QUOTED_BY_AUTHLIB = ("redirect_uri", "response_type")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
_CSRF = "oauth_csrf"


def _server() -> OAuthServer:
    return current_app.extensions["ccokit.oauth.server"]  # type: ignore[no-any-return]


@blueprint.after_request
def _page_headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("error", None)
    page = render_template(
        f"oauth/{template}",
        t=page_text,
        lang=request_locale(),
        action=request.full_path,
        csrf_token=_csrf_token(),
        **context,
    )
    return page, status


def _error_page(key: str, detail: str | None = None, status: int = 400) -> tuple[str, int]:
    return _render("error.html", status, message=page_text(key), detail=detail)


def _csrf_token() -> str:
    token = cookie.get(_CSRF)
    if not token:
        token = cookie[_CSRF] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = cookie.get(_CSRF, "")
    return bool(sent and expected) and hmac.compare_digest(str(sent).encode(), str(expected).encode())


def _signed_in_member(tenant_id: uuid.UUID) -> Member | None:
    """The member kept in the cookie, if active and of ``tenant_id`` (the client's tenant)."""
    kept = cookie.get(_SIGNED_IN)
    if not isinstance(kept, dict) or kept.get("tenant_id") != str(tenant_id):
        return None
    try:
        member_id = uuid.UUID(str(kept.get("member_id")))
    except ValueError:
        return None
    return active_member(member_id)


def _sign_in(session: TenantSession, client_tenant: Tenant) -> tuple[Member | None, str | None]:
    """Check the sign-in form; the member and no error, or no member and the error's key."""
    slug = request.form.get("workspace", "").strip().lower()
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    if not _SLUG.match(slug) or not 0 < len(email) <= 254 or not 0 < len(password) <= 256:
        return None, "bad_credentials"
    if "\x00" in email or "\x00" in password:
        return None, "bad_credentials"
    tenant = find_tenant_by_slug(session, slug)
    if tenant is None or tenant.status != "active":
        return None, "bad_credentials"
    if tenant.id != client_tenant.id:
        return None, "wrong_workspace"
    member = authenticate_member(session, email, password)
    if member is None:
        return None, "bad_credentials"
    session.commit()  # last login time, and a password hash upgraded to current parameters
    cookie[_SIGNED_IN] = {"tenant_id": str(tenant.id), "member_id": str(member.id)}
    cookie[_CSRF] = secrets.token_urlsafe(32)
    return member, None


def _oauth_error(server: OAuthServer, error: OAuth2Error) -> Any:
    """Back to the app when its redirect URI was verified, else an error page for the agent."""
    if error.redirect_uri:
        return server.handle_error_response(None, error)
    return _error_page("invalid_request", detail=error.description or error.error)


@blueprint.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    """Sign the agent in, ask for consent, and send the app its code (or its refusal)."""
    session = request_session()
    server = _server()
    tenant_id = tenant_of_client(session, request.args.get("client_id"))
    if tenant_id is None:
        return _error_page("unknown_client")
    tenant = get_tenant(session, tenant_id)
    if tenant is None or tenant.status != "active":
        return _error_page("tenant_suspended", status=403)
    session.set_tenant(tenant_id)
    if any(invalid_error_characters(request.args.get(name) or "") for name in _QUOTED_BY_AUTHLIB):
        return _error_page("invalid_request")
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _oauth_error(server, error)
    client = grant.client
    member = _signed_in_member(tenant_id)

    if request.method == "POST":
        if not _csrf_ok():
            return _error_page("form_expired")
        action = request.form.get("action")
        if action == "sign_in":
            member, error_key = _sign_in(session, tenant)
            if member is None:
                message = page_text(error_key or "bad_credentials")
                return _render("sign_in.html", 401, client=client, error=message)
            return redirect(request.full_path, code=303)
        if action == "sign_out":
            cookie.pop(_SIGNED_IN, None)
            return redirect(request.full_path, code=303)
        if member is not None and action in ("allow", "deny"):
            return _decide(server, grant, member, allow=action == "allow")

    if member is None:
        return _render("sign_in.html", client=client)
    requested = (grant.request.scope or "").split()
    granted = grantable_scopes(requested, member.role)
    known = current_kernel().plugins.all_scopes()
    return _render(
        "consent.html",
        client=client,
        member=member,
        granted=[(name, scope_description(name, known[name].description)) for name in granted],
        withheld=[name for name in requested if name not in granted],
    )


def _decide(server: OAuthServer, grant: Any, member: Member, *, allow: bool) -> Any:
    if not allow:
        return server.create_authorization_response(grant=grant, grant_user=None)
    if not grantable_scopes((grant.request.scope or "").split(), member.role):
        error = InvalidScopeError(
            description="The signed-in member may not grant any requested scope.",
            redirect_uri=grant.redirect_uri,
            state=grant.request.payload.state,
        )
        return server.handle_error_response(None, error)
    response = server.create_authorization_response(grant=grant, grant_user=member)
    request_session().commit()
    return response
