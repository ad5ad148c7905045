"""S3 storage through boto3 against a real S3-compatible server process (moto's server mode)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.storage import S3Storage, open_storage, tenant_prefix
from tests.conftest import bearer, issue_token, signup

MOTO = Path(sys.executable).with_name("moto_server")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("moto_server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"ccokit-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def _keys(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_put_get_and_delete_a_prefix(s3_endpoint: str, bucket: str) -> None:
    storage = open_storage(f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1")
    assert isinstance(storage, S3Storage)
    storage.ping()
    storage.put("tenants/a/one.txt", b"1", "text/plain")
    storage.put("tenants/a/sub/two.txt", b"2")
    storage.put("tenants/ab/three.txt", b"3")
    assert storage.get("tenants/a/sub/two.txt") == b"2"
    assert storage.delete_prefix("tenants/a/") == 2
    # The neighbour whose name merely starts the same is untouched.
    assert _keys(s3_endpoint, bucket) == ["tenants/ab/three.txt"]
    with pytest.raises(ValueError, match="bad storage key"):
        storage.put("tenants/a/../ab/three.txt", b"x")


def test_deleting_a_tenant_removes_its_blobs_from_s3(
    pg_settings: Settings, s3_endpoint: str, bucket: str
) -> None:
    settings = pg_settings.with_overrides(
        storage_url=f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1"
    )
    app: Flask = create_app(settings)
    try:
        client = app.test_client()
        a, b = signup(client), signup(client)
        storage = current_kernel(app).storage
        storage.put(tenant_prefix(a.tenant_id) + "attachments/x.bin", b"a's")
        storage.put(tenant_prefix(b.tenant_id) + "attachments/y.bin", b"b's")
        resp = client.delete(f"/api/v1/tenant?confirm={a.slug}", headers=bearer(issue_token(client, a)))
        assert resp.status_code == 204
        assert _keys(s3_endpoint, bucket) == [tenant_prefix(b.tenant_id) + "attachments/y.bin"]
    finally:
        current_kernel(app).db.dispose()

