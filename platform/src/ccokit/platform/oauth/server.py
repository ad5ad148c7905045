"""The authlib authorization server, wired to ccokit's tenants, tokens and key ring.

Before authlib reads any client, code or token, :func:`enter_client_tenant` finds the tenant of
the calling client in the shared directory and scopes the request session to it; from then on
every query authlib triggers sees that tenant's rows only (ORM filter and row-level security).
An unknown client id leaves the session without a tenant, so every look-up finds nothing and the
caller gets ``invalid_client``. A suspended workspace gets no tokens.

Revocation (RFC 7009) and introspection (RFC 7662) accept both kinds of token: a JWT access
token (checked by signature, then against the revocation list) and a refresh token (looked up by
digest). A token of another tenant is treated as unknown: revoking it does nothing and
introspecting it answers ``{"active": false}``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, request

from ccokit.platform.kernel import current_kernel, request_session
from ccokit.platform.oauth.clients import find_client, tenant_of_client
from ccokit.platform.oauth.credentials import find_refresh_token, issue_refresh_token, revoke_family
from ccokit.platform.oauth.digests import new_credential
from ccokit.platform.oauth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256CodeChallenge,
    grantable_scopes,
)
from ccokit.platform.oauth.models import OAuthClient, OAuthRefreshToken
from ccokit.platform.oauth.tokens import (
    InvalidAccessToken,
    decode_access_token,
    expiry_of,
    is_revoked,
    mint_access_token,
    read_own_claims,
    revoke,
)
from ccokit.tenants.database import TenantSession
from ccokit.tenants.models import Member
from ccokit.tenants.registry import get_tenant
from ccokit_sdk.ids import encode_public_id

__all__ = ["OAuthServer", "enter_client_tenant", "make_server"]


class OAuthServer(AuthorizationServer):
    """authlib's Flask server with ccokit's client look-up, token minting and token storage."""

    def query_client(self, client_id: str) -> OAuthClient | None:
        return find_client(request_session(), client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Store the refresh token, if any, in the family of the code or token it came from."""
        refresh = token.get("refresh_token")
        if not refresh:
            return
        parent = request.refresh_token
        family_id = parent.family_id if parent is not None else request.authorization_code.id
        settings = current_kernel().settings
        issue_refresh_token(
            request_session(),
            token=refresh,
            family_id=family_id,
            client=request.client,
            member_id=request.user.id,
            scope=token["scope"],
            access_claims=read_own_claims(token["access_token"]),
            ttl=settings.refresh_token_ttl,
        )


def generate_token(
    grant_type: str,
    client: OAuthClient,
    user: Member | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """The token response body: a signed JWT access token and, for members, a refresh token."""
    settings = current_kernel().settings
    allowed = client.get_allowed_scope(scope)
    scopes = allowed.split() if allowed else []
    if user is not None:
        scopes = grantable_scopes(scopes, user.role)
    if not scopes:
        raise InvalidScopeError("No requested scope may be granted.")
    scope_text = " ".join(scopes)
    role = user.role if user is not None else client.role
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": mint_access_token(settings, client=client, scope=scope_text, role=role, member=user),
        "expires_in": settings.access_token_ttl,
        "scope": scope_text,
    }
    if include_refresh_token and user is not None:
        token["refresh_token"] = new_credential()
    return token


@dataclass
class AccessTokenRecord:
    """A verified JWT access token of the caller's tenant, as the endpoints see it."""

    claims: dict[str, Any]
    revoked: bool

    def check_client(self, client: OAuthClient) -> bool:
        return bool(self.claims.get("client_id") == client.client_id)

    def is_expired(self) -> bool:
        return False  # decode_access_token refused expired tokens

    def is_revoked(self) -> bool:
        return self.revoked


def _find_token(session: TenantSession, token: str) -> AccessTokenRecord | OAuthRefreshToken | None:
    """Look the token up in the session's tenant, as an access token or as a refresh token.

    The two kinds cannot be confused (a JWT has dots, a refresh token none), so the client's
    ``token_type_hint`` is not needed and is ignored, as RFC 7009 and RFC 7662 allow.
    """
    if session.tenant_id is None or not isinstance(token, str):
        return None
    if token.count(".") == 2:
        try:
            claims = decode_access_token(token, current_kernel().settings)
        except InvalidAccessToken:
            return None
        if claims["tenant_id"] != str(session.tenant_id):
            return None
        return AccessTokenRecord(claims, is_revoked(session, claims))
    return find_refresh_token(session, token)


class Revocation(RevocationEndpoint):
    """RFC 7009. Revoking a refresh token also revokes its family and their access tokens."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def check_params(self, request: Any, client: Any) -> None:
        if not request.form.get("token"):
            raise OAuth2Error(error="invalid_request", description="Missing 'token'.")
        # An unknown token_type_hint is ignored: the server searches every kind anyway.

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _find_token(request_session(), token_string)

    def revoke_token(self, token: Any, request: Any) -> None:
        session = request_session()
        if isinstance(token, AccessTokenRecord):
            if not token.revoked:
                revoke(session, {uuid.UUID(token.claims["jti"]): expiry_of(token.claims)})
        else:
            revoke_family(session, token.family_id)


class Introspection(IntrospectionEndpoint):
    """RFC 7662, for the confidential clients of the token's own tenant."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def check_params(self, request: Any, client: Any) -> None:
        if not request.form.get("token"):
            raise OAuth2Error(error="invalid_request", description="Missing 'token'.")

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _find_token(request_session(), token_string)

    def check_permission(self, token: Any, client: Any, request: Any) -> bool:
        return True  # _find_token only finds tokens of the client's own tenant

    def introspect_token(self, token: Any) -> dict[str, Any]:
        if isinstance(token, AccessTokenRecord):
            claims = token.claims
            body = {"active": True, "token_type": "Bearer"}
            body.update({k: claims[k] for k in claims if k != "typ"})
            return body
        client = request_session().get(OAuthClient, (token.tenant_id, token.client_id))
        return {
            "active": True,
            "token_type": "refresh_token",
            "scope": token.scope,
            "client_id": client.client_id if client is not None else None,
            "sub": encode_public_id("mem", token.member_id),
            "tenant_id": str(token.tenant_id),
            "member_id": str(token.member_id),
            "iss": current_kernel().settings.base_url,
            "iat": int(token.created_at.timestamp()),
            "exp": int(token.expires_at.timestamp()),
        }


def make_server(app: Flask) -> OAuthServer:
    """Build the server for ``app`` with every grant and endpoint ccokit offers."""
    server = OAuthServer()
    server.init_app(app)
    server.register_token_generator("default", generate_token)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge()])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    return server


def _basic_client_id() -> tuple[bool, str | None]:
    """``(well_formed, client_id)`` from an HTTP Basic header, decoded as RFC 6749 §2.3.1 says."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return True, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False, None
    client_id, sep, _ = decoded.partition(":")
    return bool(sep), unquote(client_id) if sep else None


def enter_client_tenant(session: TenantSession) -> OAuth2Error | None:
    """Scope ``session`` to the tenant of the calling client; an error to answer, or None.

    The client id comes from HTTP Basic or from the form. A malformed Basic header is
    ``invalid_client``; an unknown client id is left for authlib to reject the same way.
    """
    well_formed, client_id = _basic_client_id()
    if not well_formed:
        return InvalidClientError(status_code=401, description="Malformed HTTP Basic credentials.")
    status = 401 if client_id is not None else 400
    if client_id is None:
        client_id = request.form.get("client_id")
    tenant_id = tenant_of_client(session, client_id)
    if tenant_id is None:
        return None
    tenant = get_tenant(session, tenant_id)
    if tenant is None or tenant.status != "active":
        return InvalidClientError(status_code=status, description="The client's workspace is not active.")
    session.set_tenant(tenant_id)
    return None
