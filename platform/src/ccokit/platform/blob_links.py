"""Signed blob links for storage on local disk: the platform's own presigned URLs.

An S3 bucket signs its own upload and download URLs. Blobs on local disk (the embedded default)
have nobody to do that, so the platform does it: a link's token is signed with the app's secret
key (itsdangerous, as Flask signs its sessions) and carries the full storage key, the moment the
link expires and, for uploads, the content type and the most bytes it accepts. Whoever holds the
token may do exactly that one thing until it expires, like with a presigned S3 URL; changing a
single character of it makes it worthless. Uploads and downloads are signed with different salts,
so a download link cannot be turned into an upload link.

:mod:`ccokit.platform.api.blobs` serves the links; :class:`ccokit.platform.storage.LocalStorage`
makes them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["BlobLinks", "DownloadGrant", "LinkExpired", "LinkInvalid", "UploadGrant"]

#: Where the routes of :mod:`ccokit.platform.api.blobs` live, below the base URL.
UPLOAD_PATH = "/api/v1/blobs/upload/"
DOWNLOAD_PATH = "/api/v1/blobs/"


class LinkInvalid(Exception):
    """The token was not signed by this installation for this purpose (or was altered)."""


class LinkExpired(Exception):
    """The token is genuine but its time is up."""


@dataclass(frozen=True)
class UploadGrant:
    """Permission to store at most ``max_bytes`` bytes of ``content_type`` under ``key``."""

    key: str
    content_type: str
    max_bytes: int
    expires_at: int  # Unix seconds


@dataclass(frozen=True)
class DownloadGrant:
    """Permission to read ``key``, served as an attachment named ``filename``."""

    key: str
    filename: str
    content_type: str | None
    expires_at: int  # Unix seconds


class BlobLinks:
    """Makes and checks the signed tokens of one installation (its secret key and base URL)."""

    def __init__(self, secret_key: str, base_url: str) -> None:
        if not secret_key:
            raise ValueError("signed blob links need the app's secret key")
        self.base_url = base_url.rstrip("/")
        sha256 = {"digest_method": hashlib.sha256}
        self._uploads = URLSafeSerializer(secret_key, salt="ccokit.blobs.upload", signer_kwargs=sha256)
        self._downloads = URLSafeSerializer(secret_key, salt="ccokit.blobs.download", signer_kwargs=sha256)

    def upload_url(self, grant: UploadGrant) -> str:
        payload = [grant.key, grant.content_type, grant.max_bytes, grant.expires_at]
        return f"{self.base_url}{UPLOAD_PATH}{self._uploads.dumps(payload)}"

    def download_url(self, grant: DownloadGrant) -> str:
        payload = [grant.key, grant.filename, grant.content_type, grant.expires_at]
        return f"{self.base_url}{DOWNLOAD_PATH}{self._downloads.dumps(payload)}"

    def read_upload(self, token: str, *, now: float | None = None) -> UploadGrant:
        """The grant of an upload token; raises :class:`LinkInvalid` or :class:`LinkExpired`."""
        key, content_type, max_bytes, expires_at = _load(self._uploads, token, (str, str, int, int))
        _check_expiry(expires_at, now)
        return UploadGrant(key, content_type, max_bytes, expires_at)

    def read_download(self, token: str, *, now: float | None = None) -> DownloadGrant:
        """The grant of a download token; raises :class:`LinkInvalid` or :class:`LinkExpired`."""
        key, filename, content_type, expires_at = _load(
            self._downloads, token, (str, str, (str, type(None)), int)
        )
        _check_expiry(expires_at, now)
        return DownloadGrant(key, filename, content_type, expires_at)


def _load(serializer: URLSafeSerializer, token: str, shape: tuple[Any, ...]) -> list[Any]:
    try:
        payload = serializer.loads(token)
    except BadSignature:
        raise LinkInvalid from None
    # A genuine token always has this shape; checking it keeps a future format change honest.
    if not isinstance(payload, list) or len(payload) != len(shape):
        raise LinkInvalid
    if not all(isinstance(v, t) and not isinstance(v, bool) for v, t in zip(payload, shape, strict=True)):
        raise LinkInvalid
    return payload


def _check_expiry(expires_at: int, now: float | None) -> None:
    if (time.time() if now is None else now) >= expires_at:
        raise LinkExpired
