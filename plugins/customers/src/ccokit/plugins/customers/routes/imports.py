"""The CSV import view: a multipart upload, read as a stream, imported all or nothing.

The platform's request-size limit is raised for this one route to the tenant's
``import_max_bytes`` before the form is parsed; werkzeug spools the file part to a temporary
file as it arrives, and the import reads it back line by line.
"""

from __future__ import annotations

import io
from typing import Any

from flask import request
from flask_smorest import Blueprint

from ccokit.plugins.customers.schemas.imports import (
    CustomerImportArgsSchema,
    CustomerImportFileSchema,
    CustomerImportReportSchema,
)
from ccokit.plugins.customers.services.imports import MAX_ERRORS, import_customers
from ccokit.plugins.customers.texts import text
from ccokit_sdk.plugin import abort, current, require_scope

blueprint = Blueprint("customer_imports", __name__, description="Importing customers from CSV")
PLUGIN_NAME = "customers"


@blueprint.before_request
def _allow_large_files() -> None:
    """Only the import takes files; it may take up to the tenant's ``import_max_bytes``."""
    if request.endpoint != "customer_imports.import_csv":
        return
    try:
        limit = int(current().settings(PLUGIN_NAME)["import_max_bytes"])
    except RuntimeError:
        return  # no token: the view answers 401 before the body is read
    if request.content_length is not None and request.content_length > limit:
        abort(413, message=text("csv_too_large", limit=limit))
    request.max_content_length = limit


@blueprint.post("/imports")
@require_scope("customers:write")
@blueprint.arguments(CustomerImportArgsSchema, location="query")
@blueprint.arguments(CustomerImportFileSchema, location="files")
@blueprint.response(200, CustomerImportReportSchema)
def import_csv(args: dict[str, Any], files: dict[str, Any]) -> Any:
    """Import customers from a CSV file (form field ``file``; columns name, email, phone,
    chat_ids, external_ids, tier, tags, locale). Rows are upserts by contact point. Any bad row
    and nothing is imported: 422 with ``errors``, a list of ``{row, column, message}`` (at most
    1,000). ``dry_run=true`` checks and counts without writing."""
    ctx = current()
    upload = files["file"]
    codec = "utf-8-sig" if args["encoding"] == "utf-8" else args["encoding"]  # a BOM is allowed
    # Closing the text stream closes the upload (a temporary file once it passed 500 KB).
    with io.TextIOWrapper(upload.stream, encoding=codec, newline="") as lines:
        report = import_customers(
            ctx.session, lines, max_rows=int(ctx.settings(PLUGIN_NAME)["import_max_rows"]),
            dry_run=args["dry_run"], publish=ctx.publish, encoding=args["encoding"],
        )
    if report.errors:
        ctx.session.rollback()
        shown = len(report.errors)
        detail = text("import_failed", count=f"{shown}+" if shown >= MAX_ERRORS else str(shown))
        abort(422, message=detail,
              messages=[{"row": e.row, "column": e.column, "message": e.message} for e in report.errors])
    if not report.dry_run:
        ctx.audit("customers.imported", "customer_import", report.id,
                  after={"rows": report.rows, "created": report.created, "updated": report.updated})
        ctx.session.commit()
    return report
