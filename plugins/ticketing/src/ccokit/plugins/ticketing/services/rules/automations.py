"""Automations: time-based rules, checked periodically over the workspace's open tickets.

An automation must be able to stop by itself, or it is refused when saved:

- at least one ``hours_since.*`` condition under ``all`` (it is about time passing);
- one of its actions makes one of its ``all`` conditions false on the ticket it acted on
  (``status is solved`` → ``set status closed``; ``tags not_contains reminded`` →
  ``add_tags reminded``), see :func:`~.actions.self_limiting`.

Each firing is also recorded (``ticket_automation_firings``): an automation acts on a ticket at
most once until the ticket changes for another reason than an automation (the trigger listener
then forgets the ticket's firings). Closed and merged tickets are never looked at.

:func:`run_automations` is the periodic job's body: for each active automation in order, the
candidates come from one indexed query (status, category, priority, channel, assignee and group
conditions, and every ``hours_since`` condition become SQL; tickets it already fired on are left
out), read in batches by id; every condition is then checked on each candidate. The actions go
through the core's write path with ``via="automation"``, then the triggers run once on each
ticket. A run stops after :data:`MAX_FIRINGS` firings; the rest wait for the next run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.rules import Automation, AutomationFiring
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services.changes import Publish
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit.plugins.ticketing.services.rules import ticket_view
from ccokit.plugins.ticketing.services.rules import vocabulary as v
from ccokit.plugins.ticketing.services.rules.actions import self_limiting, validate_actions
from ccokit.plugins.ticketing.services.rules.conditions import AUTOMATION, matches, validate_conditions
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors
from ccokit.plugins.ticketing.services.rules.triggers import on_ticket_changed, rules_acting
from ccokit_sdk.ids import decode_public_id

__all__ = ["BATCH", "MAX_FIRINGS", "MAX_SCANNED", "candidates", "run_automations", "validate_automation"]

log = logging.getLogger(__name__)

#: Tickets read per query.
BATCH = 200
#: Tickets looked at per automation per run (candidates whose other conditions do not hold).
MAX_SCANNED = 5000
#: Firings per run, over all automations; the rest wait for the next run.
MAX_FIRINGS = 500

_COLUMNS = {
    "status": Ticket.status, "priority": Ticket.priority, "category": Ticket.category,
    "channel": Ticket.channel,
}
_IDS = {
    "assignee_id": (Ticket.assignee_member_id, v.MEMBER_PREFIX),
    "group_id": (Ticket.group_id, v.GROUP_PREFIX),
}


def validate_automation(session: Session, data: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Check an automation, including that it can stop by itself; raises ``RuleInvalid``."""
    errors = RuleErrors(locale)
    custom = ticket_view.custom_field_specs(session)
    conditions = validate_conditions(data.get("conditions"), AUTOMATION, custom, errors)
    actions = validate_actions(data.get("actions"), custom, errors)
    if not errors:
        if not any(c["field"].startswith("hours_since.") for c in conditions["all"]):
            errors.add("conditions.all", "needs_time_condition")
        elif not self_limiting(conditions, actions):
            errors.add("actions", "fires_forever")
    errors.raise_if_any()
    return {"conditions": conditions, "actions": actions}


def _sql(condition: Mapping[str, Any], now: datetime) -> ColumnElement[bool] | None:
    """The SQL form of a condition an index can serve, or ``None`` (checked in Python only)."""
    name, operator, value = condition["field"], condition["operator"], condition.get("value")
    if name.startswith("hours_since."):
        column = getattr(Ticket, v.HOURS_SINCE[name.removeprefix("hours_since.")])
        cutoff = now - timedelta(hours=float(value))
        return {
            "gt": column < cutoff, "gte": column <= cutoff, "lt": column > cutoff, "lte": column >= cutoff,
        }[operator]
    if name in _COLUMNS:
        column = _COLUMNS[name]
        if operator == "is":
            return column == value
        if operator == "in":
            return column.in_(value)
        if operator == "is_not":
            return column != value
        if operator == "not_in":
            return column.not_in(value)
    if name in _IDS:
        column, prefix = _IDS[name]
        if operator == "absent":
            return column.is_(None)
        if operator == "present":
            return column.is_not(None)
        if operator == "is":
            return column == decode_public_id(prefix, value)
    return None


def candidates(automation: Automation, now: datetime) -> Select[Any]:
    """The tickets ``automation`` may act on, as far as SQL can tell (Python checks the rest)."""
    stmt = select(Ticket).where(
        Ticket.status != "closed",
        Ticket.merged_into_id.is_(None),
        ~exists().where(
            AutomationFiring.automation_id == automation.id, AutomationFiring.ticket_id == Ticket.id
        ),
    )
    for condition in automation.conditions.get("all") or ():
        clause = _sql(condition, now)
        if clause is not None:
            stmt = stmt.where(clause)
    return stmt.order_by(Ticket.id).limit(BATCH)


def run_automations(session: Session, *, now: datetime, publish: Publish) -> int:
    """Run every active automation once over the workspace's tickets; returns how many times one
    fired. Never commits (the job that calls it does)."""
    automations = list(session.scalars(
        select(Automation).where(Automation.active.is_(True)).order_by(Automation.position, Automation.id)
    ))
    if not automations:
        return 0
    kinds = ticket_view.custom_kinds(session)
    fired = 0
    for automation in automations:
        stmt = candidates(automation, now)
        last: uuid.UUID | None = None
        scanned = 0
        while scanned < MAX_SCANNED and fired < MAX_FIRINGS:
            batch = list(session.scalars(stmt if last is None else stmt.where(Ticket.id > last)))
            if not batch:
                break
            last, scanned = batch[-1].id, scanned + len(batch)
            for ticket in batch:
                if fired >= MAX_FIRINGS:
                    break
                if matches(automation.conditions, ticket_view.automation_facts(session, ticket, now, kinds)):
                    _fire(session, ticket, automation, now=now, publish=publish)
                    fired += 1
    if fired >= MAX_FIRINGS:
        log.info("automations fired %d times this run; the rest wait for the next run", fired)
    return fired


def _fire(
    session: Session, ticket: Ticket, automation: Automation, *, now: datetime, publish: Publish
) -> None:
    """Act on one ticket in a savepoint, record the firing (even when the ticket refused: it is
    not tried again until it changes), then run the triggers once over what changed."""
    rule = ("automation", automation)
    before = ticket_view.snapshot(ticket)
    added: list[Any] = []
    try:
        with session.begin_nested(), rules_acting(session):
            added = ticket_view.apply_actions(
                session, ticket, automation.actions, rule=rule, now=now, publish=publish
            )
    except Invalid as exc:
        log.warning(
            "automation %s could not act on ticket %s: %s",
            ticket_view.public_rule_id("automation", automation.id), before["id"], exc.errors,
        )
    session.add(AutomationFiring(automation_id=automation.id, ticket_id=ticket.id, fired_at=now))
    session.flush()
    write = ticket_view.combined_write(
        session, ticket, before, added, actor=ticket_view.rule_actor(rule), via="automation", publish=publish
    )
    if write.changes or write.comment is not None:
        on_ticket_changed(write)
