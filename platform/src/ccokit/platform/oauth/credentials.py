"""Authorization codes and refresh tokens: issued, redeemed exactly once, revoked by family.

Redemption is decided by the database, not by a read followed by a write: a conditional
``UPDATE … SET used_at = now WHERE used_at IS NULL`` succeeds for exactly one of any number of
concurrent requests (the others wait for its row lock and then match no row). A request that
loses, or that presents a code or refresh token already used, is treated as a replay: every
refresh token of the family (the tokens rotated from one authorization code) is revoked, together
with the access token issued alongside each (RFC 6749 §4.1.2 and §10.4, RFC 9700 §4.14).

All functions run in the caller's transaction on a tenant-scoped session.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ccokit.platform.oauth.digests import digest
from ccokit.platform.oauth.models import OAuthAuthorizationCode, OAuthClient, OAuthRefreshToken
from ccokit.platform.oauth.tokens import expiry_of, revoke
from ccokit.tenants.database import TenantSession
from ccokit_sdk.models import utcnow

__all__ = [
    "CODE_TTL",
    "find_refresh_token",
    "issue_code",
    "issue_refresh_token",
    "redeem_code",
    "redeem_refresh_token",
    "revoke_family",
]

#: RFC 6749 recommends at most ten minutes; a browser round trip needs far less.
CODE_TTL = timedelta(minutes=5)


def issue_code(
    session: TenantSession,
    *,
    code: str,
    client: OAuthClient,
    member_id: uuid.UUID,
    redirect_uri: str | None,
    scope: str,
    code_challenge: str,
    code_challenge_method: str,
) -> OAuthAuthorizationCode:
    """Store a new authorization code (as its digest) bound to everything the token call checks."""
    row = OAuthAuthorizationCode(
        code_hash=digest(code),
        client_id=client.id,
        member_id=member_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        expires_at=utcnow() + CODE_TTL,
    )
    session.add(row)
    session.flush()
    return row


def redeem_code(session: TenantSession, code: str, client: OAuthClient) -> OAuthAuthorizationCode | None:
    """Mark the code used and return it, or None if it is unknown, expired or already used."""
    code_hash = digest(code)
    now = utcnow()
    result: Any = session.execute(
        update(OAuthAuthorizationCode)
        .where(
            OAuthAuthorizationCode.code_hash == code_hash,
            OAuthAuthorizationCode.client_id == client.id,
            OAuthAuthorizationCode.used_at.is_(None),
            OAuthAuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row = session.scalar(
        select(OAuthAuthorizationCode)
        .where(OAuthAuthorizationCode.code_hash == code_hash, OAuthAuthorizationCode.client_id == client.id)
        .execution_options(populate_existing=True)
    )
    if result.rowcount == 1:
        return row
    if row is not None and row.used_at is not None:
        revoke_family(session, row.id)
    return None


def issue_refresh_token(
    session: TenantSession,
    *,
    token: str,
    family_id: uuid.UUID,
    client: OAuthClient,
    member_id: uuid.UUID,
    scope: str,
    access_claims: Mapping[str, Any],
    ttl: int,
) -> OAuthRefreshToken:
    """Store a refresh token (as its digest) with the access token issued alongside it."""
    row = OAuthRefreshToken(
        family_id=family_id,
        token_hash=digest(token),
        client_id=client.id,
        member_id=member_id,
        scope=scope,
        expires_at=utcnow() + timedelta(seconds=ttl),
        access_jti=uuid.UUID(str(access_claims["jti"])),
        access_expires_at=expiry_of(access_claims),
    )
    session.add(row)
    session.flush()
    return row


def find_refresh_token(session: TenantSession, token: str) -> OAuthRefreshToken | None:
    """The refresh token with this value in the session's tenant, whatever its state."""
    if session.tenant_id is None or not token or len(token) > 512:
        return None
    return session.scalar(select(OAuthRefreshToken).where(OAuthRefreshToken.token_hash == digest(token)))


def redeem_refresh_token(session: TenantSession, token: str, client: OAuthClient) -> OAuthRefreshToken | None:
    """Mark the client's refresh token used and return it; a replay revokes its whole family."""
    row = find_refresh_token(session, token)
    if row is None or row.client_id != client.id:
        return None
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.used_at is not None:
        revoke_family(session, row.family_id)
        return None
    result: Any = session.execute(
        update(OAuthRefreshToken)
        .where(
            OAuthRefreshToken.id == row.id,
            OAuthRefreshToken.used_at.is_(None),
            OAuthRefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        revoke_family(session, row.family_id)
        return None
    session.refresh(row)
    return row


def revoke_family(session: TenantSession, family_id: uuid.UUID) -> None:
    """Revoke every refresh token of the family and the access tokens issued with them."""
    now = utcnow()
    issued = session.execute(
        select(OAuthRefreshToken.access_jti, OAuthRefreshToken.access_expires_at).where(
            OAuthRefreshToken.family_id == family_id
        )
    ).all()
    session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.family_id == family_id, OAuthRefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    revoke(session, {jti: expires for jti, expires in issued if jti is not None and expires is not None})
