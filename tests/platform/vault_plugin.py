"""``vault``: a test-only plugin that hands out what ``current().blobs`` gives it.

Its routes presign uploads and downloads, stat, put and delete blobs under keys the test chooses,
and map the SDK's blob errors to 413/422 with the error's name in ``detail``. Its job
``copy_blob`` reaches the same blobs from a worker through ``ctx.blobs``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ccokit_sdk.blobs import BlobError, BlobQuotaExceeded, BlobTooLarge
from ccokit_sdk.plugin import Blueprint, Plugin, PluginContext, Scope, abort, current, require_scope

vault = Blueprint("vault", __name__)


class PresignArgs(ma.Schema):
    key = ma.fields.String(required=True)
    content_type = ma.fields.String(load_default="text/plain")
    max_bytes = ma.fields.Integer(load_default=100)
    expires_in = ma.fields.Integer(load_default=300)


class KeyArgs(ma.Schema):
    key = ma.fields.String(required=True)
    filename = ma.fields.String(load_default="file.txt")
    text = ma.fields.String(load_default="")


def _blob_error(exc: BlobError | ValueError) -> None:
    status = 413 if isinstance(exc, BlobTooLarge | BlobQuotaExceeded) else 422
    abort(status, message=f"{type(exc).__name__}: {exc}")


@vault.post("/uploads")
@require_scope("vault:write")
@vault.arguments(PresignArgs)
@vault.response(200)
def presign(args: dict[str, Any]) -> dict[str, Any]:
    try:
        upload = current().blobs.presign_upload(
            args["key"], content_type=args["content_type"], max_bytes=args["max_bytes"],
            expires_in=args["expires_in"],
        )
    except (BlobError, ValueError) as exc:
        _blob_error(exc)
    return {"url": upload.url, "method": upload.method, "fields": dict(upload.fields),
            "expires_at": upload.expires_at.isoformat() if upload.expires_at else None,
            "max_upload_bytes": current().blobs.max_upload_bytes}


@vault.get("/download")
@require_scope("vault:write")
@vault.arguments(KeyArgs, location="query")
@vault.response(200)
def download_link(args: dict[str, Any]) -> dict[str, Any]:
    try:
        url = current().blobs.presign_download(args["key"], filename=args["filename"])
    except (BlobError, ValueError) as exc:
        _blob_error(exc)
    return {"url": url}


@vault.get("/stat")
@require_scope("vault:write")
@vault.arguments(KeyArgs, location="query")
@vault.response(200)
def stat(args: dict[str, Any]) -> dict[str, Any]:
    try:
        info = current().blobs.stat(args["key"])
    except (BlobError, ValueError) as exc:
        _blob_error(exc)
    if info is None:
        abort(404)
    return {"size": info.size, "content_type": info.content_type}


@vault.post("/put")
@require_scope("vault:write")
@vault.arguments(KeyArgs)
@vault.response(200)
def put(args: dict[str, Any]) -> dict[str, Any]:
    try:
        current().blobs.put(args["key"], args["text"].encode(), content_type="text/plain")
    except (BlobError, ValueError) as exc:
        _blob_error(exc)
    current().enqueue("vault.copy_blob", key=args["key"])
    current().session.commit()
    return {}


@vault.delete("/blob")
@require_scope("vault:write")
@vault.arguments(KeyArgs, location="query")
@vault.response(204)
def remove(args: dict[str, Any]) -> None:
    current().blobs.delete(args["key"])


def copy_blob(ctx: Any, key: str) -> None:
    """A job: the same plugin's blobs, reached from a worker through ``ctx.blobs``."""
    ctx.blobs.put(f"copies/{key}", ctx.blobs.get(key) + b" (copied)", content_type="text/plain")


def _setup(ctx: PluginContext) -> None:
    ctx.register_blueprint(vault)
    ctx.job(copy_blob)


VAULT = Plugin(name="vault", version="1", title={"en": "Vault"}, setup=_setup,
               scopes=(Scope("vault:write", "Keep files in the vault"),))
