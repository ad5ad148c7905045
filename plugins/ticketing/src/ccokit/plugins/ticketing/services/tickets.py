"""The one write path of tickets: create, change, and what every change brings with it.

Whoever changes a ticket (a view, bulk update, merge, a macro, a trigger, an automation, a
handler of another plugin's event) calls :func:`create_ticket` or :func:`update_ticket` here, so
the same rules hold everywhere:

- values are checked (status transitions, the group exists, custom fields against their
  definitions, the requester resolved to a customer) before anything is written, and a refusal
  raises :class:`~.messages.Invalid` naming each field;
- each changed field gets a history row, the ticket's ``version`` and ``updated_at`` move on;
- the events (``ticket.created``, ``ticket.updated`` with old and new values, ``ticket.solved``,
  ``ticket.closed``, ``ticket.reopened``, ``ticket.assigned``) are published in the same
  transaction;
- the listeners of :mod:`.changes` run last, still in that transaction.

Changes are given in the API's vocabulary with ids decoded: ``{"status": "solved",
"assignee_id": UUID, "custom_fields": {"order_amount": 10}, "add_tags": ["vip"]}``. Functions
flush but never commit: the caller (a view, a job, a handler) owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket, TicketGroup
from ccokit.plugins.ticketing.services import custom_fields, history, requesters
from ccokit.plugins.ticketing.services.changes import Actor, Publish, TicketWrite, notify
from ccokit.plugins.ticketing.services.messages import Invalid, Message
from ccokit.plugins.ticketing.services.numbering import next_number
from ccokit.plugins.ticketing.services.other_plugins import service
from ccokit.plugins.ticketing.services.payloads import API_FIELDS, api_value, public, ticket_summary
from ccokit.plugins.ticketing.services.search.index import INSERT_TICKET_AND_SEARCH_ROW, new_ticket_terms
from ccokit_sdk.models import tenant_of, utcnow

__all__ = [
    "INITIAL_STATUSES",
    "TRANSITIONS",
    "VersionMismatch",
    "actor_payload",
    "create_ticket",
    "update_ticket",
    "write_fields",
]

#: Where each status may go. ``closed`` is final; any open state may be solved; a solved ticket
#: is reopened (``open``) or closed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "on_hold", "solved"),
    "open": ("pending", "on_hold", "solved"),
    "pending": ("open", "on_hold", "solved"),
    "on_hold": ("open", "pending", "solved"),
    "solved": ("open", "closed"),
    "closed": (),
}
#: A ticket may be created in any state but closed (a phone call solved on the spot is ``solved``).
INITIAL_STATUSES = ("new", "open", "pending", "on_hold", "solved")
_SCALARS = ("subject", "description", "channel", "category", "priority", "due_at")


class VersionMismatch(Exception):
    """``If-Match`` named a version of the ticket that is no longer current."""


def actor_payload(actor: Actor) -> dict[str, Any]:
    """The actor as events show it (members and customers by public id)."""
    kind = {"agent": "member", "customer": "customer"}.get(actor.kind)
    return {"kind": actor.kind, "id": public(kind, actor.id) if kind else None}


def _group_exists(session: Session, group_id: uuid.UUID) -> bool:
    return session.scalar(select(TicketGroup.id).where(TicketGroup.id == group_id)) is not None


def _check_members(session: Session, wanted: dict[str, list[uuid.UUID]], errors: dict[str, Any]) -> None:
    """Refuse, per field, ids that are not active members of this workspace, with one call of the
    platform's ``members.get`` service (a host without it, as in some unit tests, checks nothing)."""
    ids = {member_id for member_ids in wanted.values() for member_id in member_ids}
    get_members = service("members.get") if ids else None
    if get_members is None:
        return
    found = get_members(session, ids)
    for name, member_ids in wanted.items():
        for member_id in member_ids:
            member = found.get(member_id)
            if member is None or not member.active:
                key = "unknown_member" if member is None else "inactive_member"
                errors[name] = [Message(key, {"id": public("member", member_id)})]
                break


def _collect(errors: dict[str, Any], exc: Invalid) -> None:
    for key, value in exc.errors.items():
        if isinstance(value, dict) and isinstance(errors.get(key), dict):
            errors[key].update(value)
        else:
            errors[key] = value


def _plan(
    session: Session, ticket: Ticket | None, changes: Mapping[str, Any], enforce_transitions: bool
) -> dict[str, Any]:
    """The new value of every API field ``changes`` touches; raises ``Invalid`` for any refusal."""
    errors: dict[str, Any] = {}
    target: dict[str, Any] = {name: changes[name] for name in _SCALARS if name in changes}
    if target.get("due_at") is not None:
        target["due_at"] = target["due_at"].astimezone(UTC)
    current_status = ticket.status if ticket is not None else None

    if "status" in changes:
        status = changes["status"]
        if current_status is None:
            if status not in INITIAL_STATUSES:
                errors["status"] = [Message("transition", {
                    "current": "new", "target": status, "allowed": ", ".join(INITIAL_STATUSES),
                })]
        elif enforce_transitions and status != current_status and status not in TRANSITIONS[current_status]:
            allowed = TRANSITIONS[current_status]
            errors["status"] = [Message("transition", {
                "current": current_status, "target": status, "allowed": ", ".join(allowed) or "-",
            })]
        target["status"] = status
    members: dict[str, list[uuid.UUID]] = {}  # ids to check, by field: one query for all
    if "assignee_id" in changes:
        if changes["assignee_id"] is not None:
            members["assignee_id"] = [changes["assignee_id"]]
        target["assignee_id"] = changes["assignee_id"]
    if "group_id" in changes:
        if changes["group_id"] is not None and not _group_exists(session, changes["group_id"]):
            errors["group_id"] = [Message("unknown_group")]
        target["group_id"] = changes["group_id"]
    if "merged_into_id" in changes:
        target["merged_into_id"] = changes["merged_into_id"]

    for name in ("tags", "followers"):
        if any(key in changes for key in (name, f"add_{name}", f"remove_{name}")):
            as_text = str if name == "followers" else (lambda v: v)
            base = changes[name] if name in changes else (getattr(ticket, name, None) or [])
            values = {as_text(v) for v in base} | {as_text(v) for v in changes.get(f"add_{name}") or []}
            values -= {as_text(v) for v in changes.get(f"remove_{name}") or []}
            target[name] = sorted(values)
            if name == "followers":
                had = set(getattr(ticket, "followers", None) or [])
                members["followers"] = [uuid.UUID(v) for v in sorted(values - had)]
    _check_members(session, members, errors)

    if "custom_fields" in changes or ticket is None:
        try:
            target["custom_fields"] = custom_fields.merge_values(
                custom_fields.definitions(session),
                ticket.custom_fields if ticket is not None else {},
                changes.get("custom_fields") or {},
                creating=ticket is None,
            )
        except Invalid as exc:
            _collect(errors, exc)
    if "requester" in changes:
        try:
            target.update(requesters.resolve(session, changes["requester"] or {}))
        except Invalid as exc:
            _collect(errors, exc)
    if errors:
        raise Invalid(errors)
    return target


def create_ticket(
    session: Session, data: Mapping[str, Any], *, actor: Actor, via: str, publish: Publish
) -> Ticket:
    """Open a ticket from ``data`` (the create schema's fields, ids decoded); returns it flushed.

    Takes the tenant's next number last, so the number's row lock is held only for the rest of
    the transaction.
    """
    target = _plan(session, None, {"status": "new", **data}, enforce_transitions=True)
    tier = requesters.KNOWN_TIER
    known = {tier: target.pop(tier)} if tier in target else {}  # spares the SLA a look-up
    now = utcnow()
    ticket = Ticket(
        created_at=now, updated_at=now, status_changed_at=now,
        tags=[], followers=[], custom_fields={}, description="",
    )
    for name, value in target.items():
        setattr(ticket, "custom_fields" if name == "custom_fields" else API_FIELDS[name], value)
    if ticket.status == "solved":
        ticket.solved_at = now
    ticket.number = next_number(session)
    _insert(session, ticket)

    initial: dict[str, tuple[Any, Any]] = {}
    for name in API_FIELDS:
        value = api_value(name, getattr(ticket, API_FIELDS[name]))
        if value not in (None, [], ""):
            initial[name] = (None, value)
    for key, value in sorted((ticket.custom_fields or {}).items()):
        initial[f"custom_fields.{key}"] = (None, value)
    history.record(session, ticket, initial, actor, via, now)

    who = actor_payload(actor)
    publish("ticket.created", {"ticket": ticket_summary(ticket), "via": via, "actor": who})
    if ticket.assignee_member_id is not None or ticket.group_id is not None:
        _publish_assigned(publish, ticket, None, None, via, who)
    notify(TicketWrite(session, ticket, initial, actor, via, publish, created=True, extra=known))
    return ticket


def _insert(session: Session, ticket: Ticket) -> None:
    """Write the new ticket's row (and its search row); ``ticket`` is persistent afterwards.

    On PostgreSQL one statement writes both rows and the ticket joins the session as if it had
    been loaded, with every column set here (its defaults applied as the ORM would), so later
    changes in the transaction (a trigger's) flush as an UPDATE of version 1. The unit of work's
    bookkeeping for one INSERT cost more than the statement; every creation runs this. Elsewhere
    the ticket is flushed as usual, and the search index's mapper event writes its row.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.add(ticket)
        session.flush()
        return
    tenant_id = tenant_of(session)
    if tenant_id is None or ticket.tenant_id not in (None, tenant_id):
        raise RuntimeError("a new ticket is written in its own tenant's scoped session")
    ticket.tenant_id, ticket.version = tenant_id, 1
    values: dict[str, Any] = {"head": new_ticket_terms(ticket), "comment": []}
    for key, parameter, column in _COLUMNS:
        if key not in ticket.__dict__:
            setattr(ticket, key, _default(column))
        values[parameter] = getattr(ticket, key)
    session.execute(INSERT_TICKET_AND_SEARCH_ROW, values)
    make_transient_to_detached(ticket)
    session.add(ticket)


#: Per column of ``tickets``: the model's attribute, the statement's parameter, the column.
_COLUMNS = tuple((a.key, f"t_{a.columns[0].name}", a.columns[0]) for a in inspect(Ticket).column_attrs)


def _default(column: Any) -> Any:
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def update_ticket(
    session: Session,
    ticket: Ticket,
    changes: Mapping[str, Any],
    *,
    actor: Actor,
    via: str,
    publish: Publish,
    expected_version: int | None = None,
    enforce_transitions: bool = True,
) -> dict[str, tuple[Any, Any]]:
    """Apply ``changes`` to ``ticket``; returns what changed (API field -> (old, new)).

    ``expected_version`` (from ``If-Match``) raises :class:`VersionMismatch` when the ticket
    moved on. A closed ticket refuses every change. ``enforce_transitions=False`` lets merge
    close a ticket from any state. Changes that change nothing write nothing and publish nothing.
    """
    if expected_version is not None and expected_version != ticket.version:
        raise VersionMismatch(ticket.version)
    if not changes:
        return {}
    if ticket.status == "closed" and enforce_transitions:
        raise Invalid({name: [Message("closed")] for name in changes})
    target = _plan(session, ticket, changes, enforce_transitions)
    target.pop(requesters.KNOWN_TIER, None)
    return write_fields(session, ticket, target, actor=actor, via=via, publish=publish)


def write_fields(
    session: Session,
    ticket: Ticket,
    target: Mapping[str, Any],
    *,
    actor: Actor,
    via: str,
    publish: Publish,
    comment: Comment | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Set already-checked values (API field -> value) and do what every change brings:
    timestamps, version, history, events, listeners. Used by :func:`update_ticket`, comments,
    merge and the customer handlers; everyone else should call :func:`update_ticket`."""
    raw: dict[str, tuple[Any, Any]] = {}
    for name, new in target.items():
        if name == "custom_fields":
            old_values = ticket.custom_fields or {}
            for key in sorted(set(old_values) | set(new)):
                if old_values.get(key) != new.get(key):
                    raw[f"custom_fields.{key}"] = (old_values.get(key), new.get(key))
            continue
        old = getattr(ticket, API_FIELDS[name])
        if old != new:
            raw[name] = (old, new)
    if not raw and comment is None:
        return {}

    now = utcnow()
    previous = {
        "status": ticket.status,
        "assignee_id": ticket.assignee_member_id,
        "group_id": ticket.group_id,
    }
    for name, new in target.items():
        if name == "custom_fields":
            ticket.custom_fields = dict(new)
        else:
            setattr(ticket, API_FIELDS[name], new)
    if "status" in raw:
        ticket.status_changed_at = now
        if ticket.status == "solved":
            ticket.solved_at = now
        elif ticket.status == "closed":
            ticket.closed_at = now
        elif previous["status"] == "solved":
            ticket.solved_at = None
    ticket.updated_at = now
    session.flush()

    changes = {
        name: (old, new) if name.startswith("custom_fields.")
        else (api_value(name, old), api_value(name, new))
        for name, (old, new) in raw.items()
    }
    history.record(session, ticket, changes, actor, via, now)
    _announce(publish, ticket, changes, previous, actor, via)
    notify(TicketWrite(session, ticket, changes, actor, via, publish, comment=comment))
    return changes


def _publish_assigned(
    publish: Publish,
    ticket: Ticket,
    old_assignee: uuid.UUID | None,
    old_group: uuid.UUID | None,
    via: str,
    who: Mapping[str, Any],
) -> None:
    publish("ticket.assigned", {
        "ticket": ticket_summary(ticket),
        "assignee_id": public("member", ticket.assignee_member_id),
        "group_id": public("group", ticket.group_id),
        "previous_assignee_id": public("member", old_assignee),
        "previous_group_id": public("group", old_group),
        "via": via,
        "actor": who,
    })


def _announce(
    publish: Publish,
    ticket: Ticket,
    changes: Mapping[str, tuple[Any, Any]],
    previous: Mapping[str, Any],
    actor: Actor,
    via: str,
) -> None:
    if not changes:
        return
    who = actor_payload(actor)
    summary = ticket_summary(ticket)
    publish("ticket.updated", {
        "ticket": summary,
        "changes": {name: {"old": old, "new": new} for name, (old, new) in changes.items()},
        "via": via,
        "actor": who,
    })
    if "status" in changes:
        if ticket.status == "solved":
            publish("ticket.solved", {"ticket": summary, "via": via, "actor": who})
        elif ticket.status == "closed":
            publish("ticket.closed", {
                "ticket": summary, "merged_into_id": public("ticket", ticket.merged_into_id),
                "via": via, "actor": who,
            })
        elif previous["status"] == "solved":
            publish("ticket.reopened", {"ticket": summary, "via": via, "actor": who})
    if "assignee_id" in changes or "group_id" in changes:
        _publish_assigned(publish, ticket, previous["assignee_id"], previous["group_id"], via, who)
