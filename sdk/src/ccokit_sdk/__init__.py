"""ccokit_sdk: the API client for merchants' code and the plugin contract for plugin developers.

The client: :class:`Client` / :class:`AsyncClient` (see :mod:`ccokit_sdk.client`), its errors in
:mod:`ccokit_sdk.errors` (the common ones re-exported here), its result types in
:mod:`ccokit_sdk.types`, and webhook verification in :mod:`ccokit_sdk.webhooks`.

Importing this package has no side effects; the plugin kit lives in :mod:`ccokit_sdk.plugin`
and needs the ``plugin`` extra (Flask, flask-smorest, SQLAlchemy, pluggy).
"""

from __future__ import annotations

from ccokit_sdk.client import AsyncClient, Client
from ccokit_sdk.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequest,
    CcokitError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    ServerError,
    ValidationError,
    WebhookVerificationError,
)
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id
from ccokit_sdk.retries import RetryPolicy

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequest",
    "CcokitError",
    "Client",
    "Conflict",
    "InvalidPublicId",
    "NotFound",
    "PermissionDenied",
    "PreconditionFailed",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "decode_public_id",
    "encode_public_id",
    "new_id",
]
__version__ = "0.1.0"
