"""Schemas of the tier ladder: what each member tier is called and what it earns."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.customers.schemas.base import Schema
from ccokit.plugins.customers.schemas.contact import KeyField
from ccokit.plugins.customers.texts import text
from ccokit_sdk.schemas import PublicIdField

__all__ = ["MAX_TIERS", "CustomerTierPageSchema", "CustomerTierPatchSchema", "CustomerTierSchema"]

MAX_TIERS = 20
_POLICY = validate.Regexp(r"^[a-z][a-z0-9_.\-]{0,59}$")


def _check_names(value: dict[str, str]) -> None:
    if not set(value) <= {"en", "zh"} or not all(isinstance(v, str) and 1 <= len(v.strip()) <= 60
                                                 for v in value.values()):
        raise ma.ValidationError(text("names"))


def _check_policy(value: str | None) -> None:
    if value is not None:
        try:
            _POLICY(value)
        except ma.ValidationError:
            raise ma.ValidationError(text("key")) from None


class _TierFields(Schema):
    name = fields.String(validate=validate.Length(1, 60), metadata={"example": "超级牛"})
    names = fields.Dict(
        keys=fields.String(), values=fields.String(), validate=_check_names,
        metadata={"description": "The name by language, keys en and zh.",
                  "example": {"en": "Platinum", "zh": "超级牛"}},
    )
    rank = fields.Integer(validate=validate.Range(1, 100),
                          metadata={"description": "Higher is better; one tier per rank."})
    priority_boost = fields.Integer(
        validate=validate.Range(-1000, 1000),
        metadata={"description": "Added to the priority of this tier's conversations and tickets."},
    )
    sla_policy = fields.String(
        allow_none=True, validate=_check_policy,
        metadata={"description": "Key of the ticketing SLA policy for this tier; null for the default.",
                  "example": "vip"},
    )
    guarantees = fields.List(
        KeyField(), validate=validate.Length(max=20),
        metadata={"description": "What this tier is promised.",
                  "example": ["priority_refund", "low_burden_of_proof"]},
    )

    @ma.post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "names" in data:
            data["names"] = {k: v.strip() for k, v in sorted(data["names"].items())}
        if "guarantees" in data:
            data["guarantees"] = list(dict.fromkeys(data["guarantees"]))
        return data


class CustomerTierSchema(_TierFields):
    """One tier of the ladder; ``key`` is set once, at creation."""

    id = PublicIdField("tier", dump_only=True)
    key = KeyField(required=True, metadata={"example": "platinum"})
    name = fields.String(required=True, validate=validate.Length(1, 60), metadata={"example": "超级牛"})
    rank = fields.Integer(required=True, validate=validate.Range(1, 100),
                          metadata={"description": "Higher is better; one tier per rank."})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class CustomerTierPatchSchema(_TierFields):
    """A change to a tier: any field but ``key``."""


class CustomerTierPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerTierSchema))
    next_cursor = fields.String(allow_none=True,
                                metadata={"description": "Always null: the ladder is one page."})
