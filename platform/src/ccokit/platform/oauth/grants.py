"""The grant types the server offers, as authlib grants bound to ccokit's storage and rules.

- **client_credentials**: confidential clients only, for the scopes the client holds.
- **authorization_code** with PKCE: ``S256`` only and required from every client, confidential
  ones included (RFC 9700 §2.1.1). A code is redeemed once (see :mod:`.credentials`).
- **refresh_token**: rotated on every use; a replayed refresh token revokes its family.

Requesting a scope the client does not hold is ``invalid_scope``. Tokens for a member never carry
a scope the member's *current* role may not grant, so a demoted member's refreshed tokens shrink.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge

from ccokit.platform.kernel import current_kernel, request_session
from ccokit.platform.oauth.credentials import issue_code, redeem_code, redeem_refresh_token
from ccokit.platform.oauth.models import OAuthAuthorizationCode, OAuthClient, OAuthRefreshToken
from ccokit.platform.scopes import role_may_grant
from ccokit.tenants.models import Member

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "RefreshTokenGrant",
    "S256CodeChallenge",
    "active_member",
    "grantable_scopes",
]

_SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
_ANY_METHOD = [*_SECRET_METHODS, "none"]


def grantable_scopes(scopes: list[str], role: str) -> list[str]:
    """The scopes among ``scopes`` that a member of ``role`` may grant (unknown ones dropped)."""
    known = current_kernel().plugins.all_scopes()
    return [s for s in scopes if s in known and role_may_grant(role, known[s])]


def active_member(member_id: uuid.UUID) -> Member | None:
    """The active member with this id in the request session's tenant."""
    session = request_session()
    if session.tenant_id is None:
        return None
    member = session.get(Member, (session.tenant_id, member_id))
    return member if member is not None and member.status == "active" else None


def _check_requested_scope(request: Any) -> None:
    """Naming a scope the client does not hold is an error, not a silent narrowing."""
    scope = request.payload.scope
    client: OAuthClient = request.client
    if scope is not None and not scope.split():
        raise InvalidScopeError("The scope parameter is empty.")
    if scope and not set(scope.split()) <= set(client.scopes):
        raise InvalidScopeError("The client may not request some of these scopes.")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """An application acting for itself, with its own role; confidential clients only."""

    TOKEN_ENDPOINT_AUTH_METHODS = _SECRET_METHODS

    def validate_requested_scope(self) -> None:
        _check_requested_scope(self.request)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """A member's consent, turned into a one-time code and then into tokens for the app."""

    TOKEN_ENDPOINT_AUTH_METHODS = _ANY_METHOD

    def validate_requested_scope(self) -> None:
        _check_requested_scope(self.request)

    def save_authorization_code(self, code: str, request: Any) -> None:
        member: Member = request.user
        scopes = grantable_scopes((request.scope or "").split(), member.role)
        if not scopes:
            raise InvalidScopeError("Nothing requested may be granted by this member.")
        issue_code(
            request_session(),
            code=code,
            client=request.client,
            member_id=member.id,
            redirect_uri=request.payload.redirect_uri,
            scope=" ".join(scopes),
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method=request.payload.data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> OAuthAuthorizationCode | None:
        # The conditional UPDATE happens here, before any other check: a code is spent by its
        # first redemption attempt, whatever becomes of that attempt.
        if not isinstance(code, str) or len(code) > 512:
            return None
        return redeem_code(request_session(), code, client)

    def delete_authorization_code(self, authorization_code: OAuthAuthorizationCode) -> None:
        """Nothing to delete: redeeming marked the code used, which keeps replays detectable."""

    def authenticate_user(self, authorization_code: OAuthAuthorizationCode) -> Member | None:
        return active_member(authorization_code.member_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """New tokens for an old refresh token, which is spent; a new refresh token comes with them."""

    TOKEN_ENDPOINT_AUTH_METHODS = _ANY_METHOD
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthRefreshToken | None:
        return redeem_refresh_token(request_session(), refresh_token, self.request.client)

    def authenticate_user(self, refresh_token: OAuthRefreshToken) -> Member:
        member = active_member(refresh_token.member_id)
        if member is None:
            raise InvalidGrantError("The member who authorized this token is no longer active.")
        return member

    def revoke_old_credential(self, refresh_token: OAuthRefreshToken) -> None:
        """Nothing left to do: redeeming marked the old refresh token used."""


def _s256_matches(code_verifier: str, code_challenge: str) -> bool:
    return hmac.compare_digest(create_s256_code_challenge(code_verifier), code_challenge)


class S256CodeChallenge(CodeChallenge):
    """PKCE with ``S256`` only, required from every client (``plain`` is refused)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS = {"S256": _s256_matches}  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge, method S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)
