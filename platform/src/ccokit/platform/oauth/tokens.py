"""JWT access tokens (RFC 9068 profile): minting, verification and revocation.

An access token is a JWT signed with the shared key ring (:mod:`.keys`), typed ``at+jwt``, that
lives at most ``CCOKIT_ACCESS_TOKEN_TTL`` seconds (15 minutes at most). It carries who the
caller is (``tenant_id``, ``client_id``, ``role``, ``member_id`` for a member's token) and what
it may do (``scope``). Verifying one costs no database read for keys (they are cached) and one
primary-key look-up in ``oauth_revoked_tokens``, which names both revoked tokens (by ``jti``) and
deleted clients (by client id), so one query answers "was this token revoked?" for both.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.oauth.keys import ALGORITHM, SigningKeys
from ccokit.platform.oauth.models import CLIENT_ID_PREFIX, OAuthClient, OAuthRevokedToken
from ccokit.tenants.database import TenantSession
from ccokit.tenants.models import Member
from ccokit.tenants.registry import TenantSummary, scope_to_tenant
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id
from ccokit_sdk.models import cached_configuration, utcnow

__all__ = [
    "InvalidAccessToken",
    "VerifiedToken",
    "audience",
    "decode_access_token",
    "mint_access_token",
    "read_own_claims",
    "revoke",
    "signing_keys",
    "verify_access_token",
]

_EXTENSION = "ccokit.oauth.keys"
_TYPES = frozenset({"at+jwt", "application/at+jwt"})
_LEEWAY = 10  # seconds of clock skew tolerated between pods
_REQUIRED = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "tenant_id", "role")


#: Tokens this process has verified: a client sends the same token for up to 15 minutes, and
#: checking its signature and claims again on every request cost a few percent of each. An entry
#: names the key ring that verified the token (a rotation or the ring's periodic reload makes a
#: new ring, and the token is verified again against it), the issuer and audience checked, and
#: the claims; it serves only until the token expires. Revocation is not cached here:
#: :func:`verify_access_token` checks it on every request.
_VERIFIED: dict[str, tuple[object, str, str, dict[str, Any]]] = {}
_VERIFIED_LIMIT = 4096


class InvalidAccessToken(Exception):
    """The bearer token is malformed, forged, expired, revoked or not an access token of ours."""


def signing_keys() -> SigningKeys:
    """The current app's key ring (created on first use, one per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keys = app.extensions.get(_EXTENSION)
    if keys is None:
        kernel = current_kernel(app)
        settings = kernel.settings
        keys = app.extensions.setdefault(
            _EXTENSION, SigningKeys(kernel.db, settings.secret_key, settings.access_token_ttl)
        )
    return keys  # type: ignore[no-any-return]


def audience(settings: Settings) -> str:
    """The resource the tokens are for: this platform's API."""
    return f"{settings.base_url}/api"


def mint_access_token(
    settings: Settings,
    *,
    client: OAuthClient,
    scope: str,
    role: str,
    member: Member | None = None,
) -> str:
    """Sign an access token for ``client`` (and ``member``, when a person authorized it)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.base_url,
        "sub": encode_public_id("mem", member.id) if member is not None else client.client_id,
        "aud": audience(settings),
        "exp": now + settings.access_token_ttl,
        "iat": now,
        "jti": str(new_id()),
        "client_id": client.client_id,
        "scope": scope,
        "tenant_id": str(client.tenant_id),
        "role": role,
    }
    if member is not None:
        claims["member_id"] = str(member.id)
    key = signing_keys().signing_key()
    header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def read_own_claims(token: str) -> dict[str, Any]:
    """The claims of a token this process has just signed (no verification: it is our output)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """Check signature, type, issuer, audience and expiry; no database access at all.

    Raises :class:`InvalidAccessToken`. Revocation is checked by :func:`verify_access_token`.
    """
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 8192:
        raise InvalidAccessToken("not a JWT")
    keys = signing_keys()
    ring = keys.verification_keys()
    issuer, aud = settings.base_url, audience(settings)
    known = _VERIFIED.get(token)
    if known is not None and known[0] is ring and known[1] == issuer and known[2] == aud:
        if time.time() > known[3]["exp"] + _LEEWAY:
            raise InvalidAccessToken("the token has expired")
        return dict(known[3])
    try:
        try:
            decoded = jwt.decode(token, ring, algorithms=[ALGORITHM])
        except InvalidKeyIdError:
            # Perhaps another pod rotated the key ring since we cached it.
            if not keys.refresh_for_unknown_kid():
                raise
            ring = keys.verification_keys()
            decoded = jwt.decode(token, ring, algorithms=[ALGORITHM])
        if str(decoded.header.get("typ", "")).lower() not in _TYPES:
            raise InvalidAccessToken("not an access token (typ)")
        registry = JWTClaimsRegistry(
            leeway=_LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": aud},
            **{name: {"essential": True} for name in _REQUIRED if name not in ("iss", "aud")},  # type: ignore[arg-type]
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc
    claims = decoded.claims
    try:
        uuid.UUID(str(claims["tenant_id"]))
        uuid.UUID(str(claims["jti"]))
        decode_public_id(CLIENT_ID_PREFIX, claims["client_id"])
    except (ValueError, InvalidPublicId) as exc:
        raise InvalidAccessToken("malformed claims") from exc
    if len(_VERIFIED) >= _VERIFIED_LIMIT:
        _VERIFIED.clear()  # simpler than LRU; the busy tokens come back within a request each
    _VERIFIED[token] = (ring, issuer, aud, dict(claims))
    return claims


@dataclass(frozen=True)
class VerifiedToken:
    """A valid, unrevoked access token's claims and its tenant (active or suspended)."""

    claims: dict[str, Any]
    tenant: TenantSummary


def verify_access_token(token: str, session: TenantSession) -> VerifiedToken:
    """Verify ``token`` and read its tenant; raise :class:`InvalidAccessToken` if it is invalid,
    revoked, or its tenant is gone. Scopes ``session`` to the token's tenant.

    One query: the tenant's row, whose configuration version the cached revocations are checked
    against. A suspended tenant is returned; refusing it is the caller's answer to give.
    """
    claims = decode_access_token(token, current_kernel().settings)
    tenant_id = uuid.UUID(claims["tenant_id"])
    tenant = scope_to_tenant(session, tenant_id)
    if tenant is None or tenant.status == "deleted":
        raise InvalidAccessToken("no such tenant")
    session.remember_configuration_version(tenant.config_version)
    if is_revoked(session, claims):
        raise InvalidAccessToken("revoked")
    return VerifiedToken(claims, tenant)


def is_revoked(session: TenantSession, claims: Mapping[str, Any]) -> bool:
    """Whether the token or its client was revoked.

    The tenant's revocations are configuration: read once per process and configuration version,
    so checking costs no query; a revocation moves the version and takes effect on the next
    request everywhere.
    """
    revoked = cached_configuration(session, "platform.revoked_tokens", _revoked_ids)
    client_id = decode_public_id(CLIENT_ID_PREFIX, claims["client_id"])
    return uuid.UUID(str(claims["jti"])) in revoked or client_id in revoked


def _revoked_ids(session: TenantSession) -> frozenset[uuid.UUID]:
    # Expired rows may linger until the next revocation sweeps them; the tokens they name fail
    # on their expiry anyway.
    return frozenset(session.scalars(select(OAuthRevokedToken.id)))


def revoke(session: TenantSession, revoked: Mapping[uuid.UUID, datetime]) -> None:
    """Record access tokens (by ``jti``) or clients (by id) as revoked until the given expiry.

    Runs in the caller's transaction; recording one twice is harmless. Rows that expired are
    swept on the way, so the table stays as small as the set of live revoked tokens.
    """
    now = utcnow()
    live = {key: when for key, when in revoked.items() if when > now}
    session.execute(
        delete(OAuthRevokedToken)
        .where(OAuthRevokedToken.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    if not live:
        return
    known = set(session.scalars(select(OAuthRevokedToken.id).where(OAuthRevokedToken.id.in_(list(live)))))
    rows = [
        {"tenant_id": session.tenant_id, "id": key, "expires_at": when}
        for key, when in live.items()
        if key not in known
    ]
    if not rows:
        return
    try:
        with session.begin_nested():
            session.execute(insert(OAuthRevokedToken), rows)
    except IntegrityError:
        pass  # a concurrent revocation recorded the same token first


def expiry_of(claims: Mapping[str, Any]) -> datetime:
    """The ``exp`` claim as an aware datetime."""
    return datetime.fromtimestamp(int(claims["exp"]), UTC)
