"""Blobs: files a plugin keeps for its tenant (attachments, exports, recordings).

A plugin reaches its tenant's blob storage through ``current().blobs`` in a view (and
``ctx.blobs`` in an event handler or a job). Keys are relative to the plugin's own folder of the
tenant: ``current().blobs.put("exports/2024-06.csv", data)`` writes
``tenants/<tenant id>/plugins/<plugin name>/exports/2024-06.csv``. A key cannot climb out of that
folder (``..``, absolute keys and hidden names are refused with :class:`InvalidBlobKey`), so a
plugin never reaches another tenant's blobs, nor another plugin's.

Large files never pass through the plugin's process. The plugin asks for a short-lived signed
upload (:meth:`Blobs.presign_upload`), hands it to the browser or the caller, and the caller sends
the file straight to the storage, which itself refuses a file that is too big or of another type:
an S3 bucket through a presigned POST policy, or, with blobs on local disk, the platform's own
signed route. Afterwards the plugin checks what arrived with :meth:`Blobs.stat`, and hands out a
short-lived download link with :meth:`Blobs.presign_download`.

The same client code uploads to either storage, with the fields given, the file last::

    upload = current().blobs.presign_upload("att/1/report.pdf", content_type="application/pdf",
                                             max_bytes=2_000_000)
    # the caller:
    httpx.post(upload.url, data=upload.fields, files={"file": ("report.pdf", data, "application/pdf")})

Limits come from the tenant's plan: one file may have at most :attr:`Blobs.max_upload_bytes`
bytes, and all of the tenant's blobs together at most :attr:`Blobs.storage_bytes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "MAX_EXPIRES_IN",
    "BlobError",
    "BlobInfo",
    "BlobNotFound",
    "BlobQuotaExceeded",
    "BlobTooLarge",
    "Blobs",
    "InvalidBlobKey",
    "PresignedUpload",
]

#: Seconds a signed link lives unless the caller says otherwise.
DEFAULT_EXPIRES_IN = 300
#: The longest a signed link may live (S3's own limit for signature version 4: seven days).
MAX_EXPIRES_IN = 7 * 24 * 3600


class BlobError(Exception):
    """Base of the errors :class:`Blobs` raises."""


class InvalidBlobKey(BlobError, ValueError):
    """The key is empty, absolute, climbs with ``..``, names a hidden file or is too long."""


class BlobNotFound(BlobError, LookupError):
    """No blob under this key."""


class BlobTooLarge(BlobError):
    """More bytes than one file of the tenant's plan may have (``limit``, in bytes)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is more than the plan allows for one file ({limit} bytes)")
        self.size = size
        self.limit = limit


class BlobQuotaExceeded(BlobError):
    """The tenant's blobs would take more than its plan's storage (``used`` + ``size`` > ``limit``)."""

    def __init__(self, used: int, size: int, limit: int) -> None:
        super().__init__(f"{used} bytes stored and {size} more would pass the plan's {limit} bytes")
        self.used = used
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class PresignedUpload:
    """A signed, short-lived permission to upload one file under one key.

    Send ``method`` to ``url`` as ``multipart/form-data`` with every item of ``fields`` first
    and the file last, in a field named ``file``, plus ``headers``. The storage refuses a file
    larger than the limit it was signed for, of another ``Content-Type``, or after ``expires_at``.
    """

    url: str
    method: str
    fields: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class BlobInfo:
    """What the storage holds under a key: its size in bytes and its content type, if known."""

    size: int
    content_type: str | None = None


class Blobs(Protocol):
    """The blob storage of one plugin for one tenant; keys are relative to the plugin's folder."""

    @property
    def max_upload_bytes(self) -> int:
        """The most bytes one file may have on the tenant's plan."""

    @property
    def storage_bytes(self) -> int:
        """The most bytes all of the tenant's blobs together may take on its plan."""

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int = DEFAULT_EXPIRES_IN
    ) -> PresignedUpload:
        """A signed upload of at most ``max_bytes`` bytes of ``content_type`` to ``key``.

        Raises :class:`BlobTooLarge` past :attr:`max_upload_bytes`, :class:`BlobQuotaExceeded`
        when the tenant's storage could not take ``max_bytes`` more, :class:`InvalidBlobKey`.
        """

    def presign_download(
        self,
        key: str,
        *,
        filename: str,
        content_type: str | None = None,
        expires_in: int = DEFAULT_EXPIRES_IN,
    ) -> str:
        """A signed URL that downloads ``key`` as an attachment named ``filename``.

        The URL does not check that the blob exists; fetching a missing one answers 404.
        """

    def stat(self, key: str) -> BlobInfo | None:
        """Size and type of the blob under ``key``, or ``None`` when there is none."""

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        """Store a small blob written by the plugin itself (same limits as an upload)."""

    def get(self, key: str) -> bytes:
        """Read a whole blob; raises :class:`BlobNotFound`. For small blobs only."""

    def delete(self, key: str) -> None:
        """Remove the blob under ``key``; removing a missing blob is not an error."""
