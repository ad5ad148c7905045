"""Ticketing's per-workspace settings (``PUT /api/v1/plugins/ticketing/settings``).

Admins change them through the platform, which validates them with this schema (422 with field
errors) and hands them back through ``current().settings("ticketing")`` with defaults filled in.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

__all__ = ["DEFAULT_ATTACHMENT_TYPES", "SettingsSchema"]

#: What a ticket accepts unless the workspace says otherwise: images (not SVG, which can carry
#: scripts), PDF, office documents, plain text and CSV, zip archives, audio and video.
DEFAULT_ATTACHMENT_TYPES = (
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", "image/heif", "image/bmp",
    "image/tiff",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain", "text/csv",
    "application/zip", "application/x-zip-compressed",
    "audio/*", "video/*",
)
#: ``type/subtype`` or ``type/*``, lowercase.
MEDIA_TYPE = validate.Regexp(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$",
    error="A media type such as image/png, or image/* for every image type, in lowercase.",
)


class SettingsSchema(ma.Schema):
    """``attachment_types``: the media types a ticket accepts (``type/*`` for a whole family);
    ``attachment_max_bytes``: a per-file limit below the plan's (``null``: the plan's own)."""

    attachment_types = fields.List(
        fields.String(validate=MEDIA_TYPE),
        validate=validate.Length(max=100),
        load_default=list(DEFAULT_ATTACHMENT_TYPES),
        dump_default=list(DEFAULT_ATTACHMENT_TYPES),
    )
    attachment_max_bytes = fields.Integer(
        allow_none=True, load_default=None, dump_default=None, validate=validate.Range(min=1)
    )
