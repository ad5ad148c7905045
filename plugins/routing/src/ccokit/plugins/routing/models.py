"""The durable record of routing: groups, queues, agents and conversations.

The engine (:mod:`.engine`) decides in memory; these tables are what survives a restart of
every process and a flush of Redis. A conversation is written here before its customer is told
it is queued, and every transition the engine makes (offered, assigned, wrap-up, ended,
abandoned) is written back, so the engine can always be rebuilt from them: configuration from
the groups, queues and agents, live conversations from the partial index on their state.

Every table leads with ``tenant_id`` (primary key, foreign keys, indexes), like every tenant
table of ccokit. Skills, languages, seats and group lists are JSON (JSONB on PostgreSQL).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from ccokit.plugins.routing.engine.model import CHANNELS
from ccokit_sdk.models import TenantConfiguration, TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = [
    "CHANNELS",
    "LIVE_STATES",
    "Base",
    "RoutingAgent",
    "RoutingConversation",
    "RoutingEngineState",
    "RoutingGroup",
    "RoutingQueue",
]

#: States of a conversation the engine holds; the others are over.
LIVE_STATES = ("queued", "offered", "assigned", "wrap_up")

JSONType = JSON().with_variant(JSONB(), "postgresql")
_LIVE_SQL = "state IN ('queued', 'offered', 'assigned', 'wrap_up')"


class Base(DeclarativeBase):
    metadata = make_metadata()


class _Versioned:
    """Creation and change times, and the version that If-Match and concurrent edits check."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class RoutingGroup(TenantScoped, TenantConfiguration, _Versioned, Base):
    """A team of agents (presales desk, after-sales desk, VIP desk) and who supervises it."""

    __tablename__ = "routing_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    #: Member ids (as strings) of the group's supervisors.
    supervisors: Mapped[list[str]] = mapped_column(JSONType, default=list)


class RoutingQueue(TenantScoped, TenantConfiguration, _Versioned, Base):
    """A queue and its ordered policy (see :class:`~.engine.model.QueuePolicy` for the meaning
    of each rule). ``hours`` is the business-hours calendar (``None``: always open)."""

    __tablename__ = "routing_queues"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    #: Group ids (strings) whose agents take this queue; empty: every agent.
    groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    strategy: Mapped[str] = mapped_column(String(20), default="longest_idle")
    #: Priority points a waiting conversation gains per minute (aging).
    aging_per_min: Mapped[float] = mapped_column(Float, default=1.0)
    #: Priority points by channel (``{"video": 10}``).
    channel_weights: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    #: Priority points per unit of the customer value a conversation carries (capped at 100).
    value_weight: Mapped[float] = mapped_column(Float, default=0.0)
    #: Ordered stages: ``[{"after_s": 60, "groups": ["…"] or null, "keep_skills": true}]``.
    overflow: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    sticky_s: Mapped[int] = mapped_column(Integer, default=0)
    max_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_wait_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ring_s: Mapped[int] = mapped_column(Integer, default=20)
    wrapup_s: Mapped[int] = mapped_column(Integer, default=0)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    service_level_s: Mapped[int] = mapped_column(Integer, default=20)
    #: ``{"timezone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "21:00"]], …},
    #: "closed_dates": ["2026-02-17"]}``, or ``None`` for always open.
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    #: Set when a queue with history is deleted: it takes no more conversations and is listed
    #: only on request, while its past conversations keep naming it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoutingAgent(TenantScoped, _Versioned, Base):
    """A member who takes conversations: skills with levels, languages, seats per channel,
    groups, and presence (which changes all day, so agents are not cached configuration)."""

    __tablename__ = "routing_agents"

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    skills: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Seats per channel (``{"chat": 5, "video": 1, "ticket": 10}``).
    capacity: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    presence_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Why the presence last changed when the system changed it (``missed_offer``).
    presence_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: When they last got work or came online ("longest idle" picks the earliest).
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoutingEngineState(TenantScoped, Base):
    """One row per workspace (``name="engine"``): taking its row lock serialises the
    workspace's routing decisions across every process, and ``version`` (moved on by each
    decision that changed something) tells a process whether the engine it cached is still the
    workspace's. ``journal`` names what each of the last versions changed, so a process a few
    versions behind catches up on those rows instead of rebuilding. ``memory`` holds what the
    conversations do not (queue statistics, round robin's place); ``next_deadline`` is when its
    earliest timer is due, and ``alarm_at`` when the ``routing.alarm`` job set for it runs (a
    delayed job in the outbox), so a workspace where no request comes still has its timers run
    on time."""

    __tablename__ = "routing_engine_states"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    memory: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: ``[version, conversation ids, agent ids]`` of the last versions, oldest first; ids
    #: ``null`` for a change of configuration (every process rebuilds).
    journal: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    next_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    alarm_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoutingConversation(TenantScoped, Base):
    """A contact waiting for (or served by) a human, and what became of it."""

    __tablename__ = "routing_conversations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "queue_id"], ["routing_queues.tenant_id", "routing_queues.id"]),
        # The engine's rebuild reads every live conversation; ended ones are most of the table.
        Index("ix_routing_conversations_live", "tenant_id", "arrived_at",
              postgresql_where=text(_LIVE_SQL), sqlite_where=text(_LIVE_SQL)),
        *(Index(f"ix_routing_conversations_tenant_id_{a}_{b}", "tenant_id", a, b)
          for a, b in (("queue_id", "arrived_at"), ("customer_id", "ended_at"), ("agent_id", "assigned_at"))),
        # Who served whom lately (sticky routing, after a rebuild).
        Index("ix_routing_conversations_tenant_id_ended_at", "tenant_id", "ended_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    queue_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), default="queued")
    skills: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    #: The customer's tier key when it arrived (it set the priority boost).
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Base priority (tier, channel, value and the caller's own), before aging.
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    #: The channel's own reference (a chat session, a call id), for the caller to match.
    external_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    stage: Mapped[int] = mapped_column(SmallInteger, default=0)
    declined_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    return_queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    wrapup_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: ``completed``, ``max_wait``, ``abandoned``, ``closed`` or ``queue_full`` (refused).
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: What the customer was told on arrival, and what happened.
    position_told: Mapped[int | None] = mapped_column(Integer, nullable=True)
    estimate_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    waited_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Moves on with every transition (the dispatcher writes them with Core statements).
    version: Mapped[int] = mapped_column(Integer, default=1)
