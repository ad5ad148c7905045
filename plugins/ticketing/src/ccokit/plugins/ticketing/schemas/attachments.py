"""Transport schemas of ticket attachments (``/tickets/{id}/attachments``…) and their events."""

from __future__ import annotations

import re
import unicodedata

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "AttachmentCreateSchema",
    "AttachmentDetailSchema",
    "AttachmentEventSchema",
    "AttachmentListArgsSchema",
    "AttachmentPageSchema",
    "AttachmentSchema",
    "AttachmentUploadSchema",
]

#: Categories a file name may not hold: controls, format characters (the right-to-left override
#: that shows ``fdp.exe`` as ``exe.pdf``), line and paragraph separators, surrogates.
_UNSHOWN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
CONTENT_TYPE = validate.Regexp(
    r"^[A-Za-z0-9][\w.+-]{0,63}/[A-Za-z0-9][\w.+-]{0,62}(\s*;\s*[\w.+-]{1,30}=[\w.+-]{1,30})?$",
    flags=re.ASCII,
    error="A media type such as image/png (one parameter at most, e.g. text/plain; charset=utf-8).",
)


def _filename(value: str) -> None:
    if not value.strip() or "/" in value or "\\" in value or any(
        unicodedata.category(c) in _UNSHOWN for c in value
    ):
        raise ma.ValidationError("A file name without /, \\ or control characters.")


class AttachmentCreateSchema(ma.Schema):
    """The file about to be uploaded, as the uploader declares it; the upload must match."""

    filename = fields.String(required=True, validate=[validate.Length(1, 255), _filename])
    content_type = fields.String(required=True, validate=[validate.Length(max=127), CONTENT_TYPE])
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                          metadata={"description": "In bytes."})


class AttachmentSchema(ma.Schema):
    id = PublicIdField("att", dump_only=True)
    ticket_id = PublicIdField("tkt", dump_only=True)
    comment_id = PublicIdField("cmt", allow_none=True, dump_only=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "In bytes."})
    status = fields.String(metadata={"description": "pending until the upload is completed, then stored."})
    created_by = PublicIdField("mem", allow_none=True, dump_only=True)
    created_at = fields.AwareDateTime()
    stored_at = fields.AwareDateTime(allow_none=True)


class _UploadSchema(ma.Schema):
    url = fields.String()
    method = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(), values=fields.String())
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    expires_at = fields.AwareDateTime()


class AttachmentUploadSchema(AttachmentSchema):
    """A new attachment and where to send its file: ``multipart/form-data`` to ``upload.url``
    with every item of ``upload.fields`` first and the file last in ``file``; then ``complete``."""

    upload = fields.Nested(_UploadSchema)


class AttachmentDetailSchema(AttachmentSchema):
    download_url = fields.String(
        allow_none=True,
        metadata={"description": "A link valid for minutes (null until stored); read again for a new one."},
    )
    download_expires_at = fields.AwareDateTime(allow_none=True)


class AttachmentPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AttachmentSchema))
    next_cursor = fields.String(allow_none=True)


class AttachmentListArgsSchema(CursorArgsSchema):
    status = fields.String(validate=validate.OneOf(("pending", "stored")))
    comment_id = PublicIdField("cmt", metadata={"description": "Only the attachments of this comment."})


class AttachmentEventSchema(ma.Schema):
    """Payload of ``attachment.added`` and ``attachment.deleted``."""

    id = fields.String(required=True, metadata={"description": "Public id, att_…"})
    ticket_id = fields.String(required=True, metadata={"description": "Public id, tkt_…"})
    ticket_number = fields.Integer(required=True)
    comment_id = fields.String(allow_none=True, metadata={"description": "Public id, cmt_…, or null"})
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "In bytes."})
