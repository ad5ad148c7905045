"""What the API client returns: frozen dataclasses that keep what they do not know.

Each resource's result is a dataclass subclass of :class:`APIObject` whose fields are the
API's documented members, typed (``datetime`` for times, nested objects for nested members).
A server newer than the client may send members the client does not know yet; they are kept in
``extra`` and readable as attributes too (``member.some_new_field``), so an old client neither
breaks nor loses them. A member that an older server does not send reads as ``None``.

``to_dict()`` gives back the JSON object exactly as the server sent it.

Why dataclasses and not TypedDicts: results read as attributes (``member.email``), have a
useful ``repr``, compare by value, and can carry unknown members next to the typed ones.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar, get_args, get_origin, get_type_hints

__all__ = ["APIObject"]

T = TypeVar("T", bound="APIObject")


@dataclasses.dataclass(frozen=True, kw_only=True)
class APIObject:
    """Base of every result: typed fields, plus ``extra`` for members this client does not know."""

    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    _raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    _hints: ClassVar[dict[type, dict[str, Any]]] = {}

    @classmethod
    def from_api(cls: type[T], data: Mapping[str, Any]) -> T:
        """Build the object from the API's JSON object (unknown members go to ``extra``)."""
        hints = cls._field_types()
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in data.items():
            if name in hints:
                known[name] = _convert(hints[name], value)
            else:
                extra[name] = value
        missing = dict.fromkeys(hints.keys() - known.keys())  # not sent by an older server
        return cls(**known, **missing, extra=extra, _raw=dict(data))

    @classmethod
    def _field_types(cls) -> dict[str, Any]:
        hints = APIObject._hints.get(cls)
        if hints is None:
            resolved = get_type_hints(cls)
            hints = {
                f.name: resolved[f.name] for f in dataclasses.fields(cls) if f.name not in ("extra", "_raw")
            }
            APIObject._hints[cls] = hints
        return hints

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as the server sent it, unknown members included."""
        return dict(self._raw)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: members a newer server added.
        if name.startswith("_") or name == "extra":
            raise AttributeError(name)
        extra = self.__dict__.get("extra") or {}
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")


def _convert(hint: Any, value: Any) -> Any:
    """Turn a JSON value into the field's type: datetimes, nested objects, lists and dicts of them."""
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = get_args(hint) or (Any,)
        return [_convert(item, v) for v in value] if isinstance(value, list) else value
    if origin in (dict, Mapping):
        args = get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {k: _convert(item, v) for k, v in value.items()} if isinstance(value, dict) else value
    if hint is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(hint, type) and issubclass(hint, APIObject) and isinstance(value, Mapping):
        return hint.from_api(value)
    return value
