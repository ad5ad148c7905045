"""The rules of ticket attachments: what may be uploaded, checking what arrived, who refers to it.

An attachment is made in two steps so that files never pass through ccokit's web processes:

1. :func:`start_upload` checks the declared file (type against the workspace's allow-list, size
   against the plan and the workspace's own limit, the ticket still open), records it
   ``pending`` and asks the blob storage for a signed upload of exactly that many bytes of that
   type (S3 enforces both itself; so does the platform's own link on local disk);
2. :func:`complete_upload` looks at what the storage holds (``stat``) and marks the attachment
   ``stored`` only when size and type match the declaration, publishing ``attachment.added``.

A comment refers to stored attachments of its ticket (:func:`link_to_comment`). Pending
attachments nobody completed are removed after :data:`PENDING_LIFETIME` with their blobs
(:func:`purge_abandoned`). Functions flush and publish; the caller commits.

Refusals are :class:`~.messages.Invalid` with messages from this module's catalogue, in English
and Chinese, keyed by the field that caused them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.attachments import Attachment
from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.services.changes import Publish
from ccokit.plugins.ticketing.services.messages import Invalid, Message
from ccokit_sdk.blobs import BlobQuotaExceeded, Blobs, BlobTooLarge, PresignedUpload
from ccokit_sdk.ids import encode_public_id, new_id
from ccokit_sdk.models import utcnow

__all__ = [
    "DOWNLOAD_SECONDS",
    "MESSAGES",
    "PENDING_LIFETIME",
    "UPLOAD_SECONDS",
    "Download",
    "attachment_payload",
    "attachments_query",
    "complete_upload",
    "delete_attachment",
    "download_link",
    "find_attachment",
    "is_allowed",
    "link_to_comment",
    "purge_abandoned",
    "start_upload",
]

#: How long a signed upload may start (a slow line still finishes a started upload).
UPLOAD_SECONDS = 15 * 60
#: How long a download link works; the API hands out a new one on every read.
DOWNLOAD_SECONDS = 5 * 60
#: A pending attachment older than this was abandoned.
PENDING_LIFETIME = timedelta(hours=24)
#: At most this many attachments per comment.
MAX_PER_COMMENT = 20

MESSAGES: dict[str, dict[str, str]] = {
    "type_refused": {
        "en": "Files of type {type} are not accepted here; allowed: {allowed}.",
        "zh": "此处不接受 {type} 类型的文件；允许：{allowed}。",
    },
    "too_large": {"en": "At most {limit} bytes per file.", "zh": "每个文件最多 {limit} 字节。"},
    "storage_full": {
        "en": "The workspace's file storage is full ({limit} bytes on its plan).",
        "zh": "商家空间的文件存储已满（套餐共 {limit} 字节）。",
    },
    "ticket_closed": {
        "en": "This ticket is closed; it takes no more files.",
        "zh": "该工单已关闭，不能再添加文件。",
    },
    "not_uploaded": {
        "en": "Nothing has been uploaded for this attachment yet.",
        "zh": "该附件尚未上传任何内容。",
    },
    "size_mismatch": {
        "en": "The uploaded file has {actual} bytes, not the {declared} declared; upload it again.",
        "zh": "上传的文件为 {actual} 字节，而不是声明的 {declared} 字节；请重新上传。",
    },
    "type_mismatch": {
        "en": "The uploaded file is {actual}, not the {declared} declared; upload it again.",
        "zh": "上传的文件类型为 {actual}，而不是声明的 {declared}；请重新上传。",
    },
    "unknown_attachment": {
        "en": "No attachment of this ticket has the id {id}.",
        "zh": "该工单没有编号为 {id} 的附件。",
    },
    "not_stored": {
        "en": "Attachment {id} is not uploaded yet; complete it first.",
        "zh": "附件 {id} 尚未上传完成；请先完成上传。",
    },
    "other_comment": {
        "en": "Attachment {id} already belongs to another comment.",
        "zh": "附件 {id} 已属于另一条评论。",
    },
    "too_many": {"en": "At most {limit} attachments per comment.", "zh": "每条评论最多 {limit} 个附件。"},
}


@dataclass(frozen=True)
class _Said(Message):
    """A refusal worded by this module's catalogue (ticketing's :func:`~.messages.render` reads it)."""

    def text(self, locale: str) -> str:
        entry = MESSAGES[self.key]
        return (entry.get(locale) or entry["en"]).format(**self.values)


def _refuse(field: str, key: str, **values: Any) -> Invalid:
    return Invalid({field: [_Said(key, values)]})


@dataclass(frozen=True)
class Download:
    """A short-lived link to a stored attachment's file."""

    url: str
    expires_at: datetime


def _essence(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_allowed(content_type: str, patterns: Sequence[str]) -> bool:
    """Whether ``content_type`` matches one of ``patterns`` (``image/png`` or ``image/*``)."""
    essence = _essence(content_type)
    family = essence.split("/", 1)[0]
    return any(p == essence or p == f"{family}/*" for p in patterns)


def attachment_payload(attachment: Attachment, ticket: Ticket) -> dict[str, Any]:
    """The payload of ``attachment.added`` and ``attachment.deleted``."""
    return {
        "id": encode_public_id("att", attachment.id),
        "ticket_id": encode_public_id("tkt", ticket.id),
        "ticket_number": ticket.number,
        "comment_id": encode_public_id("cmt", attachment.comment_id) if attachment.comment_id else None,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }


def attachments_query(ticket_id: uuid.UUID, args: Mapping[str, Any]) -> Select[Any]:
    """A ticket's attachments, for :func:`ccokit_sdk.pagination.page_of` (oldest first)."""
    stmt = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if args.get("status"):
        stmt = stmt.where(Attachment.status == args["status"])
    if args.get("comment_id"):
        stmt = stmt.where(Attachment.comment_id == args["comment_id"])
    return stmt


def find_attachment(session: Session, ticket: Ticket, attachment_id: uuid.UUID) -> Attachment | None:
    """The attachment ``attachment_id`` if it belongs to ``ticket`` (of the session's tenant)."""
    attachment = session.get(Attachment, (ticket.tenant_id, attachment_id))
    return attachment if attachment is not None and attachment.ticket_id == ticket.id else None


def _limit(blobs: Blobs, settings: Mapping[str, Any]) -> int:
    own = settings.get("attachment_max_bytes")
    return min(blobs.max_upload_bytes, own) if own else blobs.max_upload_bytes


def start_upload(
    session: Session,
    ticket: Ticket,
    data: Mapping[str, Any],
    *,
    blobs: Blobs,
    settings: Mapping[str, Any],
    created_by: uuid.UUID | None,
) -> tuple[Attachment, PresignedUpload]:
    """Record a pending attachment of ``data`` (``filename``, ``content_type``, ``size``) and
    sign its upload; raises :class:`Invalid` for a refused type, size, or a closed ticket."""
    if ticket.status == "closed":
        raise _refuse("ticket", "ticket_closed")
    allowed = settings.get("attachment_types") or []
    if not is_allowed(data["content_type"], allowed):
        raise _refuse("content_type", "type_refused", type=_essence(data["content_type"]),
                      allowed=", ".join(allowed))
    limit = _limit(blobs, settings)
    if data["size"] > limit:
        raise _refuse("size", "too_large", limit=limit)
    attachment_id = new_id()
    attachment = Attachment(
        id=attachment_id, ticket_id=ticket.id, filename=data["filename"],
        content_type=data["content_type"], size=data["size"], status="pending",
        storage_key=f"tickets/{encode_public_id('tkt', ticket.id)}/{encode_public_id('att', attachment_id)}",
        created_by=created_by, created_at=utcnow(),
    )
    try:
        upload = blobs.presign_upload(
            attachment.storage_key, content_type=attachment.content_type, max_bytes=attachment.size,
            expires_in=UPLOAD_SECONDS,
        )
    except BlobTooLarge as exc:
        raise _refuse("size", "too_large", limit=exc.limit) from None
    except BlobQuotaExceeded as exc:
        raise _refuse("size", "storage_full", limit=exc.limit) from None
    session.add(attachment)
    session.flush()
    return attachment, upload


def complete_upload(
    session: Session, ticket: Ticket, attachment: Attachment, *, blobs: Blobs, publish: Publish
) -> Attachment:
    """Mark ``attachment`` stored if the storage holds the declared file; publishes
    ``attachment.added`` once (completing a stored attachment again changes nothing).

    A file of another size or type than declared is removed from the storage and refused, so a
    storage that does not enforce an upload's policy cannot slip a larger file past the plan.
    """
    if attachment.status == "stored":
        return attachment
    info = blobs.stat(attachment.storage_key)
    if info is None:
        raise _refuse("file", "not_uploaded")
    if info.size != attachment.size:
        blobs.delete(attachment.storage_key)
        raise _refuse("file", "size_mismatch", actual=info.size, declared=attachment.size)
    if info.content_type and _essence(info.content_type) != _essence(attachment.content_type):
        blobs.delete(attachment.storage_key)
        raise _refuse("file", "type_mismatch", actual=_essence(info.content_type),
                      declared=_essence(attachment.content_type))
    attachment.status = "stored"
    attachment.stored_at = utcnow()
    session.flush()
    publish("attachment.added", attachment_payload(attachment, ticket))
    return attachment


def download_link(attachment: Attachment, *, blobs: Blobs) -> Download | None:
    """A fresh download link of a stored attachment (``None`` while it is pending)."""
    if attachment.status != "stored":
        return None
    url = blobs.presign_download(
        attachment.storage_key, filename=attachment.filename, content_type=attachment.content_type,
        expires_in=DOWNLOAD_SECONDS,
    )
    return Download(url=url, expires_at=utcnow() + timedelta(seconds=DOWNLOAD_SECONDS))


def delete_attachment(session: Session, ticket: Ticket, attachment: Attachment, *, publish: Publish) -> str:
    """Remove the attachment's row (``attachment.deleted`` if it was stored); returns the blob's
    key, for the caller to delete once the transaction committed."""
    if ticket.status == "closed":
        raise _refuse("ticket", "ticket_closed")
    if attachment.status == "stored":
        publish("attachment.deleted", attachment_payload(attachment, ticket))
    session.delete(attachment)
    session.flush()
    return attachment.storage_key


def link_to_comment(
    session: Session, ticket: Ticket, comment: Comment, attachment_ids: Sequence[uuid.UUID]
) -> list[Attachment]:
    """Attach stored attachments of ``ticket`` to its new ``comment``; raises :class:`Invalid`
    (field ``attachment_ids``) naming each id that is unknown, pending or another comment's."""
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_PER_COMMENT:
        raise _refuse("attachment_ids", "too_many", limit=MAX_PER_COMMENT)
    found = {
        a.id: a for a in session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket.id, Attachment.id.in_(ids))
        )
    } if ids else {}
    problems: list[Message] = []
    for attachment_id in ids:
        public = encode_public_id("att", attachment_id)
        attachment = found.get(attachment_id)
        if attachment is None:
            problems.append(_Said("unknown_attachment", {"id": public}))
        elif attachment.status != "stored":
            problems.append(_Said("not_stored", {"id": public}))
        elif attachment.comment_id not in (None, comment.id):
            problems.append(_Said("other_comment", {"id": public}))
    if problems:
        raise Invalid({"attachment_ids": problems})
    for attachment_id in ids:
        found[attachment_id].comment_id = comment.id
    session.flush()
    return [found[i] for i in ids]


def purge_abandoned(session: Session, *, blobs: Blobs, now: datetime) -> int:
    """Remove pending attachments older than :data:`PENDING_LIFETIME` and whatever was uploaded
    for them; returns how many. Blobs go first: a blob without its row would use storage nobody
    can see, while a row without its blob is only removed again on the next run."""
    stale = session.scalars(
        select(Attachment)
        .where(Attachment.status == "pending", Attachment.created_at < now - PENDING_LIFETIME)
        .limit(500)
    ).all()
    for attachment in stale:
        blobs.delete(attachment.storage_key)
        session.delete(attachment)
    session.flush()
    return len(stale)
