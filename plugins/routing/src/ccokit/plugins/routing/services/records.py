"""Between the durable record and the engine: rows to engine records and engine state to rows.

The engine names everything by string (UUIDs as text) and counts time in epoch seconds; the
tables keep UUIDs and aware datetimes. Converting here, in one place, keeps both sides plain.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ccokit.plugins.routing.engine.model import (
    Agent,
    Conversation,
    ConvState,
    OverflowStage,
    Presence,
    QueuePolicy,
)
from ccokit.plugins.routing.models import RoutingAgent, RoutingConversation, RoutingQueue

__all__ = ["agent_of", "conversation_of", "epoch", "moment", "policy_of", "row_values"]


def epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def moment(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def policy_of(row: RoutingQueue, tenant: str) -> QueuePolicy:
    """The engine's policy of a queue row (aging per second, stages with group sets)."""
    return QueuePolicy(
        id=str(row.id), tenant=tenant, groups=frozenset(row.groups or ()), skills=dict(row.skills or {}),
        strategy=row.strategy, aging_per_s=row.aging_per_min / 60.0,
        overflow=tuple(
            OverflowStage(float(stage["after_s"]),
                          None if stage.get("groups") is None else frozenset(stage["groups"]),
                          bool(stage.get("keep_skills", True)))
            for stage in row.overflow or ()
        ),
        sticky_s=float(row.sticky_s), max_length=row.max_length,
        max_wait_s=float(row.max_wait_s) if row.max_wait_s is not None else None,
        ring_s=float(row.ring_s), wrapup_s=float(row.wrapup_s), auto_accept=row.auto_accept,
        service_level_s=float(row.service_level_s),
    )


def agent_of(row: RoutingAgent | Any, tenant: str) -> Agent:
    """An agent row (or a plain row of its columns) as the engine holds it."""
    return Agent(
        id=str(row.member_id), tenant=tenant, skills=dict(row.skills or {}),
        languages=frozenset(row.languages or ()), capacity=dict(row.capacity or {}),
        groups=frozenset(row.groups or ()), presence=Presence(row.presence),
        idle_since=epoch(row.idle_since) or epoch(row.presence_at) or 0.0,
    )


def conversation_of(row: RoutingConversation | Any, tenant: str) -> Conversation:
    """A live conversation row (or a plain row of its columns) as the engine restores it."""
    state = ConvState(row.state)
    until = row.offer_expires_at if state is ConvState.OFFERED else row.wrapup_until
    return Conversation(
        id=str(row.id), tenant=tenant, queue=str(row.queue_id), channel=row.channel,
        arrived_at=epoch(row.arrived_at) or 0.0, priority=row.priority, skills=dict(row.skills or {}),
        language=row.language, customer=str(row.customer_id) if row.customer_id else None, state=state,
        agent=str(row.agent_id) if row.agent_id else None, stage=row.stage,
        declined_by=set(row.declined_by or ()), queued_at=epoch(row.queued_at), until=epoch(until),
        assigned_at=epoch(row.assigned_at),
        return_queue=str(row.return_queue_id) if row.return_queue_id else None,
        estimate_s=row.estimate_s, answered_at=epoch(row.answered_at),
    )


def row_values(conv: Conversation, now: float) -> dict[str, Any]:
    """The columns of a conversation's row that the engine moves, as it has them now."""
    state = conv.state
    over = state in (ConvState.ENDED, ConvState.ABANDONED)
    return {
        "id": uuid.UUID(str(conv.id)),
        "state": state.value,
        "queue_id": uuid.UUID(str(conv.queue)),
        "agent_id": uuid.UUID(str(conv.agent)) if conv.agent is not None else None,
        "stage": conv.stage,
        "declined_by": sorted(str(a) for a in conv.declined_by),
        "return_queue_id": uuid.UUID(str(conv.return_queue)) if conv.return_queue is not None else None,
        "queued_at": moment(conv.queued_at),
        "offer_expires_at": moment(conv.until) if state is ConvState.OFFERED else None,
        "wrapup_until": moment(conv.until) if state is ConvState.WRAP_UP else None,
        "assigned_at": moment(conv.assigned_at),
        "answered_at": moment(conv.answered_at),
        "waited_s": round(conv.answered_at - conv.arrived_at, 3) if conv.answered_at is not None else None,
        "ended_at": moment(now) if over else None,
    }
