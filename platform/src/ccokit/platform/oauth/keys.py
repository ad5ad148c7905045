"""The key ring that signs access tokens, shared by every web pod through the database.

The first key is generated on first use. Pods race for it through the unique ``generation``
column: one insert wins, the others roll back and read the winner's key. :meth:`SigningKeys.rotate`
makes a new current key and retires the old one, which keeps verifying tokens until every token
it signed has expired (``retired_at + access_token_ttl``).

Each process keeps the decrypted signing key and the public keys in memory for
:data:`CACHE_SECONDS`, so verifying a token does not read the database for keys. A token signed
by a key this process has not seen yet (another pod rotated) triggers one early refresh.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ccokit.platform.oauth.models import OAuthSigningKey
from ccokit.tenants.database import Database
from ccokit_sdk.models import utcnow

__all__ = ["ALGORITHM", "CACHE_SECONDS", "SigningKeys"]

log = logging.getLogger(__name__)

#: RFC 9068 asks every resource server to support RS256; it is the one algorithm we issue.
ALGORITHM = "RS256"
#: How long a process trusts its in-memory copy of the key ring.
CACHE_SECONDS = 60.0
#: At most one early refresh (for an unknown ``kid``) per this many seconds, so garbage tokens
#: with made-up key ids cannot make every request read the database.
MIN_REFRESH_INTERVAL = 5.0
_RSA_BITS = 2048


@dataclass(frozen=True)
class _Ring:
    signing_key: RSAKey
    verification: KeySet
    public_jwks: list[dict[str, Any]]
    loaded_at: float


class SigningKeys:
    """The signing key ring of one app, cached in this process."""

    def __init__(
        self,
        db: Database,
        secret_key: str,
        access_token_ttl: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._password = _derive_password(secret_key)
        self._grace = timedelta(seconds=access_token_ttl + 60)
        self._clock = clock
        self._lock = threading.Lock()
        self._ring: _Ring | None = None

    # -- what the token code uses ----------------------------------------------------------
    def signing_key(self) -> RSAKey:
        """The current private key (with its ``kid``), generating the first one if none exists."""
        return self._current().signing_key

    def verification_keys(self) -> KeySet:
        """Public keys of the current and the not-yet-expired retired keys."""
        return self._current().verification

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document published at ``/oauth/jwks``."""
        return {"keys": self._current().public_jwks}

    def refresh_for_unknown_kid(self) -> bool:
        """Reload the ring early because a token names a key we do not know; False if too soon."""
        with self._lock:
            ring = self._ring
            if ring is not None and self._clock() - ring.loaded_at < MIN_REFRESH_INTERVAL:
                return False
            self._ring = self._load()
            return True

    def rotate(self) -> str:
        """Make a new current key and retire the others; returns the new ``kid``."""
        key = _generate()
        with self._db.transaction() as session:
            generation = (session.scalar(select(func.max(OAuthSigningKey.generation))) or 0) + 1
            session.execute(
                update(OAuthSigningKey)
                .where(OAuthSigningKey.retired_at.is_(None))
                .values(retired_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.add(self._row(key, generation))
        with self._lock:
            self._ring = None
        log.info("oauth signing key rotated", extra={"kid": key.kid})
        return str(key.kid)

    # -- loading ---------------------------------------------------------------------------
    def _current(self) -> _Ring:
        ring = self._ring
        if ring is not None and self._clock() - ring.loaded_at < CACHE_SECONDS:
            return ring
        with self._lock:
            ring = self._ring
            if ring is None or self._clock() - ring.loaded_at >= CACHE_SECONDS:
                ring = self._ring = self._load()
            return ring

    def _load(self) -> _Ring:
        rows = self._read_rows()
        current = next((r for r in rows if r.retired_at is None), None)
        signing = self._decrypt(current) if current is not None else None
        if signing is None:
            self._create_key(rows)
            rows = self._read_rows()
            current = next(r for r in rows if r.retired_at is None)
            signing = self._decrypt(current)
            if signing is None:
                raise RuntimeError("the current OAuth signing key cannot be decrypted with CCOKIT_SECRET_KEY")
        cutoff = utcnow() - self._grace
        jwks = [dict(r.public_jwk) for r in rows if r.retired_at is None or r.retired_at > cutoff]
        verification = KeySet([RSAKey.import_key(jwk) for jwk in jwks])
        return _Ring(signing, verification, jwks, self._clock())

    def _read_rows(self) -> list[OAuthSigningKey]:
        """Every key, newest first, read in one statement (one consistent snapshot).

        The table holds a handful of rows (one per rotation), so reading them all is cheap, and
        the newest generation seen here is what a pod that finds no usable key builds upon.
        """
        with self._db.transaction() as session:
            rows = session.scalars(select(OAuthSigningKey).order_by(OAuthSigningKey.generation.desc())).all()
        return list(rows)

    def _create_key(self, rows: list[OAuthSigningKey]) -> None:
        """Insert a key as the generation after ``rows``; losing the race to another pod is fine.

        Every pod that saw the same snapshot tries the same generation number, so the unique
        constraint lets exactly one of them succeed.
        """
        key = _generate()
        generation = max((r.generation for r in rows), default=0) + 1
        try:
            with self._db.transaction() as session:
                if any(r.retired_at is None for r in rows):
                    # The current key exists but cannot be decrypted (the secret key changed):
                    # retire it; it still verifies the tokens it signed until they expire.
                    log.error("oauth signing key unreadable with CCOKIT_SECRET_KEY; replacing it")
                    session.execute(
                        update(OAuthSigningKey)
                        .where(OAuthSigningKey.retired_at.is_(None))
                        .values(retired_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                session.add(self._row(key, generation))
        except IntegrityError:
            log.info("another process created the oauth signing key first; using theirs")

    def _row(self, key: RSAKey, generation: int) -> OAuthSigningKey:
        pem = key.private_key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._password),
        )
        return OAuthSigningKey(
            kid=key.kid,
            generation=generation,
            algorithm=ALGORITHM,
            private_key=pem.decode("ascii"),
            public_jwk=key.as_dict(private=False),
        )

    def _decrypt(self, row: OAuthSigningKey) -> RSAKey | None:
        try:
            pem = row.private_key.encode("ascii")
            private = serialization.load_pem_private_key(pem, password=self._password)
        except (ValueError, TypeError):
            return None
        return RSAKey.import_key(private, parameters={"kid": row.kid, "alg": ALGORITHM, "use": "sig"})  # type: ignore[arg-type]


def _generate() -> RSAKey:
    return RSAKey.generate_key(
        _RSA_BITS, parameters={"alg": ALGORITHM, "use": "sig"}, private=True, auto_kid=True
    )


def _derive_password(secret_key: str) -> bytes:
    """A key-encryption password derived from the app secret, distinct from its other uses."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ccokit oauth signing keys").derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)
