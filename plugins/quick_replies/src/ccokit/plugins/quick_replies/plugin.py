"""The quick-replies plugin declaration: scopes, settings, tables and wiring."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from ccokit.plugins.quick_replies import services
from ccokit.plugins.quick_replies.models import Base
from ccokit.plugins.quick_replies.routes import blueprint
from ccokit.plugins.quick_replies.schemas import QuickReplyEventSchema, SettingsSchema
from ccokit_sdk.plugin import EventType, Plugin, PluginContext, Scope, hookimpl


def setup(ctx: PluginContext) -> None:
    ctx.register_blueprint(blueprint)


class Hooks:
    """Seeds a greeting in the workspace's language, so a new merchant sees how replies work."""

    @staticmethod
    @hookimpl
    def ccokit_tenant_provisioned(tenant_id: uuid.UUID, session: Any, plan: str, locale: str) -> None:
        services.seed_greeting(session, locale)


plugin = Plugin(
    name="quick_replies",
    version="0.1.0",
    title={"en": "Quick replies", "zh": "快捷短语"},
    description={
        "en": "A shared library of canned answers agents insert with a shortcut.",
        "zh": "客服通过快捷指令插入的共享常用回复库。",
    },
    setup=setup,
    scopes=(
        Scope("quick_replies:read", "Read and use quick replies", "agent"),
        Scope("quick_replies:write", "Create, change and delete quick replies", "supervisor"),
    ),
    settings_schema=SettingsSchema,
    metadata=Base.metadata,
    migrations=str(Path(__file__).parent / "migrations" / "versions"),
    hooks=Hooks,
    events=(
        EventType("quick_reply.created", QuickReplyEventSchema, "A quick reply was added."),
        EventType("quick_reply.updated", QuickReplyEventSchema, "A quick reply's text changed."),
        EventType("quick_reply.deleted", QuickReplyEventSchema, "A quick reply was removed."),
    ),
)
