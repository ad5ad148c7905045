"""Password hashing for member sign-in: argon2id with OWASP's minimum parameters.

19 MiB, two passes: about 20 ms a hash on one core, slow enough to make offline guessing
expensive and fast enough for a sign-up to stay well under its latency budget.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "needs_rehash", "verify_password"]

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verifying against this when no member matches keeps the timing of "no such email" and
# "wrong password" alike.
_DUMMY = _hasher.hash("ccokit-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
