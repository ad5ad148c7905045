"""Schemas of customer profiles: the profile, a change to it, lists, look-ups and merges."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.customers.schemas.base import Schema
from ccokit.plugins.customers.schemas.contact import (
    MAX_CONTACTS,
    MAX_TAGS,
    ChannelField,
    EmailField,
    IdentifierField,
    KeyField,
    LocaleField,
    PhoneField,
    TagField,
)
from ccokit.plugins.customers.texts import text
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "CONTACT_FIELDS",
    "CustomerChatIdSchema",
    "CustomerExternalIdSchema",
    "CustomerLookupArgsSchema",
    "CustomerMergeSchema",
    "CustomerPageSchema",
    "CustomerPatchSchema",
    "CustomerQuerySchema",
    "CustomerSchema",
]

#: The fields of a profile that hold contact points or external ids.
CONTACT_FIELDS = ("emails", "phones", "chat_ids", "external_ids")


class CustomerChatIdSchema(Schema):
    """An id on a chat channel: ``{"channel": "wechat", "id": "wxid_4kd9"}``."""

    channel = ChannelField(required=True, metadata={"example": "wechat"})
    id = IdentifierField(required=True, metadata={"example": "wxid_4kd9"})


class CustomerExternalIdSchema(Schema):
    """An id of the customer in the merchant's own systems: ``{"kind": "member_id", "value": "M001"}``."""

    kind = KeyField(required=True, metadata={"example": "member_id"})
    value = IdentifierField(required=True, metadata={"example": "M0012345"})


def _unique(items: list[Any]) -> list[Any]:
    """The list without repeats (after normalisation ``A@x.cn`` and ``a@x.cn`` are one)."""
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


class _ProfileFields(Schema):
    name = fields.String(validate=validate.Length(1, 200), allow_none=True, metadata={"example": "王小明"})
    emails = fields.List(EmailField(), validate=validate.Length(max=MAX_CONTACTS))
    phones = fields.List(PhoneField(), validate=validate.Length(max=MAX_CONTACTS))
    chat_ids = fields.List(fields.Nested(CustomerChatIdSchema), validate=validate.Length(max=MAX_CONTACTS))
    external_ids = fields.List(
        fields.Nested(CustomerExternalIdSchema), validate=validate.Length(max=MAX_CONTACTS)
    )
    locale = LocaleField(allow_none=True, metadata={"example": "zh-CN"})
    tier = KeyField(
        attribute="tier_key", allow_none=True,
        metadata={"description": "The key of one of the workspace's tiers, or null.", "example": "gold"},
    )
    tags = fields.List(TagField(), validate=validate.Length(max=MAX_TAGS))
    notes = fields.String(validate=validate.Length(max=10_000), allow_none=True)

    @ma.pre_load
    def _strip_name(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            data = {**data, "name": data["name"].strip() or None}
        return data

    @ma.post_load
    def _dedupe(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for key in (*CONTACT_FIELDS, "tags"):
            if key in data:
                data[key] = _unique(data[key])
        return data


class CustomerSchema(_ProfileFields):
    """A customer profile; the body of a new customer is the same without the read-only fields.

    A profile needs a name or at least one contact point. ``tier`` is a tier's key.
    """

    id = PublicIdField("cus", dump_only=True)
    erased_at = fields.AwareDateTime(dump_only=True, allow_none=True,
                                     metadata={"description": "Set when the personal data was erased."})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)

    @ma.validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("name") and not any(data.get(key) for key in CONTACT_FIELDS):
            raise ma.ValidationError(text("empty_profile"), "_schema")


class CustomerPatchSchema(_ProfileFields):
    """A change to a profile: any writable field; a list given replaces the list kept."""


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    next_cursor = fields.String(allow_none=True)


class _ContactArgs(Schema):
    email = EmailField()
    phone = PhoneField()
    chat_channel = ChannelField()
    chat_id = IdentifierField()
    external_kind = KeyField()
    external_id = IdentifierField()

    @ma.validates_schema
    def _pairs(self, data: dict[str, Any], **_: Any) -> None:
        errors = {}
        for one, other in (("chat_id", "chat_channel"), ("external_id", "external_kind")):
            if (one in data) != (other in data):
                missing = other if one in data else one
                errors[missing] = [text("pair", other=missing)]
        if errors:
            raise ma.ValidationError(errors)


class CustomerLookupArgsSchema(_ContactArgs):
    """Exactly one contact point or external id to look a customer up by."""

    @ma.validates_schema
    def _exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        given = sum(key in data for key in ("email", "phone", "chat_id", "external_id"))
        half_pair = bool({"chat_channel", "external_kind"} & data.keys())  # _pairs says what is missing
        if given > 1 or (given == 0 and not half_pair):
            raise ma.ValidationError(text("lookup_one"), "_schema")


class CustomerQuerySchema(_ContactArgs, CursorArgsSchema):
    """Filters of the customer list; every filter given must hold."""

    tag = TagField()
    tier = KeyField(metadata={"description": "A tier's key."})
    q = fields.String(validate=validate.Length(1, 100),
                      metadata={"description": "The start of the name, in any case."})


class CustomerMergeSchema(Schema):
    source_id = PublicIdField(
        "cus", required=True,
        metadata={"description": "The customer that merges into the one in the URL and stays as a pointer."},
    )
