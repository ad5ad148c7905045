"""OAuth2 server: clients and their directory, codes, refresh tokens, revocations, signing keys.

``oauth_client_directory`` and ``oauth_signing_keys`` are shared tables (read before a tenant is
known); the four others are tenant tables with ``tenant_id`` first in every key.

Revision ID: p0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ccokit_sdk.models import UTCDateTime

revision = "p0001"
down_revision = None
branch_labels = ("platform",)
depends_on = "t0001"


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_oauth_clients"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_oauth_clients_tenant_id_tenants"),
    )
    op.create_table(
        "oauth_client_directory",
        sa.Column("client_id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_oauth_client_directory"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_oauth_client_directory_tenant_id_tenants"
        ),
    )
    op.create_index("ix_oauth_client_directory_tenant_id", "oauth_client_directory", ["tenant_id"])
    op.create_table(
        "oauth_authorization_codes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(2000), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_oauth_authorization_codes"),
        sa.UniqueConstraint("tenant_id", "code_hash", name="uq_oauth_authorization_codes_tenant_id_code_hash"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["oauth_clients.tenant_id", "oauth_clients.id"],
            name="fk_oauth_authorization_codes_tenant_id_oauth_clients",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name="fk_oauth_authorization_codes_tenant_id_members",
        ),
    )
    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("access_jti", sa.Uuid(), nullable=True),
        sa.Column("access_expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_oauth_refresh_tokens"),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_oauth_refresh_tokens_tenant_id_token_hash"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["oauth_clients.tenant_id", "oauth_clients.id"],
            name="fk_oauth_refresh_tokens_tenant_id_oauth_clients",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name="fk_oauth_refresh_tokens_tenant_id_members",
        ),
    )
    op.create_index(
        "ix_oauth_refresh_tokens_tenant_id_family_id", "oauth_refresh_tokens", ["tenant_id", "family_id"]
    )
    op.create_table(
        "oauth_revoked_tokens",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_oauth_revoked_tokens"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_oauth_revoked_tokens_tenant_id_tenants"
        ),
    )
    op.create_table(
        "oauth_signing_keys",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(10), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_oauth_signing_keys"),
        sa.UniqueConstraint("generation", name="uq_oauth_signing_keys_generation"),
    )


def downgrade() -> None:
    op.drop_table("oauth_signing_keys")
    op.drop_table("oauth_revoked_tokens")
    op.drop_index("ix_oauth_refresh_tokens_tenant_id_family_id", table_name="oauth_refresh_tokens")
    op.drop_table("oauth_refresh_tokens")
    op.drop_table("oauth_authorization_codes")
    op.drop_index("ix_oauth_client_directory_tenant_id", table_name="oauth_client_directory")
    op.drop_table("oauth_client_directory")
    op.drop_table("oauth_clients")
