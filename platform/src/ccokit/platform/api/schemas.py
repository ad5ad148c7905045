"""Marshmallow schemas of the platform's own API (transport only)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.tenants.models import MEMBER_ROLES
from ccokit_sdk.schemas import PublicIdField

SLUG = validate.Regexp(
    r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$",
    error="3-40 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
)
LOCALE = validate.OneOf(["en", "zh"])


class SignupSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    slug = fields.String(required=True, validate=SLUG)
    owner_email = fields.Email(required=True, validate=validate.Length(max=254))
    owner_password = fields.String(required=True, load_only=True, validate=validate.Length(10, 256))
    owner_name = fields.String(validate=validate.Length(1, 200))
    locale = fields.String(load_default="en", validate=LOCALE)


class TenantSchema(ma.Schema):
    id = PublicIdField("ten", dump_only=True)
    slug = fields.String(dump_only=True)
    name = fields.String(validate=validate.Length(1, 200))
    plan = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class TenantPatchSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))


class MemberSchema(ma.Schema):
    id = PublicIdField("mem", dump_only=True)
    email = fields.Email(dump_only=True)
    display_name = fields.String()
    role = fields.String()
    status = fields.String()
    locale = fields.String()
    created_at = fields.AwareDateTime(dump_only=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class MemberCreateSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = fields.String(required=True, validate=validate.Length(1, 200))
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))
    password = fields.String(required=True, load_only=True, validate=validate.Length(10, 256))
    locale = fields.String(load_default="en", validate=LOCALE)


class MemberPatchSchema(ma.Schema):
    display_name = fields.String(validate=validate.Length(1, 200))
    role = fields.String(validate=validate.OneOf(MEMBER_ROLES))
    status = fields.String(validate=validate.OneOf(["active", "disabled"]))
    locale = fields.String(validate=LOCALE)


class ClientCredentialsSchema(ma.Schema):
    client_id = fields.String()
    client_secret = fields.String()
    scopes = fields.List(fields.String())
    token_endpoint = fields.String()


class SignupResultSchema(ma.Schema):
    tenant = fields.Nested(TenantSchema)
    owner = fields.Nested(MemberSchema)
    client = fields.Nested(ClientCredentialsSchema)
    plugins = fields.List(fields.String())


class PluginSchema(ma.Schema):
    name = fields.String()
    version = fields.String()
    title = fields.Dict(keys=fields.String(), values=fields.String())
    description = fields.Dict(keys=fields.String(), values=fields.String())
    enabled = fields.Boolean()
    settings = fields.Dict()
    scopes = fields.List(fields.String())


class PluginListSchema(ma.Schema):
    items = fields.List(fields.Nested(PluginSchema))


class PluginSettingsSchema(ma.Schema):
    settings = fields.Dict(required=True)


class DeleteTenantArgsSchema(ma.Schema):
    confirm = fields.String(required=True, metadata={"description": "The workspace slug, to confirm."})


class MemberPageSchema(ma.Schema):
    items = fields.List(fields.Nested(MemberSchema))
    next_cursor = fields.String(allow_none=True)
