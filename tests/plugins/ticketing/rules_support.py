"""Shared helpers of the rules tests: a workspace's session, tickets through the core's write
path, rules saved through the rules services, and the events the writes published."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.models.rules import Automation, Trigger
from ccokit.plugins.ticketing.models.tickets import Comment, Ticket, TicketChange
from ccokit.plugins.ticketing.services import changes, tickets
from ccokit.plugins.ticketing.services.changes import Actor
from ccokit.plugins.ticketing.services.rules import store, triggers
from ccokit.plugins.ticketing.services.rules.automations import validate_automation
from ccokit.tenants.database import TenantSession

AGENT = Actor("agent", uuid.uuid4(), "Agent Li")


@dataclass
class Published:
    """What the writes published, recorded instead of written to the outbox."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, event_type: str, payload: Any) -> uuid.UUID:
        self.events.append((event_type, dict(payload)))
        return uuid.uuid4()

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [p for t, p in self.events if t == event_type]


def listen() -> None:
    """The trigger listener, as ``setup`` registers it (once)."""
    if triggers.on_ticket_changed not in changes.on_ticket_changed:
        changes.on_ticket_changed.append(triggers.on_ticket_changed)


@contextmanager
def workspace(app: Flask, tenant_id: uuid.UUID) -> Iterator[TenantSession]:
    listen()
    with current_kernel(app).db.transaction(tenant_id) as session:
        yield session


def add_trigger(session: TenantSession, title: str, conditions: Any, actions: Any, **extra: Any) -> Trigger:
    data = {"title": title, "conditions": conditions, "actions": actions, **extra}
    return store.create_rule(session, Trigger, data, triggers.validate_trigger, "en")


def add_automation(session: TenantSession, title: str, conditions: Any, actions: Any) -> Automation:
    data = {"title": title, "conditions": conditions, "actions": actions}
    return store.create_rule(session, Automation, data, validate_automation, "en")


def new_ticket(session: TenantSession, publish: Published, **data: Any) -> Ticket:
    return tickets.create_ticket(
        session, {"subject": "Kettle arrived broken", **data}, actor=AGENT, via="api", publish=publish
    )


def change(session: TenantSession, ticket: Ticket, publish: Published, **changes_: Any) -> None:
    tickets.update_ticket(session, ticket, changes_, actor=AGENT, via="api", publish=publish)


def comments_of(session: TenantSession, ticket: Ticket) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id)))


def history_of(session: TenantSession, ticket: Ticket, field_name: str, via: str = "trigger") -> list[TicketChange]:
    """The history rows of one field written through ``via``, oldest first."""
    stmt = select(TicketChange).where(
        TicketChange.ticket_id == ticket.id, TicketChange.field == field_name, TicketChange.via == via
    )
    return list(session.scalars(stmt.order_by(TicketChange.id)))


def cond(field_name: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field_name, "operator": operator, "value": value}


def set_(field_name: str, value: Any) -> dict[str, Any]:
    return {"action": "set", "field": field_name, "value": value}


def tags(action: str, *values: str) -> dict[str, Any]:
    return {"action": action, "value": list(values)}
