"""A plugin's blob storage for one tenant: the platform's side of :mod:`ccokit_sdk.blobs`.

:class:`PluginBlobs` is what ``current().blobs`` (and ``ctx.blobs`` in handlers and jobs)
returns. It puts every key a plugin passes under ``tenants/<tenant id>/plugins/<plugin name>/``
after refusing keys that could climb out of it, and holds uploads to the tenant's plan: one file
at most ``max_upload_bytes``, all the tenant's blobs together at most ``storage_bytes``. The
storage itself (:mod:`.storage`) signs the links and, for uploads, enforces the signed limits.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy.orm import Session

from ccokit.platform.storage import Storage, tenant_prefix
from ccokit.tenants.plans import Plan, get_plan
from ccokit.tenants.registry import get_tenant
from ccokit_sdk.blobs import (
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    BlobInfo,
    BlobNotFound,
    BlobQuotaExceeded,
    BlobTooLarge,
    InvalidBlobKey,
    PresignedUpload,
)

__all__ = ["MAX_KEY_LENGTH", "PluginBlobs", "has_control_characters", "plugin_prefix"]

MAX_KEY_LENGTH = 512
#: ``type/subtype`` with optional parameters; nothing that could break a header or a policy.
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+-]+)*$", re.ASCII)


#: Unicode categories refused in keys and file names: controls, format characters (such as the
#: right-to-left override that disguises ``exe.pdf``), line and paragraph separators, surrogates.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in _CONTROL_CATEGORIES for c in text)


def plugin_prefix(tenant_id: uuid.UUID, plugin: str) -> str:
    return f"{tenant_prefix(tenant_id)}plugins/{plugin}/"


def _relative_key(key: str) -> str:
    """Refuse what could leave the plugin's folder or hide among the storage's own files."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(f"a blob key has 1 to {MAX_KEY_LENGTH} characters, got {key!r}")
    if key.startswith("/") or "\\" in key or has_control_characters(key):
        raise InvalidBlobKey(f"bad blob key {key!r}")
    if any(part in ("", ".", "..") or part.startswith(".") for part in key.split("/")):
        raise InvalidBlobKey(f"bad blob key {key!r}: empty, dot or hidden parts are not allowed")
    return key


def _content_type(content_type: str) -> str:
    if not isinstance(content_type, str) or not _CONTENT_TYPE.match(content_type):
        raise ValueError(f"bad content type {content_type!r}; expected type/subtype")
    return content_type


def _expires_in(expires_in: int) -> int:
    whole = isinstance(expires_in, int) and not isinstance(expires_in, bool)
    if not whole or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in is whole seconds from 1 to {MAX_EXPIRES_IN}, got {expires_in!r}")
    return expires_in


class PluginBlobs:
    """The :class:`ccokit_sdk.blobs.Blobs` of one plugin for one tenant."""

    def __init__(self, storage: Storage, tenant_id: uuid.UUID, plugin: str, plan: Plan) -> None:
        self.storage = storage
        self.tenant_id = tenant_id
        self.plugin = plugin
        self.plan = plan
        self.prefix = plugin_prefix(tenant_id, plugin)

    @classmethod
    def of_tenant(cls, storage: Storage, session: Session, tenant_id: uuid.UUID, plugin: str) -> PluginBlobs:
        """``plugin``'s blobs for ``tenant_id``, held to the plan the tenant is on now."""
        tenant = get_tenant(session, tenant_id)
        if tenant is None:
            raise LookupError(f"no tenant {tenant_id}")
        return cls(storage, tenant_id, plugin, get_plan(tenant.plan))

    def __repr__(self) -> str:
        return f"PluginBlobs(tenant_id={self.tenant_id}, plugin={self.plugin!r})"

    @property
    def max_upload_bytes(self) -> int:
        return self.plan.max_upload_bytes

    @property
    def storage_bytes(self) -> int:
        return self.plan.storage_bytes

    def key(self, key: str) -> str:
        """The storage key of the plugin's relative ``key``."""
        return self.prefix + _relative_key(key)

    def _admit(self, size: int) -> None:
        """Hold ``size`` more bytes to the plan: one file's limit, then the tenant's storage."""
        if size > self.plan.max_upload_bytes:
            raise BlobTooLarge(size, self.plan.max_upload_bytes)
        used = self.storage.usage(tenant_prefix(self.tenant_id))
        if used + size > self.plan.storage_bytes:
            raise BlobQuotaExceeded(used, size, self.plan.storage_bytes)

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int = DEFAULT_EXPIRES_IN
    ) -> PresignedUpload:
        full = self.key(key)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive whole number, got {max_bytes!r}")
        self._admit(max_bytes)
        return self.storage.presign_upload(
            full,
            content_type=_content_type(content_type),
            max_bytes=max_bytes,
            expires_in=_expires_in(expires_in),
        )

    def presign_download(
        self,
        key: str,
        *,
        filename: str,
        content_type: str | None = None,
        expires_in: int = DEFAULT_EXPIRES_IN,
    ) -> str:
        full = self.key(key)
        if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
            raise ValueError("filename must have 1 to 255 characters")
        if has_control_characters(filename):
            raise ValueError("filename must not hold control characters")
        return self.storage.presign_download(
            full,
            filename=filename,
            content_type=_content_type(content_type) if content_type is not None else None,
            expires_in=_expires_in(expires_in),
        )

    def stat(self, key: str) -> BlobInfo | None:
        return self.storage.stat(self.key(key))

    def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        full = self.key(key)
        self._admit(len(data))
        self.storage.put(full, bytes(data), _content_type(content_type))

    def get(self, key: str) -> bytes:
        try:
            return self.storage.get(self.key(key))
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete(self, key: str) -> None:
        self.storage.delete(self.key(key))
