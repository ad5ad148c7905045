"""Identifiers: time-ordered UUIDv7 inside, opaque prefixed public ids outside.

Rows are keyed by UUIDv7 so that new rows land at the right edge of every B-tree index and
ids sort by creation time. Users and API callers never see a bare UUID or an integer: they see
``tkt_01JD3...``, a type prefix and the 128 bits in Crockford base32 (26 characters), which
sorts in the same order as the UUID and tells at a glance what kind of object it names.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

import uuid6

__all__ = ["InvalidPublicId", "decode_public_id", "encode_public_id", "new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,9}$")
# Two digits (10 bits) at a time: 130 bits are 13 pairs, the first pair's top 2 bits zero. Ids
# are encoded for every object of every answer and event; a loop per digit cost twice as much.
_PAIRS = tuple(_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024))
_SHIFTS = tuple(range(120, -1, -10))
# Decoding: the digits checked, then renamed to ``int``'s base-32 digits (0-9, A-V).
_BODY = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_TO_INT_DIGITS = str.maketrans(_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTUV")


class InvalidPublicId(ValueError):
    """A string is not a well-formed public id of the expected kind."""


def new_id() -> uuid.UUID:
    """Return a new UUIDv7 (time-ordered), as a standard :class:`uuid.UUID`."""
    return uuid.UUID(int=uuid6.uuid7().int)


def encode_public_id(prefix: str, value: uuid.UUID) -> str:
    """Render ``value`` as ``<prefix>_<26 Crockford base32 characters>``."""
    n = value.int
    return _checked_prefix(prefix) + "".join([_PAIRS[(n >> shift) & 1023] for shift in _SHIFTS])


@lru_cache(maxsize=256)
def _checked_prefix(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad public id prefix {prefix!r}")
    return f"{prefix}_"


def decode_public_id(prefix: str, text: str) -> uuid.UUID:
    """Parse a public id of kind ``prefix``; raise :class:`InvalidPublicId` on any other input."""
    if not isinstance(text, str):
        raise InvalidPublicId("not a string")
    head, sep, body = text.partition("_")
    if sep != "_" or head != prefix or len(body) != 26:
        raise InvalidPublicId(f"expected an id like {prefix}_…")
    body = body.upper()
    if not _BODY.fullmatch(body):
        raise InvalidPublicId(f"expected an id like {prefix}_…")
    n = int(body.translate(_TO_INT_DIGITS), 32)
    if n >> 128:
        raise InvalidPublicId(f"expected an id like {prefix}_…")
    return uuid.UUID(int=n)
