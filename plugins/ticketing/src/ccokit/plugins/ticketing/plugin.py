"""The ticketing plugin declaration: scopes, tables and wiring."""

from __future__ import annotations

from pathlib import Path

from ccokit.plugins.ticketing.models import custom_fields, tickets, views  # noqa: F401  (tables)
from ccokit.plugins.ticketing.models.base import Base
from ccokit_sdk.plugin import Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    """Wiring only; the routes and services arrive with the tickets."""


plugin = Plugin(
    name="ticketing",
    version="0.1.0",
    title={"en": "Ticketing", "zh": "工单"},
    description={
        "en": "Tickets with comments, custom fields, SLA clocks, rules, views and search.",
        "zh": "工单：评论、自定义字段、SLA 时钟、规则、视图与搜索。",
    },
    setup=setup,
    scopes=(
        Scope("tickets:read", "Read tickets, comments and views", "agent"),
        Scope("tickets:write", "Create and change tickets and comments", "agent"),
    ),
    metadata=Base.metadata,
    migrations=str(Path(__file__).parent / "migrations" / "versions"),
)
