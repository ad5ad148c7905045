"""Contact points as ccokit stores them: one spelling per email, phone, chat id or external id.

Normalising on the way in is what makes "one contact point names one customer" hold: ``Wang@Shop.CN``
and ``wang@shop.cn`` are one email, ``+86 138-0013-8000`` and ``+8613800138000`` one phone. The
functions raise ``marshmallow.ValidationError`` with a message in the caller's language; the
services use them too, for contact points that other plugins pass to ``customers.resolve``.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.customers.texts import text

__all__ = [
    "MAX_CONTACTS",
    "MAX_TAGS",
    "EmailField",
    "PhoneField",
    "normalise_channel",
    "normalise_email",
    "normalise_identifier",
    "normalise_key",
    "normalise_locale",
    "normalise_phone",
    "normalise_tag",
]

MAX_CONTACTS = 20
MAX_TAGS = 50
_EMAIL = validate.Email()
_PHONE_SEPARATORS = re.compile(r"[\s\-.()（）\u3000]")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_\-]{0,39}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_email(raw: str) -> str:
    """``Wang@Shop.CN `` -> ``wang@shop.cn``; the whole address is lower-cased."""
    value = raw.strip().lower()
    if not value or len(value) > 254:
        raise ma.ValidationError(text("email"))
    try:
        _EMAIL(value)
    except ma.ValidationError:
        raise ma.ValidationError(text("email")) from None
    return value


def normalise_phone(raw: str) -> str:
    """Digits only, after a ``+`` when the number was given with one (or with ``00``):
    ``+86 138-0013-8000`` -> ``+8613800138000``, ``(021) 6123 4567`` -> ``02161234567``."""
    value = _PHONE_SEPARATORS.sub("", raw.strip())
    plus = False
    if value.startswith("+"):
        plus, value = True, value[1:]
    elif value.startswith("00"):
        plus, value = True, value[2:]
    if not value.isascii() or not value.isdigit() or not 5 <= len(value) <= 15:
        raise ma.ValidationError(text("phone"))
    return f"+{value}" if plus else value


def normalise_channel(raw: str) -> str:
    value = raw.strip().lower()
    if not _CHANNEL.match(value):
        raise ma.ValidationError(text("channel"))
    return value


def normalise_key(raw: str) -> str:
    """A machine name: an external id's kind, a tier key (``member_id``, ``gold``)."""
    value = raw.strip().lower()
    if not _KEY.match(value):
        raise ma.ValidationError(text("key"))
    return value


def normalise_identifier(raw: str) -> str:
    """A chat id or an external id's value: trimmed, case kept (some channels are case-sensitive)."""
    value = raw.strip()
    if not 1 <= len(value) <= 200 or _CONTROL.search(value):
        raise ma.ValidationError(text("identifier"))
    return value


def normalise_tag(raw: str) -> str:
    value = raw.strip()
    if not 1 <= len(value) <= 40 or _CONTROL.search(value) or ";" in value or "," in value:
        raise ma.ValidationError(text("tag"))
    return value


def normalise_locale(raw: str) -> str:
    """``ZH-cn`` -> ``zh-CN``: language lower-case, region upper-case, script title-case."""
    value = raw.strip().replace("_", "-")
    if not _LOCALE.match(value):
        raise ma.ValidationError(text("locale"))
    head, *rest = value.split("-")
    parts = [head.lower()]
    for part in rest:
        parts.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(parts)


class _Normalised(fields.String):
    """A string field that stores its value in ccokit's one spelling."""

    normalise = staticmethod(normalise_identifier)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return self.normalise(super()._deserialize(value, attr, data, **kwargs))


class EmailField(_Normalised):
    normalise = staticmethod(normalise_email)


class PhoneField(_Normalised):
    normalise = staticmethod(normalise_phone)


class ChannelField(_Normalised):
    normalise = staticmethod(normalise_channel)


class KeyField(_Normalised):
    normalise = staticmethod(normalise_key)


class IdentifierField(_Normalised):
    normalise = staticmethod(normalise_identifier)


class TagField(_Normalised):
    normalise = staticmethod(normalise_tag)


class LocaleField(_Normalised):
    normalise = staticmethod(normalise_locale)
