"""How rules see a ticket and change it: the one place that speaks the core's write path.

Rules see a ticket in the API's vocabulary (``assignee_id`` as ``mem_…``, times in ISO 8601,
``custom_fields`` by key), which is also how the core describes a write
(:class:`~ccokit.plugins.ticketing.services.changes.TicketWrite`), so "changed in this update"
needs no translation. Rules change a ticket only through
:func:`~ccokit.plugins.ticketing.services.tickets.update_ticket` and
:func:`~ccokit.plugins.ticketing.services.comments.add_comment`, so history rows, events, status
rules and the other listeners hold for them as for anyone; a trigger or automation acts as the
``system`` actor carrying the rule's id and title, which the history shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.services import custom_fields
from ccokit.plugins.ticketing.services.changes import Actor, Publish, TicketWrite
from ccokit.plugins.ticketing.services.comments import add_comment
from ccokit.plugins.ticketing.services.other_plugins import service
from ccokit.plugins.ticketing.services.payloads import api_value, public, ticket_summary
from ccokit.plugins.ticketing.services.rules import vocabulary as v
from ccokit.plugins.ticketing.services.rules.actions import plan_actions
from ccokit.plugins.ticketing.services.rules.conditions import CustomFieldSpec, Facts
from ccokit.plugins.ticketing.services.rules.messages import text
from ccokit.plugins.ticketing.services.tickets import update_ticket
from ccokit_sdk.ids import decode_public_id, encode_public_id

__all__ = [
    "Publish",
    "Rule",
    "add_system_note",
    "apply_actions",
    "automation_facts",
    "combined_write",
    "custom_field_specs",
    "custom_kinds",
    "diff",
    "notification",
    "public_rule_id",
    "snapshot",
    "trigger_facts",
]

#: ``(kind, rule)``: ``("trigger", Trigger)``, ``("automation", Automation)``, ``("macro", Macro)``.
Rule = tuple[str, Any]

_PREFIX = {"macro": "mac", "trigger": "trg", "automation": "aut"}
_CUSTOM_KINDS = {
    "text": "text", "number": "number", "date": "date", "dropdown": "enum", "multi_select": "multi",
    "checkbox": "boolean",
}
_SNAPSHOT_FIELDS = (
    "subject", "status", "priority", "category", "channel", "assignee_id", "group_id", "customer_id",
    "tags", "due_at",
)
_TIMES = ("created_at", "updated_at", "solved_at", "status_changed_at")
_ATTRIBUTES = {"assignee_id": "assignee_member_id"}

def public_rule_id(kind: str, value: uuid.UUID) -> str:
    """A rule's public id: ``mac_…``, ``trg_…`` or ``aut_…``."""
    return encode_public_id(_PREFIX[kind], value)


# -- seeing ----------------------------------------------------------------------------------


def custom_field_specs(session: Session) -> dict[str, CustomFieldSpec]:
    """The workspace's active custom fields as rules type them."""
    return {
        key: CustomFieldSpec(
            key, _CUSTOM_KINDS[field.type], tuple(str(o["value"]) for o in field.options or [])
        )
        for key, field in custom_fields.definitions(session).items()
        if field.active and field.type in _CUSTOM_KINDS
    }


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The ticket as rules see it (API names and forms; ``custom_fields`` as a mapping)."""
    values = {
        name: api_value(name, getattr(ticket, _ATTRIBUTES.get(name, name))) for name in _SNAPSHOT_FIELDS
    }
    values.update({name: api_value(name, getattr(ticket, name)) for name in _TIMES})
    values["id"] = public("ticket", ticket.id)
    values["number"] = ticket.number
    values["custom_fields"] = dict(ticket.custom_fields or {})
    values["tags"] = list(ticket.tags or [])
    return values


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value differs between two snapshots, with the old value (custom fields
    as ``custom_fields.<key>``, as the core names them in a write)."""
    changed: dict[str, Any] = {}
    for name in _SNAPSHOT_FIELDS:
        if old.get(name) != new.get(name):
            changed[name] = old.get(name)
    old_custom, new_custom = old.get("custom_fields") or {}, new.get("custom_fields") or {}
    for key in set(old_custom) | set(new_custom):
        if old_custom.get(key) != new_custom.get(key):
            changed[f"custom_fields.{key}"] = old_custom.get(key)
    return changed


def custom_kinds(session: Session) -> dict[str, str]:
    """Custom field key to the kind of its values, for evaluating conditions."""
    return {key: spec.kind for key, spec in custom_field_specs(session).items()}


def _tier_facts(session: Session, ticket: Ticket) -> dict[str, Callable[[], Any]]:
    """``requester.tier`` and ``requester.tier_rank``, asked of the customers plugin on first use
    (absent when the plugin is not installed or the ticket has no customer)."""
    cache: dict[str, Any] = {}

    def tier() -> Any:
        if "tier" not in cache:
            lookup = service("customers.tier")
            cache["tier"] = lookup(session, ticket.customer_id) if lookup and ticket.customer_id else None
        return cache["tier"]

    return {
        "requester.tier": lambda: getattr(tier(), "key", None),
        "requester.tier_rank": lambda: getattr(tier(), "rank", None),
    }


def trigger_facts(
    session: Session,
    ticket: Ticket,
    write: TicketWrite,
    *,
    before: Mapping[str, Any],
    changed: set[str],
    kinds: Mapping[str, str],
) -> Facts:
    """What a trigger sees: the ticket now, what this update changed, its comment and via."""
    comment: Comment | None = write.comment
    extra: dict[str, Any] = {
        "update.via": write.via,
        "update.type": "created" if write.created else "updated",
        "comment.body": comment.body if comment is not None else None,
        "comment.public": comment.public if comment is not None else None,
        "comment.author_kind": comment.author_kind if comment is not None else None,
    }
    return Facts(
        values=snapshot(ticket), before=before, changed=frozenset(changed), extra=extra,
        lazy=_tier_facts(session, ticket), custom_kinds=kinds,
    )


def automation_facts(session: Session, ticket: Ticket, now: datetime, kinds: Mapping[str, str]) -> Facts:
    """What an automation sees: the ticket now and the hours since each of its moments."""
    extra: dict[str, Any] = {}
    for moment, column in v.HOURS_SINCE.items():
        at = getattr(ticket, column)
        extra[f"hours_since.{moment}"] = None if at is None else (now - at).total_seconds() / 3600
    return Facts(values=snapshot(ticket), extra=extra, lazy=_tier_facts(session, ticket), custom_kinds=kinds)


def placeholders(ticket: Ticket) -> dict[str, str]:
    return {
        "ticket.number": str(ticket.number),
        "ticket.id": public("ticket", ticket.id) or "",
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "requester.name": ticket.requester_name or "",
    }


# -- changing --------------------------------------------------------------------------------


def rule_actor(rule: Rule) -> Actor:
    """Triggers and automations act as the system, named by the rule (history keeps the id)."""
    _, row = rule
    return Actor("system", row.id, row.title)


def _core_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A plan's changes as ``update_ticket`` takes them (ids decoded, times parsed)."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("assignee_id", "group_id") and value is not None:
            value = decode_public_id(v.MEMBER_PREFIX if name == "assignee_id" else v.GROUP_PREFIX, value)
        elif name == "due_at" and value is not None:
            value = datetime.fromisoformat(value)
        out[name] = value
    return out


def apply_actions(
    session: Session,
    ticket: Ticket,
    actions: Sequence[Mapping[str, Any]],
    *,
    rule: Rule,
    now: datetime,
    publish: Publish,
    actor: Actor | None = None,
) -> list[Comment]:
    """Apply a rule's actions to ``ticket``: one ``update_ticket`` for the field changes, one
    ``add_comment`` per reply or note, one ``ticket.rule_notified`` per notification. Raises the
    core's ``Invalid`` when the ticket refuses a change. Returns the comments added."""
    kind, row = rule
    plan = plan_actions(actions, snapshot(ticket), now, lambda: placeholders(ticket))
    who = actor or rule_actor(rule)
    if plan.changes:
        update_ticket(session, ticket, _core_changes(plan.changes), actor=who, via=kind, publish=publish)
    added = []
    for body, public_reply in plan.comments:
        data: dict[str, Any] = {"body": body, "public": public_reply}
        if actor is None:  # a trigger or automation writes as the system, notes signed by the rule
            data.update(author_kind="system", author_name="" if public_reply else row.title)
        added.append(add_comment(session, ticket, data, actor=who, via=kind, publish=publish))
    for message in plan.notifications:
        publish("ticket.rule_notified", notification(rule, ticket, message))
    return added


def combined_write(
    session: Session,
    ticket: Ticket,
    before: Mapping[str, Any],
    comments: Sequence[Comment],
    *,
    actor: Actor,
    via: str,
    publish: Publish,
) -> TicketWrite:
    """Several writes rules made to one ticket as the one write they amount to (``before`` is
    the ticket's snapshot before the first), for running the triggers once over all of them."""
    after = snapshot(ticket)
    changes = {name: (old, _value_of(after, name)) for name, old in diff(before, after).items()}
    comment = next((c for c in comments if c.public), comments[0] if comments else None)
    return TicketWrite(session, ticket, changes, actor, via, publish, comment=comment)


def _value_of(values: Mapping[str, Any], name: str) -> Any:
    if name.startswith("custom_fields."):
        return (values.get("custom_fields") or {}).get(name.removeprefix("custom_fields."))
    return values.get(name)


def notification(rule: Rule, ticket: Ticket, message: str) -> dict[str, Any]:
    """The payload of ``ticket.rule_notified``."""
    kind, row = rule
    summary = ticket_summary(ticket)
    return {
        "rule": {"id": public_rule_id(kind, row.id), "kind": kind, "title": row.title},
        "ticket": {
            "id": summary["id"], "number": summary["number"], "subject": summary["subject"],
            "status": summary["status"], "priority": summary["priority"], "category": summary["category"],
            "tags": summary["tags"], "custom_fields": dict(ticket.custom_fields or {}),
        },
        "message": message,
    }


def add_system_note(
    session: Session, ticket: Ticket, key: str, *, via: str, publish: Publish, **values: Any
) -> None:
    """An internal note from ccokit itself, in Chinese and English (a rule runs for no one reader)."""
    body = text(key, "zh", **values) + "\n\n" + text(key, "en", **values)
    add_comment(
        session, ticket, {"body": body, "public": False, "author_kind": "system", "author_name": "ccokit"},
        actor=Actor("system", name="ccokit"), via=via, publish=publish,
    )
