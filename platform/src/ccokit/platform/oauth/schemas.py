"""Marshmallow schemas of the applications API (``/api/v1/clients``), transport only."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.platform.oauth.clients import GRANT_TYPES

__all__ = [
    "ClientCreateSchema",
    "ClientPageSchema",
    "ClientPatchSchema",
    "ClientSchema",
    "ClientWithSecretSchema",
]

#: Roles a client-credentials token may act with; ``owner`` is kept for the sign-up client.
ASSIGNABLE_ROLES = ("agent", "supervisor", "admin")

_REDIRECT_URI = fields.Url(
    schemes={"http", "https"},
    require_tld=False,
    validate=validate.Length(max=2000),
    metadata={"description": "An exact callback URL (no fragment); matched exactly, no wildcards."},
)
_SCOPE = fields.String(validate=validate.Length(1, 100))
#: Text stored in PostgreSQL cannot hold NUL; refuse it as invalid input rather than fail later.
_NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Must not contain NUL characters.")


class ClientSchema(ma.Schema):
    """An application as its tenant's admins see it (never its secret)."""

    client_id = fields.String(dump_only=True, metadata={"example": "cli_01JD3M6ZK7Q3XG5W2V8N4T9R1B"})
    name = fields.String()
    confidential = fields.Boolean()
    redirect_uris = fields.List(fields.String())
    grant_types = fields.List(fields.String())
    scopes = fields.List(fields.String())
    role = fields.String(metadata={"description": "The role its client-credentials tokens act with."})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ClientWithSecretSchema(ClientSchema):
    """An application with its new secret, shown only in this one answer."""

    client_secret = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Shown once; store it now. Null for public clients."},
    )


class ClientCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=[validate.Length(1, 200), _NO_NUL])
    confidential = fields.Boolean(
        load_default=True, metadata={"description": "False for apps that cannot keep a secret (SPA, mobile)."}
    )
    redirect_uris = fields.List(_REDIRECT_URI, load_default=list, validate=validate.Length(max=20))
    grant_types = fields.List(
        fields.String(validate=validate.OneOf(GRANT_TYPES)),
        load_default=lambda: ["client_credentials"],
        validate=validate.Length(1, len(GRANT_TYPES)),
    )
    scopes = fields.List(_SCOPE, required=True, validate=validate.Length(1, 100))
    role = fields.String(load_default="agent", validate=validate.OneOf(ASSIGNABLE_ROLES))


class ClientPatchSchema(ma.Schema):
    name = fields.String(validate=[validate.Length(1, 200), _NO_NUL])
    redirect_uris = fields.List(_REDIRECT_URI, validate=validate.Length(max=20))
    scopes = fields.List(_SCOPE, validate=validate.Length(1, 100))


class ClientPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ClientSchema))
    next_cursor = fields.String(allow_none=True)
