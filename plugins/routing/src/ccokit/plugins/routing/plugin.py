"""The routing plugin declaration: scopes, tables and wiring.

Its configuration (groups, queues, agents) is served; conversations, the dispatcher that runs
the engine (:mod:`.engine`) over them, and the agents' and supervisors' live views come next.
"""

from __future__ import annotations

from pathlib import Path

from ccokit.plugins.routing.models import Base
from ccokit.plugins.routing.routes import configuration
from ccokit.plugins.routing.services.peers import PEERS
from ccokit_sdk.plugin import Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    """Wiring only: routes and the look-up of other plugins' services."""
    ctx.register_blueprint(configuration.blueprint)
    PEERS.use(ctx.service)  # members.get (the platform's), customers.tier when installed


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
    metadata=Base.metadata,
    migrations=str(Path(__file__).parent / "migrations" / "versions"),
)
