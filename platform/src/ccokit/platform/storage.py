"""Blob storage: a directory on local disk (embedded default) or an S3 bucket through boto3.

Keys are always under ``tenants/<tenant id>/`` so that a tenant's blobs can be listed, metered
and deleted as one prefix, and no key built from user input can reach another tenant's.

Both backends also sign short-lived links so that large files go straight between the caller
and the storage: S3 signs its own (a presigned POST whose policy limits size and type, and a
presigned GET), while local disk gets links signed by the platform (:mod:`.blob_links`) and
served by :mod:`ccokit.platform.api.blobs`. Plugins see all of this through
:class:`ccokit.platform.blobs.PluginBlobs`, never directly.
"""

from __future__ import annotations

import json
import shutil
import time
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from ccokit.platform.blob_links import BlobLinks, DownloadGrant, UploadGrant
from ccokit_sdk.blobs import BlobInfo, PresignedUpload

__all__ = [
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StreamTooLarge",
    "content_disposition",
    "open_storage",
    "tenant_prefix",
]

_CHUNK = 64 * 1024


def tenant_prefix(tenant_id: uuid.UUID) -> str:
    return f"tenants/{tenant_id}/"


class StreamTooLarge(ValueError):
    """A streamed body passed the number of bytes it was allowed (nothing was stored)."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get(self, key: str) -> bytes:
        """The blob's bytes; raises ``FileNotFoundError`` when there is none."""
    def stat(self, key: str) -> BlobInfo | None: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def usage(self, prefix: str) -> int:
        """Bytes stored under ``prefix``."""
    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload: ...
    def presign_download(
        self, key: str, *, filename: str, content_type: str | None, expires_in: int
    ) -> str: ...
    def ping(self) -> None: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    bad_part = any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", "..")
    if not key or key.startswith("/") or bad_part:
        raise ValueError(f"bad storage key {key!r}")
    return key


def _expiry(expires_in: int) -> tuple[int, datetime]:
    expires_at = int(time.time()) + expires_in
    return expires_at, datetime.fromtimestamp(expires_at, UTC)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 6266's ``filename*``."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c for c in fallback if c.isprintable() and c not in '"\\') or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class LocalStorage:
    """Blobs as files under one root directory.

    A blob's content type is kept next to it in a hidden ``.<name>.meta.json``; hidden files are
    not blobs (they are not counted, listed or measured). Signed links need ``links``; the app
    factory gives them.
    """

    def __init__(self, root: str | Path, *, links: BlobLinks | None = None) -> None:
        self.root = Path(root).resolve()
        self.links = links

    def _path(self, key: str) -> Path:
        path = (self.root / _check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"bad storage key {key!r}")
        return path

    @staticmethod
    def _meta(path: Path) -> Path:
        return path.with_name(f".{path.name}.meta.json")

    def path_of(self, key: str) -> Path | None:
        """The file holding ``key``, or ``None`` (for serving it without reading it whole)."""
        path = self._path(key)
        return path if path.is_file() else None

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        self._meta(path).write_text(json.dumps({"content_type": content_type}))
        tmp.replace(path)

    def put_stream(self, key: str, stream: IO[bytes], content_type: str, *, limit: int) -> int:
        """Copy ``stream`` to ``key`` a chunk at a time; raises :class:`StreamTooLarge` past
        ``limit`` bytes, leaving nothing behind. Returns the number of bytes stored."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise StreamTooLarge(f"more than {limit} bytes")
                    out.write(chunk)
            self._meta(path).write_text(json.dumps({"content_type": content_type}))
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        try:
            content_type = json.loads(self._meta(path).read_text()).get("content_type")
        except (OSError, ValueError):
            content_type = None
        return BlobInfo(size=size, content_type=content_type)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._meta(path).unlink(missing_ok=True)

    def _blobs_under(self, prefix: str) -> Iterator[Path]:
        target = self._path(prefix.rstrip("/") + "/x").parent
        if target.exists():
            yield from (p for p in target.rglob("*") if p.is_file() and not p.name.startswith("."))

    def delete_prefix(self, prefix: str) -> int:
        target = self._path(prefix.rstrip("/") + "/x").parent
        if not target.exists():
            return 0
        count = sum(1 for _ in self._blobs_under(prefix))
        shutil.rmtree(target)
        return count

    def usage(self, prefix: str) -> int:
        return sum(p.stat().st_size for p in self._blobs_under(prefix))

    def _links(self) -> BlobLinks:
        if self.links is None:
            raise RuntimeError("this LocalStorage was opened without signed links (open_storage(links=...))")
        return self.links

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        self._path(key)
        expires_at, when = _expiry(expires_in)
        url = self._links().upload_url(UploadGrant(key, content_type, max_bytes, expires_at))
        return PresignedUpload(url=url, method="POST", fields={"Content-Type": content_type}, expires_at=when)

    def presign_download(self, key: str, *, filename: str, content_type: str | None, expires_in: int) -> str:
        self._path(key)
        expires_at, _ = _expiry(expires_in)
        return self._links().download_url(DownloadGrant(key, filename, content_type, expires_at))

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


class S3Storage:
    """Blobs in one S3 bucket (any S3-compatible service), through boto3.

    ``public_endpoint_url`` is the address browsers use to reach the service when it differs from
    the one the platform uses (a MinIO inside the cluster at ``http://minio:9000``, published as
    ``https://files.example.com``); signed links are made for it.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        public_endpoint_url: str | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        # Signature version 4 everywhere: boto3 would otherwise sign presigned POSTs the
        # deprecated version 2 way in some regions, which newer regions and services refuse.
        config = Config(signature_version="s3v4")
        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        self.signer = (
            boto3.client("s3", endpoint_url=public_endpoint_url, region_name=region, config=config)
            if public_endpoint_url
            else self.client
        )

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=_check_key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None

    def stat(self, key: str) -> BlobInfo | None:
        from botocore.exceptions import ClientError

        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobInfo(size=int(head["ContentLength"]), content_type=head.get("ContentType"))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def _pages(self, prefix: str) -> Iterator[list[dict[str, Any]]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=_check_key(prefix.rstrip("/") + "/x")[:-1]):
            yield page.get("Contents", [])

    def delete_prefix(self, prefix: str) -> int:
        removed = 0
        for objects in self._pages(prefix):
            keys = [{"Key": obj["Key"]} for obj in objects]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
        return removed

    def usage(self, prefix: str) -> int:
        return sum(int(obj["Size"]) for objects in self._pages(prefix) for obj in objects)

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload:
        """A presigned POST: S3 itself refuses a file over ``max_bytes`` or of another type."""
        _, when = _expiry(expires_in)
        post = self.signer.generate_presigned_post(
            Bucket=self.bucket,
            Key=_check_key(key),
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 0, max_bytes]],
            ExpiresIn=expires_in,
        )
        return PresignedUpload(url=post["url"], method="POST", fields=dict(post["fields"]), expires_at=when)

    def presign_download(self, key: str, *, filename: str, content_type: str | None, expires_in: int) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": _check_key(key),
            "ResponseContentDisposition": content_disposition(filename),
        }
        if content_type:
            params["ResponseContentType"] = content_type
        return str(self.signer.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def open_storage(url: str, *, links: BlobLinks | None = None) -> Storage:
    """``file://var/blobs`` (relative or absolute path) or
    ``s3://bucket?endpoint_url=…&region=…&public_endpoint_url=…``.

    ``links`` signs the links of local storage (the app passes its secret key and base URL).
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage((parts.netloc + parts.path) or ".", links=links)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return S3Storage(
        parts.netloc,
        endpoint_url=query.get("endpoint_url"),
        region=query.get("region"),
        public_endpoint_url=query.get("public_endpoint_url"),
    )
