"""Marshmallow fields shared by the platform and plugins."""

from __future__ import annotations

import typing
import uuid
from typing import Any

import marshmallow as ma

from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id

__all__ = ["PublicIdField"]


class PublicIdField(ma.fields.Field):
    """A UUID shown as a prefixed public id (``qr_01JD…``) and parsed back strictly."""

    default_error_messages: typing.ClassVar[dict[str, str]] = {
        "invalid": "Not a valid id of this kind (expected {prefix}_…)."
    }

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix
        self.metadata.setdefault("type", "string")
        self.metadata.setdefault("example", f"{prefix}_01JD3M6ZK7Q3XG5W2V8N4T9R1B")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return encode_public_id(self.prefix, value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> uuid.UUID:
        try:
            return decode_public_id(self.prefix, value)
        except InvalidPublicId as exc:
            raise self.make_error("invalid", prefix=self.prefix) from exc
