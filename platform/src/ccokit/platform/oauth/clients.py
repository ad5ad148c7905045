"""Applications (OAuth clients) of a tenant: create, find, change the secret, delete.

Every function takes the tenant-scoped session and never commits: sign-up creates the first
client inside its own transaction, the clients API commits after its checks. Creating a client
also writes its row in the shared directory, which is how the token endpoint learns the tenant
of a client id before it may read any tenant table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from ccokit.platform.oauth.digests import digest, new_credential
from ccokit.platform.oauth.models import (
    CLIENT_ID_PREFIX,
    OAuthClient,
    OAuthClientDirectory,
    OAuthRefreshToken,
)
from ccokit.platform.oauth.tokens import revoke
from ccokit.platform.scopes import role_may_grant
from ccokit.tenants.database import TenantSession
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, new_id
from ccokit_sdk.models import utcnow
from ccokit_sdk.plugin import ROLES, Scope

__all__ = [
    "GRANT_TYPES",
    "ClientRuleError",
    "check_client_scopes",
    "create_client",
    "delete_client",
    "find_client",
    "rotate_secret",
    "tenant_of_client",
]

GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")


class ClientRuleError(ValueError):
    """A client definition breaks a rule; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_redirect_uris(uris: Sequence[str]) -> None:
    """Absolute http(s) URLs with a host and no fragment (RFC 6749 §3.1.2), in printable ASCII.

    They are compared exactly, character for character, so they must be written the one way a
    browser sends them back: percent-encoded, without spaces or control characters.
    """
    for uri in uris:
        parts = urlsplit(uri)
        printable = all(0x21 <= ord(c) <= 0x7E for c in uri)
        if not printable or parts.scheme not in ("http", "https") or not parts.netloc or "#" in uri:
            raise ClientRuleError(
                "redirect_uris", "each must be an absolute http(s) URL in printable ASCII, without fragment"
            )


def check_client_shape(
    *, role: str, confidential: bool, redirect_uris: Sequence[str], grant_types: Sequence[str]
) -> None:
    """Rules that hold for every client, whoever creates it."""
    if role not in ROLES:
        raise ClientRuleError("role", f"unknown role {role!r}")
    if not grant_types:
        raise ClientRuleError("grant_types", "at least one grant type is needed")
    unknown = set(grant_types) - set(GRANT_TYPES)
    if unknown:
        raise ClientRuleError("grant_types", f"unknown grant types: {', '.join(sorted(unknown))}")
    if "client_credentials" in grant_types and not confidential:
        raise ClientRuleError("grant_types", "a public client cannot use client_credentials")
    if "authorization_code" in grant_types and not redirect_uris:
        raise ClientRuleError("redirect_uris", "authorization_code needs at least one redirect URI")
    check_redirect_uris(redirect_uris)


def check_client_scopes(
    scopes: Sequence[str],
    *,
    known: Mapping[str, Scope],
    client_role: str,
    grant_types: Sequence[str],
    granting_role: str,
) -> None:
    """Scopes must be known, grantable by whoever grants them, and fit the client's own role.

    A client-credentials token acts with the client's role, so such a client may hold only the
    scopes that role could grant; and nobody gives an application more than they could grant.
    """
    if not scopes:
        raise ClientRuleError("scopes", "at least one scope is needed")
    for name in scopes:
        scope = known.get(name)
        if scope is None:
            raise ClientRuleError("scopes", f"unknown scope {name!r}")
        if not role_may_grant(granting_role, scope):
            raise PermissionError(f"a {granting_role} cannot grant the scope {name}")
        if "client_credentials" in grant_types and not role_may_grant(client_role, scope):
            raise ClientRuleError("scopes", f"the role {client_role} cannot hold the scope {name}")


def create_client(
    session: TenantSession,
    *,
    name: str,
    scopes: Sequence[str],
    role: str,
    confidential: bool = True,
    redirect_uris: Sequence[str] = (),
    grant_types: Sequence[str] = ("client_credentials", "refresh_token"),
) -> tuple[OAuthClient, str | None]:
    """Register an application in the session's tenant; returns it and its plain secret.

    The secret (``None`` for a public client) is shown once and stored only as a digest. Flushes,
    never commits. Raises :class:`ClientRuleError` for a malformed definition.
    """
    if session.tenant_id is None:
        raise ValueError("create_client needs a tenant-scoped session")
    check_client_shape(
        role=role, confidential=confidential, redirect_uris=redirect_uris, grant_types=grant_types
    )
    secret = new_credential() if confidential else None
    client = OAuthClient(
        id=new_id(),
        name=name,
        confidential=confidential,
        secret_hash=digest(secret) if secret else None,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=list(dict.fromkeys(grant_types)),
        scopes=list(dict.fromkeys(scopes)),
        role=role,
    )
    session.add(client)
    session.add(OAuthClientDirectory(client_id=client.client_id, tenant_id=session.tenant_id))
    session.flush()
    return client, secret


def rotate_secret(session: TenantSession, client: OAuthClient) -> str:
    """Give a confidential client a new secret; the old one stops working at once."""
    if not client.confidential:
        raise ClientRuleError("confidential", "a public client has no secret")
    secret = new_credential()
    client.secret_hash = digest(secret)
    client.updated_at = utcnow()
    session.flush()
    return secret


def delete_client(session: TenantSession, client: OAuthClient, access_token_ttl: int) -> None:
    """Revoke a client: its secret, its refresh tokens and every access token it still holds."""
    now = utcnow()
    client.revoked_at = now
    session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.client_id == client.id, OAuthRefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(OAuthClientDirectory)
        .where(OAuthClientDirectory.client_id == client.client_id)
        .execution_options(synchronize_session=False)
    )
    # Access tokens are JWTs: recording the client id as revoked rejects all of them at once.
    revoke(session, {client.id: now + timedelta(seconds=access_token_ttl + 60)})
    session.flush()


def find_client(session: TenantSession, client_id: str | None) -> OAuthClient | None:
    """The live client with this public id in the session's tenant, if any."""
    if session.tenant_id is None or not client_id:
        return None
    try:
        key = decode_public_id(CLIENT_ID_PREFIX, client_id)
    except InvalidPublicId:
        return None
    return session.scalar(
        select(OAuthClient).where(OAuthClient.id == key, OAuthClient.revoked_at.is_(None))
    )


def tenant_of_client(session: TenantSession, client_id: str | None) -> uuid.UUID | None:
    """Which tenant a public client id belongs to, from the shared directory (no tenant needed)."""
    if not client_id or len(client_id) > 40:
        return None
    try:
        decode_public_id(CLIENT_ID_PREFIX, client_id)  # anything else cannot be in the directory
    except InvalidPublicId:
        return None
    return session.scalar(
        select(OAuthClientDirectory.tenant_id).where(OAuthClientDirectory.client_id == client_id)
    )
