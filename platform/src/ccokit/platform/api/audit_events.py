"""The workspace's audit log, for its admins: who changed what, when, from where.

Rows are written by the admin routes themselves (see :mod:`ccokit.platform.audit.recorder`) and
are never changed or removed through the API. Lists run oldest first like every list; pass
``since`` to start from a point in time.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate
from sqlalchemy import select

from ccokit.platform.audit.models import AuditEvent
from ccokit_sdk.pagination import CursorArgsSchema, page_of
from ccokit_sdk.plugin import current, parse_public_id, require_scope
from ccokit_sdk.schemas import PublicIdField

__all__ = ["blueprint"]

blueprint = Blueprint(
    "audit_events", __name__, url_prefix="/api/v1/audit-events", description="Audit log of the workspace"
)


class AuditQuerySchema(CursorArgsSchema):
    action = fields.String(validate=validate.Length(1, 100), metadata={"example": "member.created"})
    target_type = fields.String(validate=validate.Length(1, 50), metadata={"example": "member"})
    target_id = fields.String(validate=validate.Length(1, 200))
    actor = fields.String(
        validate=validate.Length(1, 100),
        metadata={"description": "A member's id (mem_…) or an app's client id (cli_…)."},
    )
    since = fields.AwareDateTime(metadata={"description": "Only events at or after this time."})
    until = fields.AwareDateTime(metadata={"description": "Only events before this time."})

    @ma.validates_schema
    def _check_range(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ma.ValidationError("Must be later than since.", "until")


class ActorSchema(ma.Schema):
    type = fields.String(metadata={"description": "member, client or system"})
    id = fields.String(metadata={"description": "mem_… for a member, the client id for an app"})
    client_id = fields.String(allow_none=True, metadata={"description": "the app the change came through"})


class TargetSchema(ma.Schema):
    type = fields.String()
    id = fields.String()


class AuditEventSchema(ma.Schema):
    id = PublicIdField("aud")
    occurred_at = fields.AwareDateTime()
    action = fields.String()
    actor = fields.Nested(ActorSchema)
    target = fields.Nested(TargetSchema)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditEventPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_cursor = fields.String(allow_none=True)


def _shown(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "action": event.action,
        "actor": {"type": event.actor_type, "id": event.actor_id, "client_id": event.client_id},
        "target": {"type": event.target_type, "id": event.target_id},
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "request_id": event.request_id,
    }


@blueprint.get("")
@require_scope("audit:read")
@blueprint.arguments(AuditQuerySchema, location="query")
@blueprint.response(200, AuditEventPageSchema)
def list_audit_events(args: dict[str, Any]) -> Any:
    """Administrative changes of the workspace, oldest first, filtered by the query."""
    stmt = select(AuditEvent)
    for name, column in (
        ("action", AuditEvent.action),
        ("target_type", AuditEvent.target_type),
        ("target_id", AuditEvent.target_id),
        ("actor", AuditEvent.actor_id),
    ):
        if args.get(name):
            stmt = stmt.where(column == args[name])
    if args.get("since"):
        stmt = stmt.where(AuditEvent.occurred_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(AuditEvent.occurred_at < args["until"])
    page = page_of(current().session, stmt, AuditEvent.id, args)
    return {"items": [_shown(e) for e in page.items], "next_cursor": page.next_cursor}


@blueprint.get("/<event_id>")
@require_scope("audit:read")
@blueprint.response(200, AuditEventSchema)
def get_audit_event(event_id: str) -> Any:
    """One audit event."""
    event = current().session.get(AuditEvent, (current().tenant_id, parse_public_id("aud", event_id)))
    if event is None:
        abort(404)
    return _shown(event)
