"""HTTP views of ticket groups (``/groups``): the teams tickets are assigned to.

Groups are the workspace's configuration, so every change goes to the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ccokit.plugins.ticketing.models.tickets import TicketGroup
from ccokit.plugins.ticketing.routes.conventions import Blueprint, refuse
from ccokit.plugins.ticketing.schemas.groups import (
    GroupPageSchema,
    GroupPatchSchema,
    GroupQuerySchema,
    GroupSchema,
)
from ccokit.plugins.ticketing.services import groups
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit_sdk.plugin import abort, current, encode_public_id, page_of, parse_public_id, require_scope

blueprint = Blueprint("ticketing_groups", __name__, description="Ticket groups (工单分组)")


def _audit(
    action: str, group: TicketGroup, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    target = encode_public_id("grp", group.id)
    current().audit(f"ticket_group.{action}", "ticket_group", target, before=before, after=after)


def _snapshot(group: TicketGroup) -> dict[str, Any]:
    return {"name": group.name, "description": group.description}


def _load(group_id: str) -> TicketGroup:
    ctx = current()
    group = ctx.session.get(TicketGroup, (ctx.tenant_id, parse_public_id("grp", group_id)))
    if group is None:
        abort(404)
    return group


@blueprint.get("/groups")
@require_scope("tickets:read")
@blueprint.arguments(GroupQuerySchema, location="query")
@blueprint.response(200, GroupPageSchema)
def list_groups(args: dict[str, Any]) -> Any:
    page = page_of(current().session, select(TicketGroup), TicketGroup.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/groups")
@require_scope("tickets:write")
@blueprint.arguments(GroupSchema)
@blueprint.response(201, GroupSchema)
def create_group(data: dict[str, Any]) -> Any:
    session = current().session
    try:
        group = groups.create_group(session, data)
    except Invalid as exc:
        refuse(exc, 409)
    _audit("created", group, None, _snapshot(group))
    session.commit()
    return group


@blueprint.get("/groups/<group_id>")
@require_scope("tickets:read")
@blueprint.response(200, GroupSchema)
def get_group(group_id: str) -> Any:
    return _load(group_id)


@blueprint.patch("/groups/<group_id>")
@require_scope("tickets:write")
@blueprint.arguments(GroupPatchSchema)
@blueprint.response(200, GroupSchema)
def update_group(data: dict[str, Any], group_id: str) -> Any:
    session = current().session
    group = _load(group_id)
    before = _snapshot(group)
    try:
        groups.update_group(session, group, data)
    except Invalid as exc:
        session.rollback()
        refuse(exc, 409)
    _audit("updated", group, before, _snapshot(group))
    session.commit()
    return group


@blueprint.delete("/groups/<group_id>")
@require_scope("tickets:write")
@blueprint.response(204)
def delete_group(group_id: str) -> None:
    session = current().session
    group = _load(group_id)
    before = _snapshot(group)
    try:
        groups.delete_group(session, group)
    except groups.GroupInUse:
        abort(409, message="tickets that are not closed still use this group; move them first")
    _audit("deleted", group, before, None)
    session.commit()
