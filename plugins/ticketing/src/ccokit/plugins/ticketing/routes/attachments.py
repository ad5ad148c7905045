"""HTTP views of ticket attachments: ask for an upload, complete it, list, read, delete.

The file itself never passes through these views: ``POST …/attachments`` answers with a signed
upload (to S3, or to the platform's own link on local disk) that the caller sends the file to,
then ``POST …/attachments/{id}/complete`` checks what arrived. Reading one attachment gives a
fresh short-lived download link. The ticket in the URL is loaded first, so another tenant's (or
a made-up) ticket or attachment answers 404 whatever the body says.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ccokit.plugins.ticketing.models.attachments import Attachment
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.routes.conventions import Blueprint, refuse
from ccokit.plugins.ticketing.routes.tickets import with_ticket
from ccokit.plugins.ticketing.schemas.attachments import (
    AttachmentCreateSchema,
    AttachmentDetailSchema,
    AttachmentListArgsSchema,
    AttachmentPageSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
)
from ccokit.plugins.ticketing.services import attachments
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit_sdk.pagination import page_of
from ccokit_sdk.plugin import abort, current, parse_public_id, require_scope

__all__ = ["blueprint"]

PLUGIN_NAME = "ticketing"

blueprint = Blueprint(
    "ticketing_attachments", __name__,
    description="Ticket attachments: signed uploads straight to storage, checked, then downloadable",
)


def with_attachment(view: Callable[..., Any]) -> Callable[..., Any]:
    """After :func:`with_ticket`: the URL's ``attachment_id`` as an attachment of that ticket
    (404 otherwise); the view gets ``attachment=``."""

    @functools.wraps(view)
    def wrapper(*args: Any, ticket: Ticket, attachment_id: str, **kwargs: Any) -> Any:
        found = attachments.find_attachment(current().session, ticket, parse_public_id("att", attachment_id))
        if found is None:
            abort(404)
        return view(*args, ticket=ticket, attachment=found, **kwargs)

    return wrapper


def _commit(action: Callable[[], Any], status: int = 422) -> Any:
    session = current().session
    try:
        result = action()
    except Invalid as exc:
        session.rollback()
        refuse(exc, status)
    session.commit()
    return result


@blueprint.post("/tickets/<ticket_id>/attachments")
@require_scope("tickets:write")
@with_ticket
@blueprint.arguments(AttachmentCreateSchema)
@blueprint.response(201, AttachmentUploadSchema)
def create_attachment(data: dict[str, Any], ticket: Ticket) -> Any:
    """Declare a file (name, type, size in bytes) and get where to upload it.

    The type must be on the workspace's list (setting ``attachment_types``) and the size within
    the plan's per-file limit (422 otherwise). Send the file as ``upload`` says before
    ``upload.expires_at``, then call ``complete``.
    """
    ctx = current()

    def start() -> Any:
        return attachments.start_upload(
            ctx.session, ticket, data, blobs=ctx.blobs, settings=ctx.settings(PLUGIN_NAME),
            created_by=ctx.principal.member_id,
        )

    attachment, upload = _commit(start)
    return _Shown(attachment, upload=upload)


@blueprint.post("/tickets/<ticket_id>/attachments/<attachment_id>/complete")
@require_scope("tickets:write")
@with_ticket
@with_attachment
@blueprint.response(200, AttachmentSchema)
def complete_attachment(ticket: Ticket, attachment: Attachment) -> Any:
    """Check the uploaded file against the declaration and mark the attachment stored
    (``attachment.added``); 409 when nothing, or another size or type, arrived."""
    ctx = current()
    return _commit(
        lambda: attachments.complete_upload(
            ctx.session, ticket, attachment, blobs=ctx.blobs, publish=ctx.publish
        ),
        status=409,
    )


@blueprint.get("/tickets/<ticket_id>/attachments")
@require_scope("tickets:read")
@with_ticket
@blueprint.arguments(AttachmentListArgsSchema, location="query")
@blueprint.response(200, AttachmentPageSchema)
def list_attachments(args: dict[str, Any], ticket: Ticket) -> Any:
    """The ticket's attachments, oldest first (``status``, ``comment_id`` narrow the list)."""
    page = page_of(current().session, attachments.attachments_query(ticket.id, args), Attachment.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.get("/tickets/<ticket_id>/attachments/<attachment_id>")
@require_scope("tickets:read")
@with_ticket
@with_attachment
@blueprint.response(200, AttachmentDetailSchema)
def get_attachment(ticket: Ticket, attachment: Attachment) -> Any:
    """The attachment with a download link valid for a few minutes (null while pending)."""
    download = attachments.download_link(attachment, blobs=current().blobs)
    return _Shown(
        attachment,
        download_url=download.url if download else None,
        download_expires_at=download.expires_at if download else None,
    )


@blueprint.delete("/tickets/<ticket_id>/attachments/<attachment_id>")
@require_scope("tickets:write")
@with_ticket
@with_attachment
@blueprint.response(204)
def delete_attachment(ticket: Ticket, attachment: Attachment) -> None:
    """Remove the attachment and its file (``attachment.deleted`` if it was stored)."""
    ctx = current()
    key = _commit(lambda: attachments.delete_attachment(ctx.session, ticket, attachment, publish=ctx.publish))
    ctx.blobs.delete(key)  # after the commit: a failed request keeps both row and file


class _Shown:
    """An attachment with extra attributes for its response schema."""

    def __init__(self, attachment: Attachment, **extra: Any) -> None:
        self._attachment = attachment
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._attachment, name)
