"""Triggers: checked after every ticket create or update, in the same transaction.

The core calls :func:`on_ticket_changed` at the end of each write (see
:mod:`ccokit.plugins.ticketing.services.changes`). The cycle, Zendesk's with a hard stop:

1. Load the workspace's active triggers in run order (``position``, then age).
2. A *pass* walks that list; each trigger that has not fired in this cycle and whose conditions
   hold against the ticket *as it is now* fires at once: its actions go through the core's
   ``update_ticket``/``add_comment`` with ``via="trigger"`` and the trigger as the actor (history
   shows both), so the triggers after it see its changes.
3. A pass in which something fired is followed by another pass over the triggers that have not
   fired yet (an earlier one may hold now); a pass in which nothing fired ends the cycle.
4. Each trigger fires at most once per cycle, so a cycle ends by itself: two triggers that undo
   each other fire once each. As a second guard a cycle stops after :data:`MAX_PASSES` passes,
   with a logged warning and an internal note on the ticket.

The writes the actions make call the listeners again; a session-local flag makes those nested
calls return at once, so a trigger never starts a cycle of its own. A trigger whose action the
ticket refuses (a closed ticket, a status it cannot move to, a group since deleted) is undone in a
savepoint, logged and counted as fired; the write that started the cycle still succeeds.

"Changed in this update" (``changed``, ``changed_to``, ``changed_from``, ``update.changed``)
covers the original write and every trigger that fired before in the cycle; ``comment.*`` is the
comment of the original write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.rules import AutomationFiring, Trigger
from ccokit.plugins.ticketing.services.changes import TicketWrite
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit.plugins.ticketing.services.rules import ticket_view
from ccokit.plugins.ticketing.services.rules.actions import validate_actions
from ccokit.plugins.ticketing.services.rules.conditions import TRIGGER, matches, validate_conditions
from ccokit.plugins.ticketing.services.rules.messages import RuleErrors
from ccokit_sdk.models import cached_configuration, utcnow

__all__ = ["MAX_PASSES", "in_cycle", "on_ticket_changed", "rules_acting", "run_triggers", "validate_trigger"]

log = logging.getLogger(__name__)

MAX_PASSES = 10
_ACTING = "ticketing.rules.acting"


def validate_trigger(session: Session, data: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Check a trigger's conditions and actions against the workspace's custom fields; returns
    them normalised or raises ``RuleInvalid`` with every problem at its path."""
    errors = RuleErrors(locale)
    custom = ticket_view.custom_field_specs(session)
    conditions = validate_conditions(data.get("conditions"), TRIGGER, custom, errors)
    if not errors and not (conditions["all"] or conditions["any"]):
        errors.add("conditions", "no_conditions")
    actions = validate_actions(data.get("actions"), custom, errors)
    errors.raise_if_any()
    return {"conditions": conditions, "actions": actions}


def in_cycle(session: Session) -> bool:
    """Whether rules are acting on a ticket in this session right now."""
    return bool(session.info.get(_ACTING))


@contextmanager
def rules_acting(session: Session) -> Iterator[None]:
    """While rules act, the writes they make do not start trigger cycles of their own."""
    outer = session.info.get(_ACTING)
    session.info[_ACTING] = True
    try:
        yield
    finally:
        if not outer:
            session.info.pop(_ACTING, None)


def on_ticket_changed(write: TicketWrite) -> None:
    """The core's listener: forget automation firings when the ticket changed for another
    reason than an automation, then run the trigger cycle (not from inside rules' own writes)."""
    if in_cycle(write.session):
        return
    if write.via != "automation" and not write.created:  # a new ticket has no firings yet
        write.session.execute(delete(AutomationFiring).where(AutomationFiring.ticket_id == write.ticket.id))
    run_triggers(write, now=utcnow())


@dataclass(frozen=True)
class ActiveTrigger:
    """What running a trigger needs of an active :class:`Trigger`: a copy shared by the requests
    of a process through the configuration cache (its conditions and actions are only read)."""

    id: uuid.UUID
    title: str
    conditions: Mapping[str, Any]
    actions: tuple[Mapping[str, Any], ...]


def _ordered_active(session: Session) -> tuple[ActiveTrigger, ...]:
    return cached_configuration(session, "ticketing.active_triggers", _load_active)


def _load_active(session: Session) -> tuple[ActiveTrigger, ...]:
    rows = session.scalars(
        select(Trigger).where(Trigger.active.is_(True)).order_by(Trigger.position, Trigger.id)
    )
    return tuple(
        ActiveTrigger(id=t.id, title=t.title, conditions=t.conditions or {}, actions=tuple(t.actions or []))
        for t in rows
    )


def run_triggers(write: TicketWrite, *, now: datetime) -> list[uuid.UUID]:
    """Run the trigger cycle for one write; returns the ids of the triggers that fired, in order."""
    session, ticket = write.session, write.ticket
    triggers = _ordered_active(session)
    if not triggers:
        return []
    kinds = ticket_view.custom_kinds(session)
    before: dict[str, Any] = {name: old for name, (old, _new) in write.changes.items()}
    changed = set(write.changes)
    fired: list[uuid.UUID] = []
    with rules_acting(session):
        for _ in range(MAX_PASSES):
            progressed = False
            facts = None
            for trigger in triggers:
                if trigger.id in fired:
                    continue
                if facts is None:
                    facts = ticket_view.trigger_facts(
                        session, ticket, write, before=before, changed=changed, kinds=kinds
                    )
                if not matches(trigger.conditions, facts):
                    continue
                fired.append(trigger.id)
                progressed = True
                old = ticket_view.snapshot(ticket)
                if not _fire(session, ticket, trigger, now=now, write=write):
                    continue
                facts = None
                for name, value in ticket_view.diff(old, ticket_view.snapshot(ticket)).items():
                    before.setdefault(name, value)
                    changed.add(name)
            if not progressed:
                break
        else:
            if any(t.id not in fired for t in triggers):
                _stop(session, ticket, fired, write=write)
    return fired


def _fire(
    session: Session, ticket: Any, trigger: ActiveTrigger, *, now: datetime, write: TicketWrite
) -> bool:
    """Apply one trigger's actions in a savepoint; whether the ticket took them."""
    try:
        with session.begin_nested():
            ticket_view.apply_actions(
                session, ticket, trigger.actions, rule=("trigger", trigger), now=now, publish=write.publish
            )
    except Invalid as exc:  # the savepoint is rolled back and the ticket reloads on next use
        log.warning(
            "trigger %s could not act on ticket %s: %s",
            ticket_view.public_rule_id("trigger", trigger.id), ticket_view.snapshot(ticket)["id"], exc.errors,
        )
        return False
    return True


def _stop(session: Session, ticket: Any, fired: list[uuid.UUID], *, write: TicketWrite) -> None:
    """The cycle ran :data:`MAX_PASSES` passes and could go on: stop, say so where people look."""
    log.warning(
        "triggers stopped on ticket %s after %d passes; fired: %s",
        ticket_view.snapshot(ticket)["id"], MAX_PASSES,
        ", ".join(ticket_view.public_rule_id("trigger", i) for i in fired),
    )
    if ticket.status != "closed":
        ticket_view.add_system_note(
            session, ticket, "loop_cap_note", via="trigger", publish=write.publish, passes=MAX_PASSES
        )
