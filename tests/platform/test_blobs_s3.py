"""Blobs for plugins on S3: presigned POST and GET against a real S3-compatible server process.

The server is moto's (``tests/s3_server.py``), reached over HTTP with httpx the way a browser
would. moto checks neither signatures nor the policy of a presigned POST, so the limits S3
enforces at upload (size, type, key) are checked in the signed policy itself.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.blobs import PluginBlobs
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit.platform.storage import S3Storage, open_storage
from ccokit.tenants.plans import get_plan
from ccokit_sdk.blobs import BlobInfo
from tests.conftest import bearer, issue_token, signup
from tests.platform.vault_plugin import VAULT
from tests.s3_server import s3_keys

TENANT = uuid.UUID("01900000-0000-7000-8000-000000000001")


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> S3Storage:
    opened = open_storage(f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1")
    assert isinstance(opened, S3Storage)
    return opened


@pytest.fixture
def blobs(storage: S3Storage) -> PluginBlobs:
    return PluginBlobs(storage, TENANT, "vault", get_plan("free"))


def _policy(fields: dict[str, str]) -> dict[str, object]:
    return dict(json.loads(base64.b64decode(fields["policy"])))


def test_a_presigned_post_uploads_straight_to_the_bucket(blobs: PluginBlobs, s3_endpoint: str, bucket: str) -> None:
    upload = blobs.presign_upload("att/1/report.pdf", content_type="application/pdf", max_bytes=1000)
    assert upload.method == "POST"
    assert upload.url.startswith(s3_endpoint)
    assert upload.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # signature version 4
    resp = httpx.post(upload.url, data=dict(upload.fields),
                      files={"file": ("report.pdf", b"%PDF-1.7 body", "application/pdf")})
    assert resp.status_code == 204, resp.text
    key = f"tenants/{TENANT}/plugins/vault/att/1/report.pdf"
    assert s3_keys(s3_endpoint, bucket) == [key]
    assert blobs.stat("att/1/report.pdf") == BlobInfo(size=13, content_type="application/pdf")
    assert blobs.stat("att/1/missing.pdf") is None


def test_the_signed_policy_holds_size_type_and_key(blobs: PluginBlobs) -> None:
    upload = blobs.presign_upload("att/2/a.png", content_type="image/png", max_bytes=4096, expires_in=120)
    policy = _policy(dict(upload.fields))
    conditions = policy["conditions"]
    assert isinstance(conditions, list)
    # What S3 checks before it stores a byte: at most max_bytes, exactly this type, exactly this key.
    assert ["content-length-range", 0, 4096] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"key": f"tenants/{TENANT}/plugins/vault/att/2/a.png"} in conditions
    assert upload.fields["Content-Type"] == "image/png"
    assert upload.expires_at is not None
    assert str(policy["expiration"]).startswith(upload.expires_at.strftime("%Y-%m-%dT%H:%M"))


def test_a_presigned_get_downloads_as_an_attachment(blobs: PluginBlobs) -> None:
    blobs.put("att/4/报告.txt", "收据".encode(), content_type="text/plain; charset=utf-8")
    url = blobs.presign_download("att/4/报告.txt", filename="报告 v2.txt", content_type="text/plain; charset=utf-8")
    resp = httpx.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.content == "收据".encode()
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20v2.txt" in disposition
    # The name and type are part of the signed query, not left to the browser.
    query = urlsplit(url).query
    assert "response-content-disposition=attachment" in query
    assert "X-Amz-SignedHeaders=host" in query


def test_links_are_signed_for_the_public_endpoint(s3_endpoint: str, bucket: str) -> None:
    public = s3_endpoint.replace("127.0.0.1", "localhost")
    storage = open_storage(
        f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1&public_endpoint_url={public}"
    )
    blobs = PluginBlobs(storage, TENANT, "vault", get_plan("free"))
    upload = blobs.presign_upload("p.txt", content_type="text/plain", max_bytes=10)
    assert urlsplit(upload.url).hostname == "localhost"
    resp = httpx.post(upload.url, data=dict(upload.fields), files={"file": ("p.txt", b"public", "text/plain")})
    assert resp.status_code == 204, resp.text
    assert blobs.stat("p.txt") == BlobInfo(size=6, content_type="text/plain")  # read over the inner endpoint
    assert urlsplit(blobs.presign_download("p.txt", filename="p.txt")).hostname == "localhost"


def test_usage_and_delete(blobs: PluginBlobs, storage: S3Storage) -> None:
    blobs.put("u/a.bin", b"12345")
    blobs.put("u/b.bin", b"123")
    assert storage.usage(f"tenants/{TENANT}/") == 8
    blobs.delete("u/a.bin")
    blobs.delete("u/never.bin")
    assert blobs.stat("u/a.bin") is None
    assert storage.usage(f"tenants/{TENANT}/") == 3


@pytest.fixture
def s3_app(pg_settings: Settings, s3_endpoint: str, bucket: str) -> Iterator[Flask]:
    settings = pg_settings.with_overrides(storage_url=f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1")
    app = create_app(settings, plugins=[*discover_plugins(), VAULT])
    yield app
    current_kernel(app).db.dispose()


def test_a_plugin_presigns_through_current_blobs_on_s3(s3_app: Flask, s3_endpoint: str, bucket: str) -> None:
    client = s3_app.test_client()
    shop = signup(client)
    token = issue_token(client, shop)
    resp = client.post("/api/v1/vault/uploads", json={"key": "x/y.txt", "max_bytes": 64}, headers=bearer(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    upload = resp.get_json()
    assert upload["url"].startswith(s3_endpoint)
    assert ["content-length-range", 0, 64] in _policy(upload["fields"])["conditions"]
    sent = httpx.post(upload["url"], data=upload["fields"], files={"file": ("y.txt", b"on s3", "text/plain")})
    assert sent.status_code == 204
    assert s3_keys(s3_endpoint, bucket) == [f"tenants/{shop.tenant_id}/plugins/vault/x/y.txt"]
    link = client.get("/api/v1/vault/download?key=x/y.txt&filename=y.txt", headers=bearer(token)).get_json()["url"]
    assert httpx.get(link).content == b"on s3"
    # The platform's own link routes have nothing to serve with S3 behind them.
    assert client.get("/api/v1/blobs/anything").status_code == 404
