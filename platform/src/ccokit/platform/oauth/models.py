"""Tables of the OAuth2 authorization server.

Four tables belong to one tenant each and follow the data rules (``tenant_id`` first in every
key): the applications (``oauth_clients``), the authorization codes, the refresh tokens and the
revoked access tokens. Two tables are **shared** by every tenant, because they are read before
any tenant is known:

- ``oauth_client_directory`` maps a public client id to its tenant, so that the token endpoint
  can scope the session before it looks the client itself up;
- ``oauth_signing_keys`` holds the keys that sign access tokens for every tenant.

Secrets, codes and refresh tokens are stored as SHA-256 digests only. Foreign keys to the
tenancy layer's tables (``tenants``, ``members``, in another :class:`~sqlalchemy.MetaData`) name
those tables' columns directly, so the models and the migration describe the same schema.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit.platform.oauth.digests import digest_matches
from ccokit.tenants.models import Member, Tenant
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = [
    "CLIENT_ID_PREFIX",
    "Base",
    "OAuthAuthorizationCode",
    "OAuthClient",
    "OAuthClientDirectory",
    "OAuthRefreshToken",
    "OAuthRevokedToken",
    "OAuthSigningKey",
]

#: Public client ids look like ``cli_01JD…``.
CLIENT_ID_PREFIX = "cli"


class Base(DeclarativeBase):
    metadata = make_metadata()


def _to_tenant() -> ForeignKeyConstraint:
    """A foreign key to the tenant registry (a table of the tenancy layer's metadata)."""
    return ForeignKeyConstraint(["tenant_id"], [Tenant.__table__.c.id])


def _to_member() -> ForeignKeyConstraint:
    """A foreign key to the member who authorized (tenant first, as between all tenant tables)."""
    members = Member.__table__.c
    return ForeignKeyConstraint(["tenant_id", "member_id"], [members.tenant_id, members.id])


class OAuthClient(TenantScoped, Base):
    """An application registered by a tenant: its secret digest, redirect URIs, grants and scopes.

    ``role`` is the role its client-credentials tokens act with; tokens obtained for a member
    carry the member's role instead. A deleted client keeps its row (``revoked_at`` set) so that
    its codes and tokens still point at something.
    """

    __tablename__ = "oauth_clients"
    __table_args__ = (_to_tenant(),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def client_id(self) -> str:
        """The public id applications send (``cli_…``)."""
        return encode_public_id(CLIENT_ID_PREFIX, self.id)

    # -- authlib's ClientMixin --------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """Only an unambiguous default: with several registered URIs the request must name one."""
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this client holds (all of them when none are named), or None."""
        if not scope:
            return " ".join(self.scopes) or None
        allowed = [s for s in dict.fromkeys(scope.split()) if s in self.scopes]
        return " ".join(allowed) or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against a registered URI (no prefix or pattern matching)."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.confidential and digest_matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Confidential clients authenticate with their secret, public clients with nothing."""
        if self.confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class OAuthClientDirectory(Base):
    """Which tenant a public client id belongs to. **Shared table** (read before any tenant is set).

    It holds nothing secret: the id and its tenant. The client row itself, with its secret, stays
    in the tenant's own ``oauth_clients`` behind the tenant filter and row-level security.
    """

    __tablename__ = "oauth_client_directory"
    __table_args__ = (Index("ix_oauth_client_directory_tenant_id", "tenant_id"), _to_tenant())

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class OAuthAuthorizationCode(TenantScoped, Base):
    """A one-time code from the authorization endpoint, bound to client, member and PKCE challenge.

    ``used_at`` is set by one conditional UPDATE when the code is redeemed; that UPDATE, not a
    read, decides which of several concurrent redemptions wins. The row id is also the id of the
    refresh-token family issued from the code.
    """

    __tablename__ = "oauth_authorization_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code_hash"),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["oauth_clients.tenant_id", "oauth_clients.id"]),
        _to_member(),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    redirect_uri: Mapped[str | None] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthRefreshToken(TenantScoped, Base):
    """One refresh token of a family (all tokens rotated from one authorization code).

    A token is good once: redeeming it sets ``used_at``. Presenting a used token again means it
    leaked, so the whole family is revoked, with the access token last issued alongside each
    member of the family (``access_jti``).
    """

    __tablename__ = "oauth_refresh_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_oauth_refresh_tokens_tenant_id_family_id", "tenant_id", "family_id"),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["oauth_clients.tenant_id", "oauth_clients.id"]),
        _to_member(),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    token_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_jti: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # -- authlib's TokenMixin, as far as the grants and endpoints use it --------------------
    def get_scope(self) -> str:
        return self.scope

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.id

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or self.used_at is not None


class OAuthRevokedToken(TenantScoped, TenantConfiguration, Base):
    """A revoked access token (``id`` is its ``jti``), or a deleted client (``id`` is the client's).

    Access tokens are JWTs checked without the database, except for this one primary-key look-up.
    A row is useless once ``expires_at`` passes (every token it names has expired by then).
    """

    __tablename__ = "oauth_revoked_tokens"
    __table_args__ = (_to_tenant(),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthSigningKey(Base):
    """A key that signs access tokens. **Shared table**: one key ring for every tenant and pod.

    The private key is a PKCS#8 PEM encrypted with a key derived from ``CCOKIT_SECRET_KEY``; the
    public JWK is stored in clear for the JWKS document. ``generation`` is unique, so two pods
    creating the first key (or rotating) at once cannot both succeed.
    """

    __tablename__ = "oauth_signing_keys"
    __table_args__ = (UniqueConstraint("generation"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(10))
    private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
