"""The routing plugin declaration: scopes, tables and wiring.

Configuration (groups, queues, agents), conversations with offers, transfers and wrap-up, agents'
presence and work, and live queue figures; every decision is the engine's (:mod:`.engine`),
run per workspace in the request's transaction (:mod:`.services.workspace_engine`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ccokit.plugins.routing import jobs
from ccokit.plugins.routing.models import Base
from ccokit.plugins.routing.routes import configuration, conversations
from ccokit.plugins.routing.schemas.events import EVENT_SCHEMAS
from ccokit.plugins.routing.services.peers import PEERS
from ccokit_sdk.plugin import EventType, Plugin, PluginContext, Scope


def setup(ctx: PluginContext) -> None:
    """Wiring only: routes, the alarm and the clock, and the look-up of other plugins' services."""
    ctx.register_blueprint(configuration.blueprint)
    ctx.register_blueprint(conversations.blueprint)
    ctx.job(jobs.alarm, name="alarm")  # workspace_engine.ALARM_JOB
    ctx.every(timedelta(minutes=1), jobs.clock, name="clock")
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
    events=tuple(EventType(name, schema, text) for name, (schema, text) in EVENT_SCHEMAS.items()),
)
