"""Conversations: a customer asks for a human, agents take, pass, finish and transfer, and the
waiting customer learns where they stand.

Every function runs one engine operation for the session's workspace through
:class:`~.workspace_engine.WorkspaceRouting` (locked, in the caller's transaction, effects
written and published) and refuses with :class:`~.messages.Invalid` what does not apply to the
conversation as it is now. Callers commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from ccokit.plugins.routing.engine.model import Presence
from ccokit.plugins.routing.engine.router import RoutingError
from ccokit.plugins.routing.models import RoutingAgent, RoutingConversation, RoutingQueue
from ccokit.plugins.routing.services import hours, records
from ccokit.plugins.routing.services.messages import Invalid, Message
from ccokit.plugins.routing.services.peers import PEERS
from ccokit.plugins.routing.services.workspace_engine import (
    Outbox,
    WorkspaceRouting,
    set_alarm,
    timers,
    waiting_state,
)
from ccokit_sdk.models import cached_configuration, new_id, tenant_of
from ccokit_sdk.plugin import encode_public_id

__all__ = [
    "Refused",
    "act",
    "arrive",
    "position_of",
    "publish_stats",
    "queue_stats",
    "routing_stats",
    "set_presence",
    "tick",
    "transfer",
    "wake",
]

#: Engine refusals whose message says it in the caller's terms (the others keep their key).
_RENAMED = {"unknown_conversation": "not_live", "unknown_agent": "not_an_agent"}


class Refused(Exception):
    """An action that does not apply to the conversation as it is now (answered 409)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


def _refused(exc: RoutingError, **values: Any) -> Refused:
    return Refused(Message(_RENAMED.get(exc.key, exc.key), values))


@dataclass(frozen=True, slots=True)
class _Intake:
    """What an arrival needs of its queue, as configured."""

    id: uuid.UUID
    hours: Mapping[str, Any] | None
    channel_weights: Mapping[str, float]
    value_weight: float


def _intakes(session: Any) -> Mapping[uuid.UUID, _Intake]:
    """The workspace's open queues (read once per process and configuration version: queues are
    configuration, and every arrival needs its queue)."""
    rows = session.scalars(select(RoutingQueue).where(RoutingQueue.archived_at.is_(None)))
    return MappingProxyType({
        row.id: _Intake(row.id, row.hours, MappingProxyType(dict(row.channel_weights or {})),
                        row.value_weight)
        for row in rows
    })


def _priority(session: Any, queue: _Intake, data: Mapping[str, Any]) -> tuple[float, str | None]:
    """Base priority (tier boost, channel weight, value points, the caller's own) and tier key."""
    boost, tier_key = 0, None
    customer_id = data.get("customer_id")
    tier_of = PEERS.get("customers.tier") if customer_id is not None else None
    if tier_of is not None:
        tier = tier_of(session, customer_id)
        if tier is not None:
            boost, tier_key = tier.priority_boost, tier.key
    value_points = min(100.0, (data.get("value") or 0.0) * queue.value_weight)
    weight = (queue.channel_weights or {}).get(data["channel"], 0)
    return float(boost + weight + value_points + data.get("priority", 0)), tier_key


def arrive(session: Any, data: Mapping[str, Any], outbox: Outbox, now: float | None = None
           ) -> tuple[RoutingConversation, dict[str, Any]]:
    """Record the conversation, then queue it (or refuse it: closed, full) and give it to an
    agent if one can take it. Returns the row and where it stands (position, estimate, and the
    work the decision handed out)."""
    now = time.time() if now is None else now
    queue = cached_configuration(session, "routing.queues", _intakes).get(data["queue_id"])
    if queue is None:
        unknown = Message("unknown_queue", {"id": encode_public_id("que", data["queue_id"])})
        raise Invalid({"queue_id": [unknown]})
    priority, tier_key = _priority(session, queue, data)
    # The engine first: rebuilt from the tables, it must not meet this conversation there too.
    ws = WorkspaceRouting.open(session, outbox, now)
    row = RoutingConversation(
        id=new_id(), queue_id=queue.id, channel=data["channel"], state="queued",
        skills=dict(data.get("skills") or {}), language=data.get("language"),
        customer_id=data.get("customer_id"), tier=tier_key, value=data.get("value"), priority=priority,
        external_ref=data.get("external_ref"), arrived_at=records.moment(now), queued_at=records.moment(now),
        stage=0, declined_by=[], version=1,
    )
    ws.created[str(row.id)] = row  # inserted by close() with what the engine decided
    open_now = hours.is_open(queue.hours, now)
    ws.run(ws.router.arrive, records.conversation_of(row, ws.tenant), open_now=open_now)
    standing = waiting_state(ws.router, ws.tenant, str(row.id), now)
    standing["handed"] = ws.close()
    session.flush()
    return row, standing


def _held_by(ws: WorkspaceRouting, conv_id: str, agent_id: uuid.UUID | None) -> None:
    """Refuse an agent's action on a conversation another agent holds."""
    conv = ws.router.conversation(ws.tenant, conv_id)
    if conv is not None and agent_id is not None and conv.agent != str(agent_id):
        raise Refused(Message("not_yours"))


def act(session: Any, action: str, conversation_id: uuid.UUID, outbox: Outbox, *,
        agent_id: uuid.UUID | None = None, now: float | None = None) -> list[dict[str, Any]]:
    """``accept``, ``decline`` (by the ringing agent), ``complete``, ``end_wrapup`` (by the
    agent holding it) or ``abandon`` (the customer left); returns the work it handed out. A
    refusal leaves the transaction for the caller to roll back (which drops this process's
    engine of the workspace)."""
    ws = WorkspaceRouting.open(session, outbox, now)
    conv_id = str(conversation_id)
    try:
        if action in ("complete", "end_wrapup"):
            _held_by(ws, conv_id, agent_id)
        ringing = action in ("accept", "decline")
        args = (ws.tenant, conv_id, str(agent_id)) if ringing else (ws.tenant, conv_id)
        ws.run(getattr(ws.router, action), *args)
    except RoutingError as exc:
        raise _refused(exc) from exc
    return ws.close()


def transfer(session: Any, conversation_id: uuid.UUID, outbox: Outbox, *, to_queue: uuid.UUID | None,
             to_agent: uuid.UUID | None, by_agent: uuid.UUID | None = None, now: float | None = None
             ) -> list[dict[str, Any]]:
    """Move an assigned conversation to another queue, or ring another agent with it (returns
    and refuses as :func:`act`)."""
    ws = WorkspaceRouting.open(session, outbox, now)
    conv_id = str(conversation_id)
    try:
        _held_by(ws, conv_id, by_agent)
        ws.run(ws.router.transfer, ws.tenant, conv_id,
               to_queue=str(to_queue) if to_queue else None, to_agent=str(to_agent) if to_agent else None)
    except RoutingError as exc:
        raise _refused(exc) from exc
    return ws.close()


def set_presence(session: Any, agent_id: uuid.UUID, presence: str, outbox: Outbox,
                 now: float | None = None) -> RoutingAgent:
    """An agent goes online, busy, away or offline (leaving ``online`` hands back a ringing offer)."""
    tenant_id = tenant_of(session)
    agent = session.get(RoutingAgent, (tenant_id, agent_id))
    if agent is None:
        raise Refused(Message("not_an_agent", {"id": encode_public_id("mem", agent_id)}))
    ws = WorkspaceRouting.open(session, outbox, now)
    ws.run(ws.router.set_presence, ws.tenant, str(agent_id), Presence(presence))
    ws.presence_set(str(agent_id))
    ws.close()
    session.expire(agent)
    return agent


def tick(session: Any, outbox: Outbox, now: float | None = None) -> int:
    """Run the workspace's timers that are due (ring timeouts, overflow stages, maximum waits,
    ends of wrap-up) when no request has run them, and set the alarm for the next; returns how
    many effects they had."""
    now = time.time() if now is None else now
    deadline, _ = timers(session)
    if deadline is None or deadline > now:
        return 0
    return _run_due(session, outbox, now, None)


def wake(session: Any, outbox: Outbox, at: float | None = None, now: float | None = None) -> int:
    """The workspace's alarm set for ``at`` rang (the ``routing.alarm`` job): run the timers
    due, as :func:`tick` does; when a request ran them first, set the alarm again for the next
    timer without opening the engine. Returns how many effects the timers had."""
    now = time.time() if now is None else now
    deadline, alarm_at = timers(session)
    if deadline is None:
        return 0
    if deadline > now:
        set_alarm(session, outbox, deadline, alarm_at, now, spent=at)
        return 0
    return _run_due(session, outbox, now, at)


def _run_due(session: Any, outbox: Outbox, now: float, rung_at: float | None) -> int:
    """Open the engine, run what is due, write it, and keep the alarm for the next timer
    (``rung_at``: the alarm running this, which no longer counts as one to come)."""
    ws = WorkspaceRouting.open(session, outbox, now)
    if rung_at is not None:
        ws.alarm_rang(rung_at)
    ws.run(ws.router.tick)
    count = len(ws.effects)
    ws.close()
    ws.keep_time()
    return count


def position_of(session: Any, conversation_id: uuid.UUID, outbox: Outbox) -> dict[str, Any]:
    """Where a conversation stands now (position 1 is next; 0 once an agent has it)."""
    ws = WorkspaceRouting.open(session, outbox)
    standing = waiting_state(ws.router, ws.tenant, str(conversation_id), ws.now)
    ws.close()
    return standing


def routing_stats(session: Any, outbox: Outbox) -> dict[str, Any]:
    """The workspace's live figures in all and per queue (queue ids as UUIDs)."""
    names = dict(session.execute(select(RoutingQueue.id, RoutingQueue.name)
                                 .where(RoutingQueue.archived_at.is_(None))).all())
    ws = WorkspaceRouting.open(session, outbox)
    try:
        live = {p.id for p in ws.router.queues(ws.tenant)}
        queues = [
            {"queue_id": queue_id, "name": name, **ws.router.queue_stats(ws.tenant, str(queue_id), ws.now)}
            for queue_id, name in sorted(names.items(), key=lambda item: item[1]) if str(queue_id) in live
        ]
        return {"workspace": ws.router.workspace_stats(ws.tenant, ws.now), "queues": queues}
    finally:
        ws.close()


def publish_stats(session: Any, outbox: Outbox) -> bool:
    """Publish ``routing.stats`` when the workspace has routing going on (someone waiting,
    arrivals lately, or an agent not offline); returns whether it did."""
    stats = routing_stats(session, outbox)
    overall = stats["workspace"]
    agents_on = sum(n for presence, n in overall["agents"].items() if presence != "offline")
    if not (overall["waiting"] or overall["arrivals_per_min"] > 0.01 or agents_on):
        return False
    for queue in stats["queues"]:
        queue["queue_id"] = encode_public_id("que", queue["queue_id"])
    outbox.publish("routing.stats", stats)
    return True


def queue_stats(session: Any, queue_id: uuid.UUID, outbox: Outbox) -> dict[str, Any]:
    """The queue's live figures (see :meth:`~..engine.router.Router.queue_stats`)."""
    ws = WorkspaceRouting.open(session, outbox)
    try:
        return ws.router.queue_stats(ws.tenant, str(queue_id), ws.now)
    except RoutingError as exc:
        raise _refused(exc) from exc
    finally:
        ws.close()
