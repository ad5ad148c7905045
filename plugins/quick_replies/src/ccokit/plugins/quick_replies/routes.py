"""HTTP views of quick replies: thin, one success schema each."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ccokit.plugins.quick_replies import services
from ccokit.plugins.quick_replies.models import QuickReply
from ccokit.plugins.quick_replies.schemas import (
    QuickReplyPageSchema,
    QuickReplyPatchSchema,
    QuickReplyQuerySchema,
    QuickReplySchema,
    RenderArgsSchema,
    RenderedSchema,
)
from ccokit_sdk.plugin import abort, current, page_of, parse_public_id, require_scope

blueprint = Blueprint("quick_replies", __name__, description="Quick replies (快捷短语) for agents")
PLUGIN_NAME = "quick_replies"


def _load(reply_id: str) -> QuickReply:
    ctx = current()
    reply = services.get_reply(ctx.session, ctx.tenant_id, parse_public_id("qr", reply_id))
    if reply is None:
        abort(404)
    return reply


@blueprint.get("/replies")
@require_scope("quick_replies:read")
@blueprint.arguments(QuickReplyQuerySchema, location="query")
@blueprint.response(200, QuickReplyPageSchema)
def list_replies(args: dict[str, Any]) -> Any:
    page = page_of(current().session, services.list_query(args), QuickReply.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/replies")
@require_scope("quick_replies:write")
@blueprint.arguments(QuickReplySchema)
@blueprint.response(201, QuickReplySchema)
def create_reply(data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        return services.create_reply(ctx.session, data, ctx.settings(PLUGIN_NAME), ctx.publish)
    except services.ShortcutTaken:
        abort(409, messages={"shortcut": ["Another quick reply uses this shortcut."]})
    except services.LibraryFull as exc:
        abort(409, message=f"the library is full ({exc.args[0]} replies); raise max_replies")


@blueprint.get("/replies/<reply_id>")
@require_scope("quick_replies:read")
@blueprint.response(200, QuickReplySchema)
def get_reply(reply_id: str) -> Any:
    return _load(reply_id)


@blueprint.patch("/replies/<reply_id>")
@require_scope("quick_replies:write")
@blueprint.arguments(QuickReplyPatchSchema)
@blueprint.response(200, QuickReplySchema)
def update_reply(data: dict[str, Any], reply_id: str) -> Any:
    reply = _load(reply_id)
    try:
        return services.update_reply(current().session, reply, data, current().publish)
    except services.ShortcutTaken:
        abort(409, messages={"shortcut": ["Another quick reply uses this shortcut."]})


@blueprint.delete("/replies/<reply_id>")
@require_scope("quick_replies:write")
@blueprint.response(204)
def delete_reply(reply_id: str) -> None:
    services.delete_reply(current().session, _load(reply_id), current().publish)


@blueprint.post("/replies/<reply_id>/render")
@require_scope("quick_replies:read")
@blueprint.arguments(RenderArgsSchema)
@blueprint.response(200, RenderedSchema)
def render_reply(data: dict[str, Any], reply_id: str) -> Any:
    """The reply's text with ``{placeholders}`` filled, ready to send; counts one use."""
    reply = _load(reply_id)
    return {"id": reply.id, "text": services.render_reply(current().session, reply, data["variables"])}
