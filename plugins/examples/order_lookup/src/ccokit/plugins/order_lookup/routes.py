"""The agent-facing view: one order by its number."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ccokit.plugins.order_lookup import services
from ccokit.plugins.order_lookup.schemas import ORDER_NUMBER, OrderSchema
from ccokit_sdk.plugin import abort, current, require_scope

blueprint = Blueprint("order_lookup", __name__, description="Where is my order? (订单查询)")


@blueprint.get("/orders/<order_number>")
@require_scope("order_lookup:read")
@blueprint.response(200, OrderSchema)
@blueprint.alt_response(502, description="The order system is down or answered nonsense")
@blueprint.alt_response(504, description="The order system was too slow")
def get_order(order_number: str) -> Any:
    """The order's status and shipping, straight from the merchant's order system."""
    try:
        ORDER_NUMBER(order_number)
    except Exception:
        abort(422, messages={"order_number": ["1-64 letters, digits, - or _."]})
    ctx = current()
    try:
        return services.find_order(ctx.settings("order_lookup"), order_number, locale=ctx.locale)
    except services.LookupFailed as exc:
        abort(exc.status, message=str(exc), messages=exc.errors)
