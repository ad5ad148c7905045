"""Identifiers: time-ordered UUIDv7 inside, opaque prefixed public ids outside.

Rows are keyed by UUIDv7 so that new rows land at the right edge of every B-tree index and
ids sort by creation time. Users and API callers never see a bare UUID or an integer: they see
``tkt_01JD3...``, a type prefix and the 128 bits in Crockford base32 (26 characters), which
sorts in the same order as the UUID and tells at a glance what kind of object it names.
"""

from __future__ import annotations

import re
import uuid

import uuid6

__all__ = ["InvalidPublicId", "decode_public_id", "encode_public_id", "new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,9}$")


class InvalidPublicId(ValueError):
    """A string is not a well-formed public id of the expected kind."""


def new_id() -> uuid.UUID:
    """Return a new UUIDv7 (time-ordered), as a standard :class:`uuid.UUID`."""
    return uuid.UUID(int=uuid6.uuid7().int)


def encode_public_id(prefix: str, value: uuid.UUID) -> str:
    """Render ``value`` as ``<prefix>_<26 Crockford base32 characters>``."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad public id prefix {prefix!r}")
    n = value.int
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[n & 31])
        n >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def decode_public_id(prefix: str, text: str) -> uuid.UUID:
    """Parse a public id of kind ``prefix``; raise :class:`InvalidPublicId` on any other input."""
    if not isinstance(text, str):
        raise InvalidPublicId("not a string")
    head, sep, body = text.partition("_")
    if sep != "_" or head != prefix or len(body) != 26:
        raise InvalidPublicId(f"expected an id like {prefix}_…")
    n = 0
    for ch in body.upper():
        digit = _DECODE.get(ch)
        if digit is None:
            raise InvalidPublicId(f"expected an id like {prefix}_…")
        n = (n << 5) | digit
    if n >> 128:
        raise InvalidPublicId(f"expected an id like {prefix}_…")
    return uuid.UUID(int=n)
