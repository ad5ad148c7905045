"""Checking that a webhook really comes from ccokit, in the merchant's receiver.

ccokit signs webhooks the Standard Webhooks way (https://www.standardwebhooks.com): each
delivery carries

- ``webhook-id``: the message id, the same on every retry of the message (deduplicate on it);
- ``webhook-timestamp``: seconds since the epoch when it was sent;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, possibly several
  separated by spaces (while a rotated secret and its successor are both valid).

The signing secret is shown when the endpoint is created or its secret rotated, as
``whsec_<base64>``. :func:`verify` recomputes the signature over the *raw* body (before any JSON
parsing), compares it in constant time with each one offered, refuses timestamps further than
``tolerance`` seconds from now (so a captured request cannot be replayed later), and returns the
parsed JSON. :func:`sign` makes the same headers, for testing a receiver.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from ccokit_sdk.errors import WebhookVerificationError

__all__ = ["DEFAULT_TOLERANCE", "SECRET_PREFIX", "WebhookVerificationError", "sign", "verify"]

DEFAULT_TOLERANCE = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every signing secret


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("the signing secret is not whsec_ followed by base64") from exc
    if not key:
        raise WebhookVerificationError("the signing secret is empty")
    return key


def _as_bytes(payload: str | bytes) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _signature(key: bytes, msg_id: str, timestamp: str, payload: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest()


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get(name)
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def verify(
    payload: str | bytes,
    headers: Mapping[str, str],
    secret: str | bytes,
    tolerance: int = DEFAULT_TOLERANCE,
) -> Any:
    """The webhook's parsed JSON body, if its signature and timestamp check out.

    ``payload`` is the raw request body; ``headers`` the request headers (any case);
    ``secret`` the endpoint's ``whsec_…`` signing secret. Raises
    :class:`~ccokit_sdk.errors.WebhookVerificationError` otherwise.
    """
    body = _as_bytes(payload)
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    offered = _header(headers, "webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("the webhook-timestamp header is not a number") from None
    now = time.time()
    if sent_at < now - tolerance:
        raise WebhookVerificationError("the webhook is too old (its timestamp is outside the tolerance)")
    if sent_at > now + tolerance:
        raise WebhookVerificationError("the webhook's timestamp is in the future")
    expected = _signature(_key(secret), msg_id, timestamp, body)
    matched = False
    for candidate in offered.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        matched |= hmac.compare_digest(given, expected)
    if not matched:
        raise WebhookVerificationError("no signature matches the payload and the secret")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookVerificationError("the signed payload is not JSON") from exc


def sign(
    payload: str | bytes, secret: str | bytes, msg_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers ccokit would send with ``payload``: for testing a receiver with :func:`verify`."""
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    digest = _signature(_key(secret), msg_id, sent_at, _as_bytes(payload))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": sent_at,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
