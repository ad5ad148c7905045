"""Signing secrets, kept encrypted, and the Standard Webhooks headers made with them.

A secret is 32 random bytes shown once as ``whsec_<base64>``. ccokit needs the secret itself to
sign (a hash would not do), so it is stored sealed with AES-GCM under a key derived from
``CCOKIT_SECRET_KEY`` and bound to the tenant and endpoint: a copy of the database alone does not
let anyone forge webhooks. Changing ``CCOKIT_SECRET_KEY`` makes the stored secrets unreadable;
deliveries then fail with an error saying so until the secret is rotated.

Each delivery is signed with the current secret, and while a rotation's grace period lasts also
with the previous one: ``webhook-signature`` then holds both, space-separated, and a receiver
that knows either secret accepts it.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ccokit_sdk.webhooks import SECRET_PREFIX, sign

__all__ = ["UnreadableSecret", "new_secret", "open_secret", "seal_secret", "signature_headers"]

_NONCE = 12


class UnreadableSecret(RuntimeError):
    """A stored secret cannot be decrypted (``CCOKIT_SECRET_KEY`` changed since it was made)."""


def new_secret() -> str:
    """A new ``whsec_…`` signing secret (32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@lru_cache(maxsize=8)
def _cipher(secret_key: str) -> AESGCM:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ccokit webhook secrets").derive(
        secret_key.encode("utf-8")
    )
    return AESGCM(raw)


def _aad(tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bytes:
    return tenant_id.bytes + endpoint_id.bytes


def seal_secret(secret_key: str, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, secret: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + _cipher(secret_key).encrypt(nonce, secret.encode(), _aad(tenant_id, endpoint_id))


def open_secret(secret_key: str, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, sealed: bytes) -> str:
    try:
        plain = _cipher(secret_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], _aad(tenant_id, endpoint_id))
    except (InvalidTag, ValueError):
        raise UnreadableSecret("the endpoint's signing secret cannot be decrypted; rotate it") from None
    return plain.decode()


def signature_headers(
    body: bytes, msg_id: str, timestamp: int, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,`` per secret)."""
    signatures = [
        sign(body, s, msg_id=msg_id, timestamp=timestamp)["webhook-signature"] for s in signing_secrets
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
