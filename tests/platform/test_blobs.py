"""Blobs for plugins on local disk: ``current().blobs`` and the platform's signed links.

The test-only plugin ``vault`` (``vault_plugin.py``) hands out what ``current().blobs`` gives
it; the tests then use the links the way a browser would, without a bearer token: upload (form
and PUT), download, and every refusal (expired, altered, too large, wrong type, suspended
workspace), each as problem+json. They also check that a plugin's keys stay inside its own
folder of its own tenant, that the plan's limits hold, and that jobs reach the same blobs
through ``ctx.blobs``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ccokit.platform.app import create_app
from ccokit.platform.blob_links import BlobLinks, DownloadGrant, UploadGrant
from ccokit.platform.blobs import PluginBlobs
from ccokit.platform.config import Settings
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit.platform.storage import LocalStorage
from ccokit.tenants.plans import get_plan
from ccokit.tenants.registry import get_tenant, set_tenant_status
from ccokit_sdk.blobs import BlobNotFound, InvalidBlobKey
from ccokit_sdk.plugin import current
from tests.conftest import LiveServer, TenantInfo, bearer, issue_token, signup
from tests.platform.vault_plugin import VAULT


@pytest.fixture(params=["postgres", "sqlite"])
def blob_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    settings: Settings = request.getfixturevalue("pg_settings" if request.param == "postgres" else "sqlite_settings")
    app = create_app(settings, plugins=[*discover_plugins(), VAULT])
    app.config["TESTING"] = True
    yield app
    current_kernel(app).db.dispose()


@pytest.fixture
def vclient(blob_app: Flask) -> FlaskClient:
    return blob_app.test_client()


@pytest.fixture
def shop(vclient: FlaskClient) -> TenantInfo:
    return signup(vclient)


@pytest.fixture
def vtoken(vclient: FlaskClient, shop: TenantInfo) -> str:
    return issue_token(vclient, shop)


def _presign(client: FlaskClient, token: str, **args: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/vault/uploads", json=args, headers=bearer(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())


def _path(url: str) -> str:
    return urlsplit(url).path


def _form_upload(client: FlaskClient, upload: dict[str, Any], data: bytes, content_type: str) -> Any:
    form: dict[str, Any] = dict(upload["fields"])
    form["file"] = (io.BytesIO(data), "file.bin", content_type)
    return client.post(_path(upload["url"]), data=form, content_type="multipart/form-data")


def _assert_problem(resp: Any, status: int, kind: str) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"].endswith("/" + kind)


def _storage(app: Flask) -> LocalStorage:
    storage = current_kernel(app).storage
    assert isinstance(storage, LocalStorage)
    return storage


def test_upload_through_a_signed_form_then_download(blob_app: Flask, vclient: FlaskClient, shop: TenantInfo,
                                                    vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="notes/报告 1.txt", content_type="text/plain", max_bytes=50)
    assert upload["method"] == "POST"
    assert upload["fields"] == {"Content-Type": "text/plain"}
    assert upload["url"].startswith("http://localhost/api/v1/blobs/upload/")
    assert upload["max_upload_bytes"] == get_plan("free").max_upload_bytes

    resp = _form_upload(vclient, upload, b"hello vault", "text/plain")
    assert resp.status_code == 204, resp.get_data(as_text=True)
    # The file sits in the plugin's folder of the tenant, nowhere else.
    on_disk = _storage(blob_app).root / f"tenants/{shop.tenant_id}/plugins/vault/notes/报告 1.txt"
    assert on_disk.read_bytes() == b"hello vault"

    info = vclient.get("/api/v1/vault/stat?key=notes/报告 1.txt", headers=bearer(vtoken)).get_json()
    assert info == {"size": 11, "content_type": "text/plain"}

    link = vclient.get("/api/v1/vault/download?key=notes/报告 1.txt&filename=报告 1.txt",
                       headers=bearer(vtoken)).get_json()["url"]
    resp = vclient.get(_path(link))  # no bearer token: the link is the credential
    assert resp.status_code == 200
    assert resp.data == b"hello vault"
    resp.close()
    assert resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A%201.txt" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]


def test_upload_with_put_and_the_type_in_the_header(vclient: FlaskClient, vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="img/dot.png", content_type="image/png", max_bytes=10)
    resp = vclient.put(_path(upload["url"]), data=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert resp.status_code == 204, resp.get_data(as_text=True)
    info = vclient.get("/api/v1/vault/stat?key=img/dot.png", headers=bearer(vtoken)).get_json()
    assert info == {"size": 4, "content_type": "image/png"}


def test_a_file_over_the_links_limit_is_refused_and_not_stored(vclient: FlaskClient, vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="big.txt", max_bytes=10)
    _assert_problem(_form_upload(vclient, upload, b"x" * 11, "text/plain"), 413, "blob-too-large")
    _assert_problem(vclient.put(_path(upload["url"]), data=b"x" * 11, headers={"Content-Type": "text/plain"}),
                    413, "blob-too-large")
    # A declared body far past the limit is refused before it is read.
    resp = vclient.post(_path(upload["url"]), data=b"x" * 200_000,
                        headers={"Content-Type": "multipart/form-data; boundary=zz"})
    _assert_problem(resp, 413, "blob-too-large")
    assert vclient.get("/api/v1/vault/stat?key=big.txt", headers=bearer(vtoken)).status_code == 404
    # Exactly the limit is fine.
    assert _form_upload(vclient, upload, b"x" * 10, "text/plain").status_code == 204


def test_a_body_without_a_length_is_counted_as_it_streams(vclient: FlaskClient, vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="stream.txt", max_bytes=100_000)
    chunked = {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"}
    # Like gunicorn, which ends a chunked body for the app; werkzeug then bounds what it reads.
    resp = vclient.put(_path(upload["url"]), input_stream=io.BytesIO(b"y" * 100_001), headers=chunked,
                       environ_overrides={"wsgi.input_terminated": True})
    _assert_problem(resp, 413, "blob-too-large")
    # A server that would not end the stream gets nothing stored, and says why.
    resp = vclient.put(_path(upload["url"]), input_stream=io.BytesIO(b"y"), headers=chunked)
    _assert_problem(resp, 411, "length-required")
    assert vclient.get("/api/v1/vault/stat?key=stream.txt", headers=bearer(vtoken)).status_code == 404


def test_another_type_than_the_links_is_refused(vclient: FlaskClient, vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="doc.pdf", content_type="application/pdf", max_bytes=100)
    _assert_problem(_form_upload(vclient, {**upload, "fields": {}}, b"<html>", "text/html"), 415,
                    "blob-type-refused")
    # The form field wins over the part's own type, like S3's Content-Type condition.
    changed = {**upload, "fields": {"Content-Type": "text/html"}}
    _assert_problem(_form_upload(vclient, changed, b"%PDF", "application/pdf"), 415, "blob-type-refused")
    _assert_problem(vclient.put(_path(upload["url"]), data=b"<html>", headers={"Content-Type": "text/html"}),
                    415, "blob-type-refused")
    _assert_problem(vclient.post(_path(upload["url"]), data=b"%PDF", headers={"Content-Type": "application/pdf"}),
                    415, "blob-form-expected")
    resp = vclient.post(_path(upload["url"]), data={"Content-Type": "application/pdf"},
                        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "file" in resp.get_json()["errors"]
    assert _form_upload(vclient, upload, b"%PDF-1.7", "application/pdf; name=x").status_code == 204


def test_expired_links_answer_410(blob_app: Flask, vclient: FlaskClient, shop: TenantInfo, vtoken: str) -> None:
    links = _storage(blob_app).links
    assert links is not None
    key = f"tenants/{shop.tenant_id}/plugins/vault/late.txt"
    past = int(time.time()) - 1
    url = links.upload_url(UploadGrant(key, "text/plain", 10, past))
    _assert_problem(vclient.put(_path(url), data=b"late", headers={"Content-Type": "text/plain"}),
                    410, "blob-link-expired")
    vclient.post("/api/v1/vault/put", json={"key": "late.txt", "text": "on time"}, headers=bearer(vtoken))
    url = links.download_url(DownloadGrant(key, "late.txt", None, past))
    _assert_problem(vclient.get(_path(url)), 410, "blob-link-expired")
    # The same links one second earlier were good: only the time is wrong with them.
    token = _path(links.download_url(DownloadGrant(key, "late.txt", None, past))).rsplit("/", 1)[1]
    assert links.read_download(token, now=past - 1).key == key


def test_altered_or_misused_tokens_answer_403(vclient: FlaskClient, vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="a.txt", max_bytes=10)
    path = _path(upload["url"])
    token = path.rsplit("/", 1)[1]
    flipped = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]  # inside the signed payload
    _assert_problem(vclient.put(f"/api/v1/blobs/upload/{flipped}", data=b"x", headers={"Content-Type": "text/plain"}),
                    403, "blob-link-invalid")
    _assert_problem(vclient.put("/api/v1/blobs/upload/not-a-token", data=b"x", headers={"Content-Type": "text/plain"}),
                    403, "blob-link-invalid")
    # An upload token is no download token (different salts), and the other way round.
    _assert_problem(vclient.get(f"/api/v1/blobs/{token}"), 403, "blob-link-invalid")
    vclient.post("/api/v1/vault/put", json={"key": "a.txt", "text": "A"}, headers=bearer(vtoken))
    link = vclient.get("/api/v1/vault/download?key=a.txt", headers=bearer(vtoken)).get_json()["url"]
    download_token = _path(link).rsplit("/", 1)[1]
    _assert_problem(vclient.put(f"/api/v1/blobs/upload/{download_token}", data=b"x",
                                headers={"Content-Type": "text/plain"}), 403, "blob-link-invalid")
    # A token signed with another installation's secret is worthless here.
    forged = BlobLinks("another-secret-key-0123456789-abcdefgh", "http://localhost").upload_url(
        UploadGrant("tenants/x/plugins/vault/a.txt", "text/plain", 10, int(time.time()) + 60))
    _assert_problem(vclient.put(_path(forged), data=b"x", headers={"Content-Type": "text/plain"}),
                    403, "blob-link-invalid")


def test_a_suspended_workspace_links_stop(blob_app: Flask, vclient: FlaskClient, shop: TenantInfo,
                                          vtoken: str) -> None:
    upload = _presign(vclient, vtoken, key="s.txt", max_bytes=10)
    with current_kernel(blob_app).db.transaction() as session:
        tenant = get_tenant(session, shop.tenant_id)
        assert tenant is not None
        set_tenant_status(session, tenant, "suspended")
    _assert_problem(vclient.put(_path(upload["url"]), data=b"x", headers={"Content-Type": "text/plain"}),
                    403, "tenant-suspended")


def test_keys_never_leave_the_plugins_folder_of_its_tenant(blob_app: Flask, vclient: FlaskClient,
                                                           shop: TenantInfo, vtoken: str) -> None:
    other = signup(vclient)
    other_token = issue_token(vclient, other)
    assert vclient.post("/api/v1/vault/put", json={"key": "secret.txt", "text": "A's secret"},
                        headers=bearer(vtoken)).status_code == 200
    # B asking for the same relative key reaches its own (empty) folder.
    assert vclient.get("/api/v1/vault/stat?key=secret.txt", headers=bearer(other_token)).status_code == 404
    link = vclient.get("/api/v1/vault/download?key=secret.txt", headers=bearer(other_token)).get_json()["url"]
    assert vclient.get(_path(link)).status_code == 404
    climbing = [
        "../secret.txt", f"../../{shop.tenant_id}/plugins/vault/secret.txt", "/etc/passwd", "a/../../b",
        "a//b", "./a", ".hidden", "a/.meta", "a\\b", "", "x" * 513, "tab\there",
    ]
    for key in climbing:
        resp = vclient.post("/api/v1/vault/uploads", json={"key": key}, headers=bearer(other_token))
        assert resp.status_code == 422, (key, resp.get_data(as_text=True))
        assert "InvalidBlobKey" in resp.get_json()["detail"]
    # Every file of the store is under its own tenant's prefix.
    root = _storage(blob_app).root
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert f"tenants/{shop.tenant_id}/plugins/vault/secret.txt" in files
    assert not [f for f in files if f.startswith(f"tenants/{other.tenant_id}/")]


def test_the_plans_limits_hold(blob_app: Flask, vclient: FlaskClient, shop: TenantInfo, vtoken: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    limit = get_plan("free").max_upload_bytes
    resp = vclient.post("/api/v1/vault/uploads", json={"key": "huge.bin", "max_bytes": limit + 1},
                        headers=bearer(vtoken))
    assert resp.status_code == 413
    assert "BlobTooLarge" in resp.get_json()["detail"]
    assert _presign(vclient, vtoken, key="max.bin", max_bytes=limit)["url"]
    # A plan with 30 bytes of storage: 20 fit, 20 more do not.
    tiny = replace(get_plan("free"), storage_bytes=30, max_upload_bytes=25)
    monkeypatch.setattr("ccokit.platform.blobs.get_plan", lambda name: tiny)
    assert vclient.post("/api/v1/vault/put", json={"key": "one.txt", "text": "x" * 20},
                        headers=bearer(vtoken)).status_code == 200
    resp = vclient.post("/api/v1/vault/put", json={"key": "two.txt", "text": "x" * 20}, headers=bearer(vtoken))
    assert resp.status_code == 413
    assert "BlobQuotaExceeded" in resp.get_json()["detail"]
    resp = vclient.post("/api/v1/vault/uploads", json={"key": "two.txt", "max_bytes": 20}, headers=bearer(vtoken))
    assert resp.status_code == 413
    assert "BlobQuotaExceeded" in resp.get_json()["detail"]
    assert _presign(vclient, vtoken, key="two.txt", max_bytes=10)["url"]


def test_bad_arguments_are_refused_before_anything_is_signed(blob_app: Flask, shop: TenantInfo) -> None:
    blobs = PluginBlobs(_storage(blob_app), shop.tenant_id, "vault", get_plan("free"))
    for content_type in ("text/plain\r\nX-Evil: 1", "图/片", "text"):
        with pytest.raises(ValueError, match="content type"):
            blobs.presign_upload("a", content_type=content_type, max_bytes=1)
    with pytest.raises(ValueError, match="max_bytes"):
        blobs.presign_upload("a", content_type="text/plain", max_bytes=0)
    with pytest.raises(ValueError, match="expires_in"):
        blobs.presign_upload("a", content_type="text/plain", max_bytes=1, expires_in=8 * 24 * 3600)
    for filename in ("", "  ", "\u202egpj.exe", "a\nb"):
        with pytest.raises(ValueError, match="filename"):
            blobs.presign_download("a", filename=filename)
    assert blobs.presign_download("a", filename="报告\u3000v2 (final).pdf")  # wide spaces are fine
    with pytest.raises(InvalidBlobKey):
        blobs.stat("../x")
    with pytest.raises(BlobNotFound):
        blobs.get("missing.txt")
    blobs.delete("missing.txt")  # removing nothing is fine


def test_deleting_a_blob(vclient: FlaskClient, vtoken: str) -> None:
    vclient.post("/api/v1/vault/put", json={"key": "d/x.txt", "text": "bye"}, headers=bearer(vtoken))
    assert vclient.get("/api/v1/vault/stat?key=d/x.txt", headers=bearer(vtoken)).status_code == 200
    assert vclient.delete("/api/v1/vault/blob?key=d/x.txt", headers=bearer(vtoken)).status_code == 204
    assert vclient.get("/api/v1/vault/stat?key=d/x.txt", headers=bearer(vtoken)).status_code == 404


def test_a_job_reaches_its_plugins_blobs_through_ctx(blob_app: Flask, vclient: FlaskClient, shop: TenantInfo,
                                                     vtoken: str) -> None:
    assert vclient.post("/api/v1/vault/put", json={"key": "j.txt", "text": "job input"},
                        headers=bearer(vtoken)).status_code == 200
    run_pending(current_kernel(blob_app), tenant_id=shop.tenant_id)
    blobs = PluginBlobs(_storage(blob_app), shop.tenant_id, "vault", get_plan("free"))
    assert blobs.get("copies/j.txt") == b"job input (copied)"


def test_a_platform_route_has_no_plugin_blobs(blob_app: Flask, shop: TenantInfo, vtoken: str) -> None:
    with blob_app.test_request_context("/api/v1/tenant", headers=bearer(vtoken)):
        blob_app.preprocess_request()
        with pytest.raises(RuntimeError, match="routes of a plugin"):
            current().blobs  # noqa: B018 - the property is the thing under test


@pytest.fixture
def app(pg_settings: Settings) -> Iterator[Flask]:
    """The conftest's PostgreSQL app with ``vault`` installed, for ``live_server`` to serve."""
    app = create_app(pg_settings, plugins=[*discover_plugins(), VAULT])
    yield app
    current_kernel(app).db.dispose()


def test_over_real_http_a_browser_uploads_and_downloads(live_server: LiveServer) -> None:
    client = live_server.app.test_client()
    shop = signup(client)
    token = issue_token(client, shop)
    upload = _presign(client, token, key="real/photo.jpg", content_type="image/jpeg", max_bytes=3_000_000)
    body = bytes(range(256)) * 8_000  # 2 MB: past the in-memory part of the form parser
    url = live_server.url + _path(upload["url"])
    with httpx.Client(timeout=30) as http:
        resp = http.post(url, data=upload["fields"], files={"file": ("photo.jpg", body, "image/jpeg")})
        assert resp.status_code == 204, resp.text
        link = client.get("/api/v1/vault/download?key=real/photo.jpg&filename=photo.jpg",
                          headers=bearer(token)).get_json()["url"]
        got = http.get(live_server.url + _path(link))
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["content-type"] == "image/jpeg"  # the type stored at upload
