"""The customers plugin declaration: scopes, tables and wiring."""

from __future__ import annotations

from ccokit_sdk.plugin import Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    """Wiring only; the routes and services arrive with the profiles."""


plugin = Plugin(
    name="customers",
    version="0.1.0",
    title={"en": "Customers", "zh": "会员通"},
    description={
        "en": "One profile per shopper across channels, with the merchant's member tiers.",
        "zh": "跨渠道的统一客户档案与商家会员等级。",
    },
    setup=setup,
    scopes=(
        Scope("customers:read", "Read customer profiles", "agent"),
        Scope("customers:write", "Create, change, merge, import and erase customer profiles", "agent"),
    ),
)
