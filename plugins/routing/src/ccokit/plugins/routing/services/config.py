"""Routing's configuration: groups, queues and agents, checked before anything is written.

Ids in the lists of a queue or an agent (groups, supervisors) are kept as UUID strings in JSON
columns; every write checks that each names a group or an active member of this workspace and
refuses with a field error otherwise, so the engine never meets a dangling reference. Functions
flush but never commit: the view owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.routing.models import (
    LIVE_STATES,
    RoutingAgent,
    RoutingConversation,
    RoutingGroup,
    RoutingQueue,
)
from ccokit.plugins.routing.schemas.config import AGENT_AUDIT, QUEUE_AUDIT
from ccokit.plugins.routing.services.messages import Invalid, Message, Taken
from ccokit.plugins.routing.services.peers import PEERS
from ccokit_sdk.models import utcnow
from ccokit_sdk.plugin import encode_public_id

__all__ = [
    "AGENT_FIELDS",
    "QUEUE_FIELDS",
    "InUse",
    "create_agent",
    "create_group",
    "create_queue",
    "delete_agent",
    "delete_group",
    "delete_queue",
    "update_agent",
    "update_group",
    "update_queue",
]

QUEUE_FIELDS = QUEUE_AUDIT
AGENT_FIELDS = AGENT_AUDIT


class InUse(Exception):
    """A deletion refused because something still depends on the object (``message`` says what)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


def _ids(values: Iterable[uuid.UUID]) -> list[str]:
    return [str(v) for v in dict.fromkeys(values)]


def _check_groups(session: Session, wanted: Mapping[str, Iterable[uuid.UUID]], errors: dict[str, Any]
                  ) -> None:
    """Refuse, per field, group ids that are not this workspace's (one query for all)."""
    ids = {g for groups in wanted.values() for g in groups}
    if not ids:
        return
    known = set(session.scalars(select(RoutingGroup.id).where(RoutingGroup.id.in_(ids))))
    for name, groups in wanted.items():
        missing = [g for g in groups if g not in known]
        if missing:
            errors[name] = [Message("unknown_group", {"id": encode_public_id("rgrp", missing[0])})]


def _check_members(session: Session, name: str, member_ids: Iterable[uuid.UUID], errors: dict[str, Any]
                   ) -> None:
    ids = list(dict.fromkeys(member_ids))
    get_members = PEERS.get("members.get") if ids else None
    if get_members is None:
        return
    found = get_members(session, ids)
    for member_id in ids:
        member = found.get(member_id)
        if member is None or not member.active:
            key = "unknown_member" if member is None else "inactive_member"
            errors[name] = [Message(key, {"id": encode_public_id("mem", member_id)})]
            return


def _flush_unique(session: Session, row: Any, field: str = "name", key: str = "name_taken") -> Any:
    """Write ``row`` in a savepoint; a unique value someone else has (a name, a member already
    an agent) is refused as :class:`Taken` on ``field``."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise Taken({field: [Message(key)]}) from exc
    return row


# -- groups -------------------------------------------------------------------------------

def create_group(session: Session, data: Mapping[str, Any]) -> RoutingGroup:
    errors: dict[str, Any] = {}
    _check_members(session, "supervisor_ids", data.get("supervisors", ()), errors)
    if errors:
        raise Invalid(errors)
    group = RoutingGroup(name=data["name"], supervisors=_ids(data.get("supervisors", ())))
    return _flush_unique(session, group)


def update_group(session: Session, group: RoutingGroup, changes: Mapping[str, Any]) -> RoutingGroup:
    errors: dict[str, Any] = {}
    if "supervisors" in changes:
        _check_members(session, "supervisor_ids", changes["supervisors"], errors)
    if errors:
        raise Invalid(errors)
    if "name" in changes:
        group.name = changes["name"]
    if "supervisors" in changes:
        group.supervisors = _ids(changes["supervisors"])
    return _flush_unique(session, group)


def _group_users(session: Session, group_id: uuid.UUID) -> int:
    """How many queues (their groups or overflow stages) and agents name the group."""
    key = str(group_id)
    count = 0
    for queue in session.scalars(select(RoutingQueue).where(RoutingQueue.archived_at.is_(None))):
        stages = [g for stage in queue.overflow or () for g in (stage.get("groups") or ())]
        count += key in (queue.groups or []) or key in stages
    for groups in session.scalars(select(RoutingAgent.groups)):
        count += key in (groups or [])
    return count


def delete_group(session: Session, group: RoutingGroup) -> None:
    users = _group_users(session, group.id)
    if users:
        raise InUse(Message("group_in_use", {"count": users}))
    session.delete(group)
    session.flush()


# -- queues -------------------------------------------------------------------------------

def _queue_values(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns ``data`` sets, ids as strings; raises ``Invalid`` for unknown groups."""
    errors: dict[str, Any] = {}
    wanted: dict[str, list[uuid.UUID]] = {}
    if "groups" in data:
        wanted["group_ids"] = list(data["groups"])
    for number, stage in enumerate(data.get("overflow") or ()):
        if stage.get("groups"):
            wanted[f"overflow.{number}.group_ids"] = list(stage["groups"])
    _check_groups(session, wanted, errors)
    if errors:
        raise Invalid(errors)
    values = {name: data[name] for name in QUEUE_FIELDS if name in data}
    if "groups" in values:
        values["groups"] = _ids(values["groups"])
    if "overflow" in values:
        values["overflow"] = [
            {"after_s": s["after_s"], "groups": None if s.get("groups") is None else _ids(s["groups"]),
             "keep_skills": s.get("keep_skills", True)}
            for s in values["overflow"]
        ]
    if values.get("hours") is not None:
        values["hours"] = dict(values["hours"])
    return values


def create_queue(session: Session, data: Mapping[str, Any]) -> RoutingQueue:
    return _flush_unique(session, RoutingQueue(**_queue_values(session, data)))


def update_queue(session: Session, queue: RoutingQueue, changes: Mapping[str, Any]) -> RoutingQueue:
    for name, value in _queue_values(session, changes).items():
        setattr(queue, name, value)
    return _flush_unique(session, queue)


def delete_queue(session: Session, queue: RoutingQueue) -> None:
    """Delete a queue nobody waits in: removed if it never had a conversation, else archived
    (no new arrivals, hidden from the list) so its history keeps naming it."""
    live = session.scalar(select(func.count()).select_from(RoutingConversation).where(
        RoutingConversation.queue_id == queue.id, RoutingConversation.state.in_(LIVE_STATES)))
    if live:
        raise InUse(Message("queue_in_use", {"count": live}))
    history = session.scalar(select(RoutingConversation.id).where(RoutingConversation.queue_id == queue.id)
                             .limit(1))
    if history is None:
        session.delete(queue)
    else:
        queue.archived_at = utcnow()
    session.flush()


# -- agents -------------------------------------------------------------------------------

def _agent_values(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if "groups" in data:
        _check_groups(session, {"group_ids": data["groups"]}, errors)
    if errors:
        raise Invalid(errors)
    values = {name: data[name] for name in AGENT_FIELDS if name in data}
    if "groups" in values:
        values["groups"] = _ids(values["groups"])
    if "languages" in values:
        values["languages"] = list(dict.fromkeys(values["languages"]))
    return values


def create_agent(session: Session, data: Mapping[str, Any]) -> RoutingAgent:
    errors: dict[str, Any] = {}
    _check_members(session, "id", [data["member_id"]], errors)
    if errors:
        raise Invalid(errors)
    agent = RoutingAgent(member_id=data["member_id"], **_agent_values(session, data))
    return _flush_unique(session, agent, "id", "agent_exists")


def update_agent(session: Session, agent: RoutingAgent, changes: Mapping[str, Any]) -> RoutingAgent:
    for name, value in _agent_values(session, changes).items():
        setattr(agent, name, value)
    session.flush()
    return agent


def delete_agent(session: Session, agent: RoutingAgent) -> None:
    held = session.scalar(select(func.count()).select_from(RoutingConversation).where(
        RoutingConversation.agent_id == agent.member_id,
        RoutingConversation.state.in_(("assigned", "wrap_up"))))
    if held:
        raise InUse(Message("agent_holds_work", {"count": held}))
    session.delete(agent)
    session.flush()
