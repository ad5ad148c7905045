"""HTTP views of saved views (``/views``) and the tickets each one lists."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select

from ccokit.plugins.ticketing.models.views import SavedView
from ccokit.plugins.ticketing.routes.conventions import Blueprint, refuse
from ccokit.plugins.ticketing.schemas.listing import decode_cursor
from ccokit.plugins.ticketing.schemas.tickets import TicketPageSchema
from ccokit.plugins.ticketing.schemas.views import (
    ViewOutSchema,
    ViewPageSchema,
    ViewPatchSchema,
    ViewQuerySchema,
    ViewSchema,
    ViewTicketsArgsSchema,
)
from ccokit.plugins.ticketing.services import views
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit_sdk.plugin import abort, current, page_of, parse_public_id, require_scope

blueprint = Blueprint("ticketing_views", __name__, description="Saved ticket views (视图)")


def _load(view_id: str) -> SavedView:
    ctx = current()
    view = ctx.session.get(SavedView, (ctx.tenant_id, parse_public_id("view", view_id)))
    if view is None:
        abort(404)
    return view


@blueprint.get("/views")
@require_scope("tickets:read")
@blueprint.arguments(ViewQuerySchema, location="query")
@blueprint.response(200, ViewPageSchema)
def list_views(args: dict[str, Any]) -> Any:
    page = page_of(current().session, select(SavedView), SavedView.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/views")
@require_scope("tickets:write")
@blueprint.arguments(ViewSchema)
@blueprint.response(201, ViewOutSchema)
def create_view(data: dict[str, Any]) -> Any:
    ctx = current()
    view = views.create_view(ctx.session, data, ctx.principal.member_id)
    ctx.session.commit()
    return view


@blueprint.get("/views/<view_id>")
@require_scope("tickets:read")
@blueprint.response(200, ViewOutSchema)
def get_view(view_id: str) -> Any:
    return _load(view_id)


@blueprint.patch("/views/<view_id>")
@require_scope("tickets:write")
@blueprint.arguments(ViewPatchSchema)
@blueprint.response(200, ViewOutSchema)
def update_view(data: dict[str, Any], view_id: str) -> Any:
    session = current().session
    view = views.update_view(session, _load(view_id), data)
    session.commit()
    return view


@blueprint.delete("/views/<view_id>")
@require_scope("tickets:write")
@blueprint.response(204)
def delete_view(view_id: str) -> None:
    session = current().session
    session.delete(_load(view_id))
    session.commit()


@blueprint.get("/views/<view_id>/tickets")
@require_scope("tickets:read")
@blueprint.arguments(ViewTicketsArgsSchema, location="query")
@blueprint.response(200, TicketPageSchema)
def view_tickets(args: dict[str, Any], view_id: str) -> Any:
    """The view's tickets, a keyset page at a time, exactly as ``GET /tickets`` would list them."""
    view = _load(view_id)
    if args["cursor"]:
        try:
            sort = decode_cursor(args["cursor"])[0]
        except ma.ValidationError:
            sort = None
        if sort != view.sort:
            abort(422, messages={"cursor": ["Not a valid cursor."]})
    try:
        page = views.view_page(current().session, view, limit=args["limit"], cursor=args["cursor"])
    except Invalid as exc:
        refuse(exc)
    return {"items": page.items, "next_cursor": page.next_cursor}
