"""Ticket attachments: declare, upload straight to storage, complete, list, download, comment, delete.

On local disk (PostgreSQL and SQLite) uploads go to the platform's own signed link; on S3 they
go to a real S3-compatible server process (moto, ``tests/s3_server.py``) through boto3's presigned
POST, sent with httpx as a browser would. moto does not enforce a presigned POST's policy, which
shows the second line of defence: ``complete`` compares what arrived with what was declared.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.storage import LocalStorage
from ccokit.plugins.ticketing.models.attachments import Attachment
from ccokit.plugins.ticketing.models.base import Base
from ccokit.tenants.database import make_engine
from ccokit.tenants.plans import get_plan
from ccokit_sdk.ids import decode_public_id
from ccokit_sdk.models import utcnow
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, Workspace, events_of, run_ticketing_schedules
from tests.s3_server import s3_keys

PDF = b"%PDF-1.7\n" + b"0" * 2000


def _declare(ws: Workspace, ticket: dict[str, Any], **body: Any) -> Any:
    body = {"filename": "发票 invoice.pdf", "content_type": "application/pdf", "size": len(PDF), **body}
    return ws.client.post(f"{API}/tickets/{ticket['id']}/attachments", json=body, headers=ws.auth)


def _send(client: FlaskClient, upload: dict[str, Any], data: bytes, content_type: str) -> Any:
    """Send the file to a local-disk signed link as a browser form would (no bearer token)."""
    form: dict[str, Any] = dict(upload["fields"])
    form["file"] = (io.BytesIO(data), "file", content_type)
    return client.post(urlsplit(upload["url"]).path, data=form, content_type="multipart/form-data")


def _att_url(ticket: dict[str, Any], attachment: dict[str, Any], suffix: str = "") -> str:
    return f"{API}/tickets/{ticket['id']}/attachments/{attachment['id']}{suffix}"


def _stored(ws: Workspace, ticket: dict[str, Any], data: bytes = PDF, **body: Any) -> dict[str, Any]:
    resp = _declare(ws, ticket, size=len(data), **body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    assert _send(ws.client, created["upload"], data, created["content_type"]).status_code == 204
    done = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert done.status_code == 200, done.get_data(as_text=True)
    return dict(done.get_json())


def _errors(resp: Any) -> dict[str, Any]:
    assert resp.mimetype == "application/problem+json"
    return dict(resp.get_json()["errors"])


def test_a_file_goes_from_declaration_to_download(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    resp = _declare(ws, ticket, filename="发票\u3000invoice.pdf")  # an ideographic space, as Chinese names have
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    assert created["id"].startswith("att_")
    assert created["status"] == "pending"
    assert created["size"] == len(PDF)
    assert created["upload"]["method"] == "POST"
    assert created["upload"]["fields"] == {"Content-Type": "application/pdf"}
    # Nothing to download before the file is there.
    assert ws.client.get(_att_url(ticket, created), headers=ws.auth).get_json()["download_url"] is None

    assert _send(ws.client, created["upload"], PDF, "application/pdf").status_code == 204
    done = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "stored"
    # Completing again changes nothing and announces nothing twice.
    assert ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth).status_code == 200
    added = [p for t, p in events_of(ws.app, ws.tenant, "attachment.") if t == "attachment.added"]
    assert added == [{
        "id": created["id"], "ticket_id": ticket["id"], "ticket_number": ticket["number"], "comment_id": None,
        "filename": "发票\u3000invoice.pdf", "content_type": "application/pdf", "size": len(PDF),
    }]

    listed = ws.client.get(f"{API}/tickets/{ticket['id']}/attachments", headers=ws.auth).get_json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]
    detail = ws.client.get(_att_url(ticket, created), headers=ws.auth).get_json()
    assert detail["download_expires_at"]
    file = ws.client.get(urlsplit(detail["download_url"]).path)  # the link is the credential
    assert file.status_code == 200
    assert file.data == PDF
    assert file.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8%E3%80%80invoice.pdf" in file.headers["Content-Disposition"]
    file.close()


def test_the_type_must_be_on_the_workspaces_list(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    for refused in ("text/html", "image/svg+xml", "application/x-msdownload"):
        resp = _declare(ws, ticket, filename="x", content_type=refused)
        assert resp.status_code == 422, refused
        assert "content_type" in _errors(resp)
    resp = ws.client.post(f"{API}/tickets/{ticket['id']}/attachments", headers={**ws.auth, "Accept-Language": "zh"},
                          json={"filename": "a.html", "content_type": "text/html", "size": 10})
    assert "不接受 text/html" in _errors(resp)["content_type"][0]
    for accepted in ("image/png", "video/mp4", "audio/mpeg", "application/zip", "text/plain; charset=utf-8",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        assert _declare(ws, ticket, filename="x", content_type=accepted).status_code == 201, accepted

    # An admin narrows (or widens) the list in the plugin's settings.
    settings = {"attachment_types": ["text/html", "image/*"]}
    resp = ws.client.put("/api/v1/plugins/ticketing/settings", json={"settings": settings}, headers=ws.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _declare(ws, ticket, filename="page.html", content_type="text/html").status_code == 201
    assert _declare(ws, ticket, filename="x.svg", content_type="image/svg+xml").status_code == 201
    assert _declare(ws, ticket).status_code == 422  # pdf is no longer on the list
    bad = ws.client.put("/api/v1/plugins/ticketing/settings", json={"settings": {"attachment_types": ["HTML"]}},
                        headers=ws.auth)
    assert bad.status_code == 422


def test_the_size_is_held_to_the_plan_and_the_workspaces_limit(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    limit = get_plan("free").max_upload_bytes
    assert _declare(ws, ticket, size=limit).status_code == 201
    resp = _declare(ws, ticket, size=limit + 1)
    assert resp.status_code == 422
    assert _errors(resp)["size"] == [f"At most {limit} bytes per file."]
    for bad in (0, -1, "12", 1.5):
        assert _declare(ws, ticket, size=bad).status_code == 422, bad
    for name in ("", "a/b.pdf", "..\\x.pdf", "\u202efdp.exe", "line\nbreak.pdf", "x" * 256):
        assert "filename" in _errors(_declare(ws, ticket, filename=name)), name
    for content_type in ("图/片", "application/pdf\r\nX: 1", "pdf"):
        assert "content_type" in _errors(_declare(ws, ticket, content_type=content_type)), content_type
    resp = ws.client.put("/api/v1/plugins/ticketing/settings", json={"settings": {"attachment_max_bytes": 1000}},
                         headers=ws.auth)
    assert resp.status_code == 200
    assert _declare(ws, ticket, size=1000).status_code == 201
    assert _errors(_declare(ws, ticket, size=1001))["size"] == ["At most 1000 bytes per file."]


def test_the_upload_must_match_the_declaration(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    created = _declare(ws, ticket).get_json()
    early = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert early.status_code == 409
    assert "file" in _errors(early)
    # The link takes no more than declared, and no other type.
    assert _send(ws.client, created["upload"], PDF + b"!", "application/pdf").status_code == 413
    assert _send(ws.client, {**created["upload"], "fields": {}}, PDF, "text/html").status_code == 415
    # A smaller file passes the link but not the check; it is removed, and may be sent again.
    assert _send(ws.client, created["upload"], PDF[:100], "application/pdf").status_code == 204
    short = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert short.status_code == 409
    assert str(len(PDF)) in _errors(short)["file"][0]
    storage = current_kernel(ws.app).storage
    assert isinstance(storage, LocalStorage)
    key = f"tenants/{ws.tenant.tenant_id}/plugins/ticketing/tickets/{ticket['id']}/{created['id']}"
    assert storage.stat(key) is None
    assert _send(ws.client, created["upload"], PDF, "application/pdf").status_code == 204
    assert ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth).get_json()["status"] == "stored"
    assert storage.stat(key) is not None
    assert events_of(ws.app, ws.tenant, "attachment.added")[0][1]["size"] == len(PDF)


def test_a_comment_carries_stored_attachments_of_its_ticket(workspace: Workspace) -> None:
    ws = workspace
    ticket, other = ws.ticket(), ws.ticket()
    photo = _stored(ws, ticket, b"\x89PNG" * 10, filename="damage.png", content_type="image/png")
    receipt = _stored(ws, ticket)
    pending = _declare(ws, ticket).get_json()
    elsewhere = _stored(ws, other)
    comments = f"{API}/tickets/{ticket['id']}/comments"

    resp = ws.client.post(comments, json={"body": "see", "attachment_ids": [pending["id"], elsewhere["id"]]},
                          headers=ws.auth)
    assert resp.status_code == 422
    problems = _errors(resp)["attachment_ids"]
    assert len(problems) == 2
    assert "not uploaded yet" in problems[0]
    assert "No attachment of this ticket" in problems[1]
    assert ws.client.get(comments, headers=ws.auth).get_json()["items"] == []  # nothing was written

    resp = ws.client.post(comments, json={"body": "Photos attached", "attachment_ids": [photo["id"], receipt["id"]]},
                          headers=ws.auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    comment = resp.get_json()
    listed = ws.client.get(f"{API}/tickets/{ticket['id']}/attachments?comment_id={comment['id']}",
                           headers=ws.auth).get_json()["items"]
    assert sorted(a["id"] for a in listed) == sorted([photo["id"], receipt["id"]])
    assert {a["comment_id"] for a in listed} == {comment["id"]}
    # An attachment belongs to one comment.
    again = ws.client.post(comments, json={"body": "again", "attachment_ids": [photo["id"]]}, headers=ws.auth)
    assert again.status_code == 422
    assert "another comment" in _errors(again)["attachment_ids"][0]
    stored = ws.client.get(f"{API}/tickets/{ticket['id']}/attachments?status=stored", headers=ws.auth)
    assert len(stored.get_json()["items"]) == 2


def test_deleting_removes_the_row_and_the_file(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    stored = _stored(ws, ticket)
    detail = ws.client.get(_att_url(ticket, stored), headers=ws.auth).get_json()
    assert ws.client.delete(_att_url(ticket, stored), headers=ws.auth).status_code == 204
    assert ws.client.get(_att_url(ticket, stored), headers=ws.auth).status_code == 404
    assert ws.client.get(urlsplit(detail["download_url"]).path).status_code == 404  # the file is gone too
    deleted = events_of(ws.app, ws.tenant, "attachment.deleted")
    assert [p["id"] for _, p in deleted] == [stored["id"]]
    # A pending one goes silently.
    pending = _declare(ws, ticket).get_json()
    assert ws.client.delete(_att_url(ticket, pending), headers=ws.auth).status_code == 204
    assert len(events_of(ws.app, ws.tenant, "attachment.deleted")) == 1


def test_a_closed_ticket_takes_no_files(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    stored = _stored(ws, ticket)
    for status in ("solved", "closed"):
        resp = ws.client.patch(f"{API}/tickets/{ticket['id']}", json={"status": status}, headers=ws.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "ticket" in _errors(_declare(ws, ticket))
    assert ws.client.delete(_att_url(ticket, stored), headers=ws.auth).status_code == 422
    assert ws.client.get(_att_url(ticket, stored), headers=ws.auth).get_json()["download_url"]


def test_another_workspace_reaches_none_of_it(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    stored = _stored(ws, ticket, filename="A's secret.pdf")
    b = signup(ws.client)
    b_auth = bearer(issue_token(ws.client, b))
    b_ticket = ws.client.post(f"{API}/tickets", json={"subject": "B's"}, headers=b_auth).get_json()
    for path in (_att_url(ticket, stored), _att_url(b_ticket, stored)):  # A's ticket, or B's own
        for method in ("get", "delete"):
            resp = getattr(ws.client, method)(path, headers=b_auth)
            assert resp.status_code == 404, (method, path)
            assert "secret" not in resp.get_data(as_text=True)
        assert ws.client.post(path + "/complete", headers=b_auth).status_code == 404
    assert ws.client.get(f"{API}/tickets/{ticket['id']}/attachments", headers=b_auth).status_code == 404
    resp = ws.client.post(f"{API}/tickets/{b_ticket['id']}/comments",
                          json={"body": "mine now", "attachment_ids": [stored["id"]]}, headers=b_auth)
    assert resp.status_code == 422
    assert ws.client.get(_att_url(ticket, stored), headers=ws.auth).status_code == 200


def test_abandoned_uploads_are_purged_with_their_files(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket()
    kept = _stored(ws, ticket)
    abandoned = _declare(ws, ticket).get_json()
    assert _send(ws.client, abandoned["upload"], PDF, "application/pdf").status_code == 204  # never completed
    fresh = _declare(ws, ticket).get_json()
    kernel = current_kernel(ws.app)
    with kernel.db.transaction(ws.tenant.tenant_id) as session:
        session.execute(update(Attachment)
                        .where(Attachment.id == decode_public_id("att", abandoned["id"]))
                        .values(created_at=utcnow() - timedelta(days=2)))
    run_ticketing_schedules(ws.app, ws.tenant.tenant_id)
    listed = ws.client.get(f"{API}/tickets/{ticket['id']}/attachments", headers=ws.auth).get_json()["items"]
    assert sorted(a["id"] for a in listed) == sorted([kept["id"], fresh["id"]])
    storage = kernel.storage
    assert isinstance(storage, LocalStorage)
    folder = f"tenants/{ws.tenant.tenant_id}/plugins/ticketing/tickets/{ticket['id']}"
    assert storage.stat(f"{folder}/{abandoned['id']}") is None
    assert storage.stat(f"{folder}/{kept['id']}") is not None


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_tk0003_migration_matches_the_model(backend: str, request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("pg_settings" if backend == "postgres" else "sqlite_settings")
    engine = make_engine(settings.owner_database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if Attachment.__tablename__ in repr(d)] == []


# -- S3 ------------------------------------------------------------------------------------------


@pytest.fixture
def s3_workspace(pg_settings: Settings, s3_endpoint: str, bucket: str) -> Iterator[Workspace]:
    app: Flask = create_app(pg_settings.with_overrides(
        storage_url=f"s3://{bucket}?endpoint_url={s3_endpoint}&region=us-east-1"
    ))
    client = app.test_client()
    tenant: TenantInfo = signup(client)
    yield Workspace(app, client, tenant, bearer(issue_token(client, tenant)))
    current_kernel(app).db.dispose()


def test_on_s3_the_file_goes_straight_to_the_bucket(s3_workspace: Workspace, s3_endpoint: str, bucket: str) -> None:
    ws = s3_workspace
    ticket = ws.ticket()
    created = _declare(ws, ticket).get_json()
    upload = created["upload"]
    assert upload["url"].startswith(s3_endpoint)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 0, len(PDF)] in policy["conditions"]  # S3 refuses more than declared
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    sent = httpx.post(upload["url"], data=upload["fields"], files={"file": ("invoice.pdf", PDF, "application/pdf")})
    assert sent.status_code == 204, sent.text
    key = f"tenants/{ws.tenant.tenant_id}/plugins/ticketing/tickets/{ticket['id']}/{created['id']}"
    assert s3_keys(s3_endpoint, bucket) == [key]
    done = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert done.status_code == 200, done.get_data(as_text=True)
    detail = ws.client.get(_att_url(ticket, created), headers=ws.auth).get_json()
    assert detail["download_url"].startswith(s3_endpoint)
    file = httpx.get(detail["download_url"])
    assert file.status_code == 200
    assert file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"].startswith("attachment;")
    assert ws.client.delete(_att_url(ticket, created), headers=ws.auth).status_code == 204
    assert s3_keys(s3_endpoint, bucket) == []


def test_on_s3_an_oversize_file_is_refused_at_completion(
    s3_workspace: Workspace, s3_endpoint: str, bucket: str
) -> None:
    """S3 itself refuses it (the policy above); a server that lets it through, as moto does,
    still gets no stored attachment: completion finds the size wrong and removes the file."""
    ws = s3_workspace
    ticket = ws.ticket()
    created = _declare(ws, ticket, size=10, filename="tiny.txt", content_type="text/plain").get_json()
    upload = created["upload"]
    httpx.post(upload["url"], data=upload["fields"], files={"file": ("tiny.txt", b"x" * 5000, "text/plain")})
    done = ws.client.post(_att_url(ticket, created, "/complete"), headers=ws.auth)
    assert done.status_code == 409
    assert "5000" in _errors(done)["file"][0]
    assert s3_keys(s3_endpoint, bucket) == []
    assert events_of(ws.app, ws.tenant, "attachment.") == []
