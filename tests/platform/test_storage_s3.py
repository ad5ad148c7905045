"""S3 storage through boto3 against a real S3-compatible server process (``tests/s3_server.py``)."""

from __future__ import annotations

import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.storage import S3Storage, open_storage, tenant_prefix
from tests.conftest import bearer, issue_token, signup
from tests.s3_server import s3_keys

pytestmark = pytest.mark.usefixtures("aws_credentials")


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
    assert s3_keys(s3_endpoint, bucket) == ["tenants/ab/three.txt"]
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
        assert s3_keys(s3_endpoint, bucket) == [tenant_prefix(b.tenant_id) + "attachments/y.bin"]
    finally:
        current_kernel(app).db.dispose()

