"""Marshmallow fields and schema bases shared by the platform and plugins."""

from __future__ import annotations

import typing
import uuid
from typing import Any

import marshmallow as ma

from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id

__all__ = ["AttributeSchema", "PublicIdField"]


class PublicIdField(ma.fields.Field):
    """A UUID shown as a prefixed public id (``qr_01JD…``) and parsed back strictly (a UUID
    string, as JSON columns keep ids, is shown the same way)."""

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
        if isinstance(value, str):  # ids kept in JSON columns are UUID strings
            value = uuid.UUID(value)
        return encode_public_id(self.prefix, value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> uuid.UUID:
        try:
            return decode_public_id(self.prefix, value)
        except InvalidPublicId as exc:
            raise self.make_error("invalid", prefix=self.prefix) from exc


_FIELD_SERIALIZE = ma.fields.Field.serialize
_FIELD_GET_VALUE = ma.fields.Field.get_value
_PLAN = "_ccokit_attribute_plan"


class AttributeSchema(ma.Schema):
    """A schema that dumps objects read by attribute (ORM rows, dataclasses) with less overhead.

    marshmallow reaches each value through four calls (``serialize``, ``get_value``,
    ``get_attribute``, ``utils.get_value``) that serve mappings, dotted paths and custom
    accessors; for a plain object and a plain field they come down to one ``getattr``. A page of
    25 tickets holds about 600 values, and those calls were a third of its CPU. Here a plain field
    of a plain object is read with ``getattr`` and formatted by the field itself; a field that
    finds its values its own way, a dotted ``attribute``, an object with ``__getitem__`` (dicts,
    rows) and a schema with its own ``get_attribute`` take marshmallow's path, so the output is
    the same (``tests/sdk/test_schemas.py`` compares the two).
    """

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        if (obj is None or hasattr(obj, "__getitem__")
                or type(self).get_attribute is not ma.Schema.get_attribute):
            return super()._serialize(obj, many=False)
        plan = self.__dict__.get(_PLAN)
        if plan is None:
            plan = self.__dict__[_PLAN] = self._attribute_plan()
        out = self.dict_class()
        for attr_name, key, source, field_obj in plan:
            if source is None:  # marshmallow's own path
                value = field_obj.serialize(attr_name, obj, accessor=self.get_attribute)
            elif source == "":  # a field that reads nothing itself (Function, Method)
                value = field_obj._serialize(None, attr_name, obj)
            else:
                value = getattr(obj, source, ma.missing)
                if value is ma.missing:
                    default = field_obj.dump_default
                    value = default() if callable(default) else default
                    if value is ma.missing:
                        continue
                value = field_obj._serialize(value, attr_name, obj)
            if value is ma.missing:
                continue
            out[key] = value
        return out

    def _attribute_plan(self) -> list[tuple[str, str, str | None, ma.fields.Field]]:
        """Per dump field: its name, output key, where its value comes from (an attribute name,
        ``""`` for none, ``None`` for marshmallow's own path) and the field."""
        plan: list[tuple[str, str, str | None, ma.fields.Field]] = []
        for attr_name, field_obj in self.dump_fields.items():
            key = field_obj.data_key if field_obj.data_key is not None else attr_name
            kind = type(field_obj)
            plain = kind.serialize is _FIELD_SERIALIZE and kind.get_value is _FIELD_GET_VALUE
            source: str | None = None
            if plain and not field_obj._CHECK_ATTRIBUTE:
                source = ""
            elif plain:
                wanted = field_obj.attribute or attr_name
                source = wanted if "." not in wanted else None
            plan.append((attr_name, key, source, field_obj))
        return plan
