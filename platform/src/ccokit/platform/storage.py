"""Blob storage: a directory on local disk (embedded default) or an S3 bucket through boto3.

Keys are always under ``tenants/<tenant id>/`` so that a tenant's blobs can be listed, metered
and deleted as one prefix, and no key built from user input can reach another tenant's.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

__all__ = ["LocalStorage", "S3Storage", "Storage", "open_storage", "tenant_prefix"]


def tenant_prefix(tenant_id: uuid.UUID) -> str:
    return f"tenants/{tenant_id}/"


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def ping(self) -> None: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    bad_part = any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", "..")
    if not key or key.startswith("/") or bad_part:
        raise ValueError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """Blobs as files under one root directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / _check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"bad storage key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete_prefix(self, prefix: str) -> int:
        target = self._path(prefix.rstrip("/") + "/x").parent
        if not target.exists():
            return 0
        count = sum(1 for p in target.rglob("*") if p.is_file())
        shutil.rmtree(target)
        return count

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


class S3Storage:
    """Blobs in one S3 bucket (any S3-compatible service), through boto3."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=_check_key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"].read()

    def delete_prefix(self, prefix: str) -> int:
        removed = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=_check_key(prefix.rstrip("/") + "/x")[:-1]):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
        return removed

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def open_storage(url: str) -> Storage:
    """``file://var/blobs`` (relative or absolute path) or ``s3://bucket?endpoint_url=…&region=…``."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage((parts.netloc + parts.path) or ".")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return S3Storage(parts.netloc, endpoint_url=query.get("endpoint_url"), region=query.get("region"))
