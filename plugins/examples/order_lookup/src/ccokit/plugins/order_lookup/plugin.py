"""Declaration of the order_lookup plugin; it also offers ``order_lookup.find`` to other plugins."""

from __future__ import annotations

from ccokit.plugins.order_lookup import services
from ccokit.plugins.order_lookup.routes import blueprint
from ccokit.plugins.order_lookup.schemas import SettingsSchema
from ccokit_sdk.plugin import Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    ctx.register_blueprint(blueprint)
    # The shop bot and others call this with the tenant's settings: settings -> order or error.
    ctx.provide("order_lookup.find", services.find_order)


plugin = Plugin(
    name="order_lookup",
    version="0.1.0",
    title={"en": "Order look-up", "zh": "订单查询"},
    description={
        "en": "Agents see an order's status and shipping from the merchant's own order system.",
        "zh": "客服直接从商家自己的订单系统查看订单状态和物流。",
    },
    setup=setup,
    scopes=(Scope("order_lookup:read", "Look orders up in the merchant's order system", "agent"),),
    settings_schema=SettingsSchema,
    default_enabled=False,
)
