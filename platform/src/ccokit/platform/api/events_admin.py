"""The workspace's event log: what was published, who processed it, what is parked; replay.

An event that a handler could not process after its last try is parked; an admin fixes the
cause (a plugin's settings, the merchant's system) and replays it here.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate
from sqlalchemy import select

from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.events.delivery import replay
from ccokit.platform.events.models import EventDelivery, OutboxEvent, ProcessedEvent
from ccokit.platform.kernel import current_kernel
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.pagination import CursorArgsSchema, page_of
from ccokit_sdk.plugin import current, parse_public_id, require_scope
from ccokit_sdk.schemas import PublicIdField

blueprint = Blueprint("events", __name__, url_prefix="/api/v1/events", description="Event log")


class EventQuerySchema(CursorArgsSchema):
    status = fields.String(validate=validate.OneOf(["pending", "completed", "parked"]))
    type = fields.String(validate=validate.Length(1, 100))


class HandlerStateSchema(ma.Schema):
    handler = fields.String()
    status = fields.String(metadata={"description": "processed, retrying or parked"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)


class EventSummarySchema(ma.Schema):
    id = PublicIdField("evt")
    type = fields.String()
    payload = fields.Dict()
    occurred_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)


class EventDetailSchema(EventSummarySchema):
    handlers = fields.List(fields.Nested(HandlerStateSchema))


class EventPageSchema(ma.Schema):
    items = fields.List(fields.Nested(EventSummarySchema))
    next_cursor = fields.String(allow_none=True)


def _detail(event: OutboxEvent) -> dict[str, Any]:
    session = current().session
    processed_names = session.scalars(
        select(ProcessedEvent.handler).where(ProcessedEvent.event_id == event.id)
    )
    handlers: list[dict[str, Any]] = [
        {"handler": name, "status": "processed", "attempts": None, "last_error": None,
         "next_attempt_at": None}
        for name in processed_names
    ]
    processed = {h["handler"] for h in handlers}
    for d in session.scalars(select(EventDelivery).where(EventDelivery.event_id == event.id)):
        if d.handler not in processed:
            handlers.append({
                "handler": d.handler, "status": d.status, "attempts": d.attempts,
                "last_error": d.last_error, "next_attempt_at": d.next_attempt_at,
            })
    return {**{c: getattr(event, c) for c in ("id", "type", "payload", "occurred_at", "completed_at")},
            "handlers": handlers}


def _load(event_id: str) -> OutboxEvent:
    event = current().session.get(OutboxEvent, (current().tenant_id, parse_public_id("evt", event_id)))
    if event is None:
        abort(404)
    return event


@blueprint.get("")
@require_scope("tenant:admin")
@blueprint.arguments(EventQuerySchema, location="query")
@blueprint.response(200, EventPageSchema)
def list_events(args: dict[str, Any]) -> Any:
    """Events of the workspace, oldest first; ``status=parked`` lists what needs attention."""
    stmt = select(OutboxEvent)
    if args.get("type"):
        stmt = stmt.where(OutboxEvent.type == args["type"])
    status = args.get("status")
    if status == "pending":
        stmt = stmt.where(OutboxEvent.completed_at.is_(None))
    elif status == "completed":
        stmt = stmt.where(OutboxEvent.completed_at.is_not(None))
    elif status == "parked":
        parked = select(EventDelivery.event_id).where(EventDelivery.status == "parked")
        stmt = stmt.where(OutboxEvent.id.in_(parked))
    page = page_of(current().session, stmt, OutboxEvent.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.get("/<event_id>")
@require_scope("tenant:admin")
@blueprint.response(200, EventDetailSchema)
def get_event(event_id: str) -> Any:
    """One event with the state of every handler that saw it."""
    return _detail(_load(event_id))


@blueprint.post("/<event_id>/replay")
@require_scope("tenant:admin")
@blueprint.response(200, EventDetailSchema)
def replay_event(event_id: str) -> Any:
    """Give every parked handler of the event a fresh set of tries; 409 if none is parked."""
    event = _load(event_id)
    parked_handlers = select(EventDelivery.handler).where(
        EventDelivery.event_id == event.id, EventDelivery.status == "parked"
    )
    parked = list(current().session.scalars(parked_handlers))
    if not parked:
        abort(409, message="no handler of this event is parked")
    current().session.close()
    kernel = current_kernel()
    replayed = [h for h in parked if replay(kernel, current().tenant_id, event.id, h)]
    # Each handler is replayed in its own transaction; the audit row follows the last of them.
    target = encode_public_id("evt", event.id)
    record_audit(current().session, "event.replayed", "event", target, after={"handlers": replayed})
    current().session.commit()
    return _detail(_load(event_id))
