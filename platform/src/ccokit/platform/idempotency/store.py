"""Claiming, saving, replaying and forgetting idempotency keys in the database.

A key is claimed with an INSERT in its own short transaction *before* the view runs, so the
database's primary key decides which of two racing requests (in any process) runs the view; the
other learns that the key is in use. The answer is saved after the view in another short
transaction, and only by the request whose ``claim`` token holds the key.

A claim whose request never finished (its process died) is taken over after :data:`CLAIM_LEASE`;
a key is forgotten :data:`KEY_TTL` after its first use (:func:`purge_expired_keys` removes it).
Saved bodies are encrypted with a key derived from ``CCOKIT_SECRET_KEY``, bound to the tenant,
caller and key, because they can hold a secret shown only once (a new client's secret).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import and_, delete, text, update
from sqlalchemy.exc import IntegrityError

from ccokit.platform.idempotency.models import IdempotencyKey
from ccokit.tenants.database import Database
from ccokit_sdk.models import utcnow

__all__ = [
    "CLAIM_LEASE",
    "KEY_TTL",
    "Claimed",
    "InFlight",
    "KeyScope",
    "Mismatch",
    "Replay",
    "claim_key",
    "fingerprint",
    "purge_expired_keys",
    "release_key",
    "save_response",
]

#: How long a key and its answer are kept (the IETF draft and Stripe both use 24 hours).
KEY_TTL = timedelta(hours=24)
#: After this long without an answer, a claim is taken to belong to a request that died.
CLAIM_LEASE = timedelta(seconds=60)
_NONCE = 12


@dataclass(frozen=True)
class KeyScope:
    """Whose key: keys of different tenants or different callers never meet."""

    tenant_id: uuid.UUID
    principal: str
    key: str

    def aad(self) -> bytes:
        return f"{self.tenant_id}\n{self.principal}\n{self.key}".encode()


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: run the view, then save or release with ``claim``."""

    claim: uuid.UUID


@dataclass(frozen=True)
class Replay:
    """The first request's saved answer."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request (method, path or body)."""


@dataclass(frozen=True)
class InFlight:
    """The first request with this key is still running (or its answer cannot be read)."""

    unreadable: bool = False


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, the path with its query and the body (canonical JSON if JSON)."""
    try:
        parsed = json.loads(body) if body else None
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _cipher(secret_key: str) -> AESGCM:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ccokit idempotent responses").derive(
        secret_key.encode("utf-8")
    )
    return AESGCM(raw)


def _seal(secret_key: str, scope: KeyScope, body: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + _cipher(secret_key).encrypt(nonce, body, scope.aad())


def _open(secret_key: str, scope: KeyScope, sealed: bytes) -> bytes:
    return _cipher(secret_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], scope.aad())


def _where(scope: KeyScope) -> Any:
    return and_(IdempotencyKey.principal == scope.principal, IdempotencyKey.key == scope.key)


def claim_key(db: Database, secret_key: str, scope: KeyScope, request_fingerprint: str) -> Any:
    """Claim ``scope`` for a request, or say why not; returns one of the result classes above."""
    for _ in range(3):
        now = utcnow()
        claim = uuid.uuid4()
        try:
            with db.transaction(scope.tenant_id) as session:
                session.add(IdempotencyKey(
                    principal=scope.principal, key=scope.key, fingerprint=request_fingerprint, claim=claim,
                    locked_at=now, expires_at=now + KEY_TTL,
                ))
            return Claimed(claim)
        except IntegrityError:
            pass  # the key exists: look at it
        with db.transaction(scope.tenant_id) as session:
            row = session.get(IdempotencyKey, (scope.tenant_id, scope.principal, scope.key))
            if row is None:
                continue  # released or purged in between: try the INSERT again
            forgotten = row.expires_at <= now
            abandoned = row.response_status is None and row.locked_at <= now - CLAIM_LEASE
            if forgotten or abandoned:
                taken = session.execute(
                    update(IdempotencyKey)
                    .where(_where(scope), IdempotencyKey.claim == row.claim)
                    .values(
                        fingerprint=request_fingerprint, claim=claim, locked_at=now, expires_at=now + KEY_TTL,
                        response_status=None, response_headers=None, response_body=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    return Claimed(claim)
                continue  # another request took it over first
            if row.fingerprint != request_fingerprint:
                return Mismatch()
            if row.response_status is None or row.response_body is None:
                return InFlight()
            try:
                body = _open(secret_key, scope, row.response_body)
            except InvalidTag:
                return InFlight(unreadable=True)  # saved under another CCOKIT_SECRET_KEY
            return Replay(row.response_status, dict(row.response_headers or {}), body)
    return InFlight()


def save_response(
    db: Database, secret_key: str, scope: KeyScope, claim: uuid.UUID,
    status: int, headers: dict[str, str], body: bytes,
) -> bool:
    """Save the answer of the request that holds ``claim``; ``False`` if it lost the key."""
    with db.transaction(scope.tenant_id) as session:
        result = session.execute(
            update(IdempotencyKey)
            .where(_where(scope), IdempotencyKey.claim == claim)
            .values(
                response_status=status, response_headers=headers, response_body=_seal(secret_key, scope, body)
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def release_key(db: Database, scope: KeyScope, claim: uuid.UUID) -> None:
    """Forget an unanswered claim so that the client may retry (the request failed or was refused)."""
    with db.transaction(scope.tenant_id) as session:
        session.execute(
            delete(IdempotencyKey)
            .where(_where(scope), IdempotencyKey.claim == claim, IdempotencyKey.response_status.is_(None))
            .execution_options(synchronize_session=False)
        )


def purge_expired_keys(db: Database, batch: int = 10_000) -> int:
    """Remove up to ``batch`` expired keys of every tenant; returns how many. Run it periodically.

    On PostgreSQL the application role sees one tenant at a time, so this calls the
    ``ccokit_purge_idempotency_keys`` function (``SECURITY DEFINER``) shipped by the migration.
    """
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            purged = conn.execute(text("SELECT ccokit_purge_idempotency_keys(:b)"), {"b": batch})
            return int(purged.scalar_one())
        table = IdempotencyKey.__table__
        return int(conn.execute(table.delete().where(table.c.expires_at < utcnow())).rowcount)
