"""Schemas of CSV imports: the upload, its options and the report."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from ccokit.plugins.customers.schemas.base import Schema

__all__ = [
    "ENCODINGS",
    "CustomerImportArgsSchema",
    "CustomerImportFileSchema",
    "CustomerImportReportSchema",
    "CustomerImportRowErrorSchema",
]

ENCODINGS = ("utf-8", "gb18030")


class CustomerImportArgsSchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Check and count everything, write nothing."})
    encoding = fields.String(
        load_default="utf-8", validate=validate.OneOf(ENCODINGS),
        metadata={"description": "utf-8 (a byte-order mark is allowed), or gb18030 for files saved by "
                                 "Excel in Chinese."},
    )


class CustomerImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "The CSV file, header row first."})


class CustomerImportRowErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "1 is the header row, 2 the first customer."})
    column = fields.String(allow_none=True)
    message = fields.String()


class CustomerImportReportSchema(Schema):
    id = fields.String(metadata={"description": "cimp_…: the import's id in the audit log and its event."})
    rows = fields.Integer(metadata={"description": "Customer rows read (blank rows are skipped)."})
    created = fields.Integer()
    updated = fields.Integer()
    dry_run = fields.Boolean()
    errors = fields.List(fields.Nested(CustomerImportRowErrorSchema),
                         metadata={"description": "Empty when the import succeeded."})
