"""Business rules of quick replies: uniqueness of shortcuts, the library cap, rendering.

Functions take the tenant-scoped session explicitly and own the commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.quick_replies.models import QuickReply
from ccokit_sdk.ids import encode_public_id

#: ``current().publish``: records an event in the caller's transaction.
Publish = Callable[[str, Mapping[str, Any]], Any]

GREETINGS = {
    "zh": ("/hello", "问候", "您好，{customer_name}！请问有什么可以帮您？"),
    "en": ("/hello", "Greeting", "Hello {customer_name}, how can I help you today?"),
}


_PLACEHOLDER = re.compile(r"\{(\w{1,40})\}")


class ShortcutTaken(Exception):
    """Another quick reply of the tenant already uses this shortcut."""


class LibraryFull(Exception):
    """The tenant's ``max_replies`` setting is reached."""


def list_query(args: Mapping[str, Any]) -> Select[Any]:
    stmt = select(QuickReply)
    if args.get("language"):
        stmt = stmt.where(QuickReply.language == args["language"])
    if args.get("q"):
        pattern = f"%{args['q']}%"
        stmt = stmt.where(or_(QuickReply.title.ilike(pattern), QuickReply.body.ilike(pattern)))
    return stmt


def get_reply(session: Session, tenant_id: uuid.UUID, reply_id: uuid.UUID) -> QuickReply | None:
    return session.get(QuickReply, (tenant_id, reply_id))


def _announce(publish: Publish, event_type: str, reply: QuickReply) -> None:
    publish(event_type, {
        "id": encode_public_id("qr", reply.id), "shortcut": reply.shortcut, "title": reply.title,
    })


def create_reply(
    session: Session, data: Mapping[str, Any], settings: Mapping[str, Any], publish: Publish
) -> QuickReply:
    count = session.scalar(select(func.count()).select_from(QuickReply)) or 0
    if count >= settings["max_replies"]:
        raise LibraryFull(settings["max_replies"])
    reply = QuickReply(
        shortcut=data["shortcut"],
        title=data["title"],
        body=data["body"],
        language=data.get("language") or settings["default_language"],
        tags=sorted(set(data.get("tags") or [])),
    )
    session.add(reply)
    _flush(session)
    _announce(publish, "quick_reply.created", reply)
    _commit(session)
    return reply


def update_reply(
    session: Session, reply: QuickReply, changes: Mapping[str, Any], publish: Publish
) -> QuickReply:
    for key, value in changes.items():
        setattr(reply, key, sorted(set(value)) if key == "tags" else value)
    _flush(session)
    _announce(publish, "quick_reply.updated", reply)
    _commit(session)
    return reply


def delete_reply(session: Session, reply: QuickReply, publish: Publish) -> None:
    _announce(publish, "quick_reply.deleted", reply)
    session.delete(reply)
    session.commit()


def render_reply(session: Session, reply: QuickReply, variables: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; unknown ones stay as written. Counts the use."""
    text = _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), reply.body)
    session.execute(
        update(QuickReply).where(QuickReply.id == reply.id).values(usage_count=QuickReply.usage_count + 1)
    )
    session.commit()
    return text


def seed_greeting(session: Session, language: str) -> None:
    shortcut, title, body = GREETINGS.get(language, GREETINGS["zh"])
    session.add(QuickReply(shortcut=shortcut, title=title, body=body, language=language, tags=[]))


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ShortcutTaken from exc


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ShortcutTaken from exc
