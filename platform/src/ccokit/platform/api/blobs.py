"""Signed upload and download links for blobs on local disk (the embedded default).

With blobs in S3, browsers send files to the bucket and fetch them from it through presigned
URLs. With blobs on local disk, the platform serves the same kind of link itself:

- ``POST /api/v1/blobs/upload/<token>``: ``multipart/form-data`` with the fields of the
  :class:`~ccokit_sdk.blobs.PresignedUpload` and the file last in ``file`` (what a presigned S3
  POST takes, so one client serves both); answers 204.
- ``PUT /api/v1/blobs/upload/<token>``: the bare file as the body, its type in ``Content-Type``;
  answers 204.
- ``GET /api/v1/blobs/<token>``: the file, as an attachment.

The token in the path is signed with the app's secret key (:mod:`ccokit.platform.blob_links`) and
names the key, the expiry and, for uploads, the type and the most bytes; the signature is the
credential, so these routes take no bearer token. Refusals are problem+json: 403 for a token this
installation did not sign (or that was altered), 410 when it expired, 413 for a file over its
limit, 415 for another type, 411 for a bare body of unknown length that the server does not end,
404 when there is nothing to download, 403 when the workspace is suspended. The body is streamed
to disk and counted as it arrives, never read whole into memory: the request's size limit becomes
the link's, so a larger declared body is refused before it is read, and the multipart parser
spools a file part to a temporary file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import IO, Any, NoReturn, TypeVar

from flask import Response, request, send_file
from flask_smorest import Blueprint, abort
from werkzeug.exceptions import RequestEntityTooLarge

from ccokit.platform.blob_links import BlobLinks, DownloadGrant, LinkExpired, LinkInvalid, UploadGrant
from ccokit.platform.kernel import current_kernel, request_session
from ccokit.platform.storage import LocalStorage, StreamTooLarge
from ccokit.tenants.registry import get_tenant

__all__ = ["FORM_OVERHEAD", "blueprint"]

F = TypeVar("F", bound=Callable[..., Any])
G = TypeVar("G", UploadGrant, DownloadGrant)

#: Bytes a multipart body may carry beyond the file itself: boundaries, part headers, fields.
FORM_OVERHEAD = 64 * 1024

blueprint = Blueprint(
    "blobs",
    __name__,
    url_prefix="/api/v1/blobs",
    description="Signed upload and download links for blobs on local disk; the token is the credential.",
)

_REFUSALS = {
    403: "The link was not signed here, was altered, or its workspace is suspended",
    404: "Nothing is stored under the link's key",
    410: "The link expired",
    411: "A bare body without Content-Length, to a server that would not end it",
    413: "The file is larger than the link allows",
    415: "The file is not of the link's type (or, for the form, the body is not multipart/form-data)",
}


def _refusals(*statuses: int) -> Callable[[F], F]:
    """Document the problem+json answers a link route gives, from :data:`_REFUSALS`."""

    def decorator(view: F) -> F:
        for status in statuses:
            view = blueprint.alt_response(status, description=_REFUSALS[status])(view)
        return view

    return decorator


def _storage_and_links() -> tuple[LocalStorage, BlobLinks]:
    storage = current_kernel().storage
    if not isinstance(storage, LocalStorage) or storage.links is None:
        abort(404)  # with S3 the bucket serves the links; nothing here was ever signed
    return storage, storage.links


def _check_tenant(key: str) -> None:
    """The workspace must still be active: a suspended one's links stop, a deleted one's are gone."""
    try:
        tenant_id = uuid.UUID(key.split("/")[1])
    except (IndexError, ValueError):
        _invalid()
    tenant = get_tenant(request_session(), tenant_id)
    if tenant is None or tenant.status == "deleted":
        abort(404)
    if tenant.status != "active":
        abort(403, key="tenant_suspended")


def _invalid() -> NoReturn:
    abort(403, key="blob_link_invalid", message="This link was not issued here or has been altered.")
    raise AssertionError  # pragma: no cover - abort raises


def _expired() -> NoReturn:
    abort(410, key="blob_link_expired", message="This link has expired; ask for a new one.")
    raise AssertionError  # pragma: no cover - abort raises


def _grant(token: str, read: Callable[[BlobLinks, str], G]) -> tuple[LocalStorage, G]:
    """The store and what ``token`` grants, if it is genuine, current and its workspace active."""
    storage, links = _storage_and_links()
    try:
        grant = read(links, token)
    except LinkInvalid:
        _invalid()
    except LinkExpired:
        _expired()
    _check_tenant(grant.key)
    return storage, grant


def _essence(content_type: str | None) -> str:
    """``Text/Plain; charset=utf-8`` -> ``text/plain``: types compare without their parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _check_type(sent: str | None, grant: UploadGrant) -> None:
    if _essence(sent) != _essence(grant.content_type):
        abort(
            415,
            key="blob_type_refused",
            message=f"This link accepts {grant.content_type} only, not {sent or 'an untyped file'}.",
        )


def _too_large(grant: UploadGrant) -> NoReturn:
    abort(413, key="blob_too_large", message=f"This link accepts at most {grant.max_bytes} bytes.")
    raise AssertionError  # pragma: no cover - abort raises


def _store(storage: LocalStorage, grant: UploadGrant, stream: IO[bytes]) -> Response:
    try:
        storage.put_stream(grant.key, stream, grant.content_type, limit=grant.max_bytes)
    except (StreamTooLarge, RequestEntityTooLarge):
        _too_large(grant)
    return Response(status=204)


@blueprint.post("/upload/<token>")
@blueprint.response(204)
@_refusals(403, 410, 413, 415)
def upload_form(token: str) -> Response:
    """Upload a file through a signed link, as a form: the link's fields first, the file last in ``file``.

    No bearer token: the signed link is the credential.
    """
    storage, grant = _grant(token, BlobLinks.read_upload)
    if request.mimetype != "multipart/form-data":
        abort(415, key="blob_form_expected", message="Send multipart/form-data with the file in `file`.")
    if request.content_length is not None and request.content_length > grant.max_bytes + FORM_OVERHEAD:
        _too_large(grant)
    request.max_content_length = grant.max_bytes + FORM_OVERHEAD
    try:
        upload = request.files.get("file")
        declared = request.form.get("Content-Type")
    except RequestEntityTooLarge:
        _too_large(grant)
    if upload is None:
        abort(422, messages={"file": ["Missing file: send it last, in the field `file`."]})
    _check_type(declared or upload.mimetype, grant)
    return _store(storage, grant, upload.stream)


@blueprint.put("/upload/<token>")
@blueprint.response(204)
@_refusals(403, 410, 411, 413, 415)
def upload_body(token: str) -> Response:
    """Upload a file through a signed link as the bare request body, its type in ``Content-Type``.

    No bearer token: the signed link is the credential.
    """
    storage, grant = _grant(token, BlobLinks.read_upload)
    _check_type(request.headers.get("Content-Type"), grant)
    if request.content_length is None and not request.environ.get("wsgi.input_terminated"):
        # Without a length, a server that does not end the stream would hand over no body at all.
        abort(411, key="length_required", message="Send Content-Length with the body.")
    if request.content_length is not None and request.content_length > grant.max_bytes:
        _too_large(grant)
    request.max_content_length = grant.max_bytes
    return _store(storage, grant, request.stream)


@blueprint.get("/<token>")
@blueprint.response(200)
@_refusals(403, 404, 410)
def download(token: str) -> Response:
    """Download a file through a signed link, as an attachment under the link's file name.

    No bearer token: the signed link is the credential.
    """
    storage, grant = _grant(token, BlobLinks.read_download)
    path = storage.path_of(grant.key)
    if path is None:
        abort(404)
    info = storage.stat(grant.key)
    mimetype = grant.content_type or (info.content_type if info else None) or "application/octet-stream"
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=grant.filename, max_age=0)
    # Files come from users; never let a browser run one as a page of this origin.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
