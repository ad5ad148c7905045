"""Macros: a named list of actions an agent applies to a ticket in one click.

Applying a macro is one write as far as anyone can tell: the field changes go through one
``update_ticket(..., via="macro")`` and each reply or note through ``add_comment``, all as the
agent who applied it, in the request's transaction; then the trigger cycle runs once over the
whole of it (not once per part). A preview plans the same actions and shows the ticket as it
would be, writing nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.rules import Macro
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.schemas.tickets import TicketSchema
from ccokit.plugins.ticketing.services.changes import Actor, Publish
from ccokit.plugins.ticketing.services.rules import ticket_view
from ccokit.plugins.ticketing.services.rules.actions import plan_actions, validate_actions
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors
from ccokit.plugins.ticketing.services.rules.triggers import on_ticket_changed, rules_acting

__all__ = ["apply_macro", "preview_macro", "validate_macro"]


def validate_macro(session: Session, data: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Check a macro's actions against the workspace's custom fields; raises ``RuleInvalid``."""
    errors = RuleErrors(locale)
    actions = validate_actions(data.get("actions"), ticket_view.custom_field_specs(session), errors)
    errors.raise_if_any()
    return {"actions": actions}


def apply_macro(
    session: Session, ticket: Ticket, macro: Macro, *, actor: Actor, publish: Publish, now: datetime
) -> Ticket:
    """Apply ``macro`` to ``ticket`` as ``actor``, then run the triggers once; raises the core's
    ``Invalid`` when the ticket refuses a change (nothing is kept then: the caller rolls back)."""
    before = ticket_view.snapshot(ticket)
    with rules_acting(session):
        added = ticket_view.apply_actions(
            session, ticket, macro.actions, rule=("macro", macro), now=now, publish=publish, actor=actor
        )
    session.execute(update(Macro).where(Macro.id == macro.id).values(usage_count=Macro.usage_count + 1))
    write = ticket_view.combined_write(
        session, ticket, before, added, actor=actor, via="macro", publish=publish
    )
    if write.changes or write.comment is not None:
        on_ticket_changed(write)
    return ticket


def preview_macro(session: Session, ticket: Ticket, macro: Macro, *, now: datetime) -> dict[str, Any]:
    """What ``macro`` would do to ``ticket``: the ticket in the API's shape with the changes
    applied, the changes, the comments and the notifications. Nothing is written."""
    snapshot = ticket_view.snapshot(ticket)
    plan = plan_actions(macro.actions, snapshot, now, lambda: ticket_view.placeholders(ticket))
    would_be = TicketSchema().dump(ticket)
    for name, value in plan.changes.items():
        if name == "custom_fields":
            merged = {**would_be["custom_fields"], **value}
            would_be["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
        else:
            would_be[name] = value
    return {
        "ticket": would_be,
        "changes": plan.changes,
        "comments": [{"body": body, "public": public} for body, public in plan.comments],
        "notifications": plan.notifications,
    }
