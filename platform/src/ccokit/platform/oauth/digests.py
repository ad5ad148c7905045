"""Random credentials and the digests they are stored as.

Client secrets, authorization codes and refresh tokens are 256-bit random values, so a plain
SHA-256 digest is enough to store them (a slow password hash protects low-entropy input, which
these are not) and lets the database find a code or token by its digest. Comparisons that decide
access use :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["digest", "digest_matches", "new_credential"]


def new_credential() -> str:
    """A fresh URL-safe random credential (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The hex SHA-256 digest under which ``value`` is stored."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def digest_matches(value: str, stored: str | None) -> bool:
    """Whether ``value`` is the credential whose digest is ``stored``, in constant time."""
    if not stored or not isinstance(value, str):
        return False
    return hmac.compare_digest(digest(value), stored)
