"""The ticketing plugin declaration: scopes, tables, events and wiring."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from ccokit.plugins.ticketing import jobs
from ccokit.plugins.ticketing.models import attachments, custom_fields, rules, sla, tickets, views  # noqa: F401  (tables)
from ccokit.plugins.ticketing.models.base import Base
from ccokit.plugins.ticketing.routes import attachments as attachment_routes
from ccokit.plugins.ticketing.routes import custom_fields as field_routes
from ccokit.plugins.ticketing.routes import groups as group_routes
from ccokit.plugins.ticketing.routes import rules as rule_routes
from ccokit.plugins.ticketing.routes import search as search_routes
from ccokit.plugins.ticketing.routes import sla as sla_routes
from ccokit.plugins.ticketing.routes import tickets as ticket_routes
from ccokit.plugins.ticketing.routes import views as view_routes
from ccokit.plugins.ticketing.schemas import events as payloads
from ccokit.plugins.ticketing.schemas.attachments import AttachmentEventSchema
from ccokit.plugins.ticketing.schemas.rules import RuleNotifiedEventSchema
from ccokit.plugins.ticketing.schemas.settings import SettingsSchema
from ccokit.plugins.ticketing.schemas.sla import SlaBreachedEventSchema
from ccokit.plugins.ticketing.services import changes, customer_events, other_plugins
from ccokit.plugins.ticketing.services.rules import defaults as default_rules
from ccokit.plugins.ticketing.services.rules import triggers
from ccokit.plugins.ticketing.services.search import index as search_index
from ccokit.plugins.ticketing.services.sla import calendars, clocks
from ccokit_sdk.plugin import EventType, Plugin, PluginContext, Scope, hookimpl


def setup(ctx: PluginContext) -> None:
    """Wiring only: routes, the customers plugin's services and events."""
    for routes in (
        ticket_routes, group_routes, field_routes, view_routes, sla_routes, rule_routes, attachment_routes,
    ):
        ctx.register_blueprint(routes.blueprint)
    ctx.register_blueprint(search_routes.blueprint)
    search_index.listen()  # the search index follows every flush of tickets and comments
    ctx.job(search_index.reindex_job, name="search_reindex")
    other_plugins.use_services(ctx.service)  # customers.resolve, .get and .tier, when installed
    if clocks.track_write not in changes.on_ticket_changed:
        changes.on_ticket_changed.append(clocks.track_write)
    # Triggers listen last: the clocks see the original write before any trigger's.
    if triggers.on_ticket_changed not in changes.on_ticket_changed:
        changes.on_ticket_changed.append(triggers.on_ticket_changed)
    ctx.every(timedelta(minutes=5), jobs.run_automations, name="automations")
    ctx.every(timedelta(minutes=1), jobs.sweep_sla_breaches, name="sla_breaches")
    ctx.every(timedelta(hours=1), jobs.purge_abandoned_attachments, name="purge_abandoned_attachments")
    for event_type, handler in (
        ("customer.merged", customer_events.on_customer_merged),
        ("customer.erased", customer_events.on_customer_erased),
        ("customer.tier_changed", clocks.on_customer_tier_changed),
    ):
        # Without the customers plugin nobody declares these events: there are no profiles to follow.
        with contextlib.suppress(LookupError):
            ctx.subscribe(event_type, handler, name=f"ticketing.{event_type.replace('.', '_')}")


class Hooks:
    """What ticketing does when a workspace signs up."""

    @staticmethod
    @hookimpl
    def ccokit_tenant_provisioned(tenant_id: uuid.UUID, session: Any, plan: str, locale: str) -> None:
        calendars.seed_default_calendar(session, locale)
        default_rules.seed_defaults(session, locale)


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
        Scope(
            "tickets:admin",
            "Configure ticketing: custom fields, business-hours calendars, SLA policies, macros, triggers, "
            "automations",
            "admin",
        ),
    ),
    settings_schema=SettingsSchema,
    metadata=Base.metadata,
    migrations=str(Path(__file__).parent / "migrations" / "versions"),
    hooks=Hooks,
    events=(
        EventType("ticket.created", payloads.TicketEvent, "A ticket was opened (any channel, any via)."),
        EventType(
            "ticket.updated", payloads.TicketUpdatedEvent,
            "Fields of a ticket changed; `changes` holds each field's old and new value.",
        ),
        EventType("ticket.solved", payloads.TicketEvent, "A ticket's status became solved."),
        EventType(
            "ticket.closed", payloads.TicketClosedEvent,
            "A ticket was closed (final); `merged_into_id` is set when a merge closed it.",
        ),
        EventType("ticket.reopened", payloads.TicketEvent, "A solved ticket became open again."),
        EventType(
            "ticket.merged", payloads.TicketMergedEvent,
            "Tickets were merged into `ticket`; `source_ids` were closed into it.",
        ),
        EventType(
            "ticket.assigned", payloads.TicketAssignedEvent,
            "A ticket's assignee or group was set or changed (also on creation).",
        ),
        EventType(
            "comment.added", payloads.CommentAddedEvent,
            "A reply or an internal note was added to a ticket.",
        ),
        EventType(
            "attachment.added", AttachmentEventSchema,
            "A file was uploaded to a ticket and checked (size and type as declared).",
        ),
        EventType("attachment.deleted", AttachmentEventSchema, "A stored file of a ticket was removed."),
        EventType(
            "ticket.rule_notified", RuleNotifiedEventSchema,
            "A macro, trigger or automation ran its notify_webhook action on a ticket; subscribe a "
            "webhook endpoint to it to have the merchant's own systems act (e.g. pay a refund).",
        ),
        EventType(
            "sla.breached", SlaBreachedEventSchema,
            "An SLA clock of a ticket (first reply, next reply or resolution) passed its due time "
            "unmet; published once per clock.",
        ),
    ),
)
