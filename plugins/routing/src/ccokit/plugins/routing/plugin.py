"""The routing plugin declaration: its scopes and wiring.

The engine (:mod:`.engine`) is in place and property-tested; the plugin is not yet announced
through the ``ccokit.plugins`` entry point, so no workspace sees it until its routes, tables
and dispatcher land.
"""

from __future__ import annotations

from ccokit_sdk.plugin import Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    """Wiring only (routes, jobs and services join as they land)."""


plugin = Plugin(
    name="routing",
    version="0.1.0",
    title={"en": "Routing", "zh": "排队分流"},
    description={
        "en": "Queues with skills, priority, capacity and overflow; honest positions and waits.",
        "zh": "技能、优先级、容量与溢出的排队分流；如实告知排队位置与等待时间。",
    },
    setup=setup,
    scopes=(
        Scope("routing:read", "Read queues, conversations and live queue statistics", "agent"),
        Scope("routing:write", "Create conversations and change queues and agents", "supervisor"),
        Scope("routing:agent", "Act as an agent: presence, accept, decline, complete, transfer", "agent"),
    ),
)
