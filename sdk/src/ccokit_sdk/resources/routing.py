"""``client.routing``: queueing and dispatch (排队分流), for chat gateways and agent desks.

Needs the routing plugin (on by default). Four namespaces and the workspace's figures:

- ``client.routing.groups``, ``.queues`` and ``.agents``: the configuration, read with
  ``routing:read`` and changed with ``routing:write`` (supervisors and up). An agent is a member
  of the workspace (its id is the member's ``mem_…``) with skills, languages and seats per channel.
- ``client.routing.conversations``: a channel sends each contact that wants a human
  (``create``, ``routing:write``) and learns where the customer stands; agents act on it
  (``accept``, ``decline``, ``complete``, ``end_wrapup``, ``transfer``, with ``routing:agent``).
- ``client.routing.agents.set_presence`` and ``.work``: an agent going online (only online agents
  get offers) and what they have now (``routing:agent``).
- ``client.routing.stats()`` and ``client.routing.queues.stats(queue_id)``: live figures.

A token of a member acts as that member; an API client's token (an application acting for its
agents, such as an agent desk's back end) names the agent with ``agent_id``. Every answer to a
decision lists in ``handed`` the offers and assignments it made, to this conversation or others
(a completion hands the agent their next one), so a desk learns of new work without asking again.

An action that no longer applies (the offer rang out, was declined or went to someone else; the
conversation is over) raises :class:`~ccokit_sdk.errors.Conflict` (409) at once: trying again
would not change it (see :mod:`ccokit_sdk.retries`). Routing's configuration has no versions: its changes
are not conditional (no ``if_version``). Meanings of every field: ``docs/routing.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, many, nulls, path

__all__ = [
    "AgentWork",
    "AsyncConversationService",
    "AsyncRoutingAgentService",
    "AsyncRoutingGroupService",
    "AsyncRoutingQueueService",
    "AsyncRoutingService",
    "BusinessHours",
    "Conversation",
    "ConversationService",
    "EstimateError",
    "Handed",
    "OverflowStage",
    "QueueStats",
    "RoutingAgent",
    "RoutingAgentService",
    "RoutingGroup",
    "RoutingGroupService",
    "RoutingQueue",
    "RoutingQueueService",
    "RoutingService",
    "RoutingStats",
    "WorkspaceStats",
]

GROUPS = "/api/v1/routing/groups"
GROUP = "/api/v1/routing/groups/{}"
QUEUES = "/api/v1/routing/queues"
QUEUE = "/api/v1/routing/queues/{}"
QUEUE_STATS = "/api/v1/routing/queues/{}/stats"
AGENTS = "/api/v1/routing/agents"
AGENT = "/api/v1/routing/agents/{}"
PRESENCE = "/api/v1/routing/agents/{}/presence"
WORK = "/api/v1/routing/agents/{}/work"
CONVERSATIONS = "/api/v1/routing/conversations"
CONVERSATION = "/api/v1/routing/conversations/{}"
STATS = "/api/v1/routing/stats"

Levels = Mapping[str, int] | None


@dataclass(frozen=True, kw_only=True)
class RoutingGroup(APIObject):
    """A team of agents (``rgrp_…``: 售前, 售后, a VIP desk) and its supervisors (members)."""

    id: str
    name: str
    supervisor_ids: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class OverflowStage(APIObject):
    """After ``after_s`` seconds of waiting, the agents of ``group_ids`` (``None``: any agent of the
    workspace) may take the conversation too; ``keep_skills=False`` also drops the skills asked."""

    after_s: int
    group_ids: list[str] | None
    keep_skills: bool


@dataclass(frozen=True, kw_only=True)
class BusinessHours(APIObject):
    """When a queue is open: periods by weekday (``{"mon": [["09:00", "21:00"]]}``) in ``timezone``,
    and whole dates closed (``"2026-02-17"``). Closed, arrivals are refused (``end_reason="closed"``)."""

    timezone: str
    weekly: dict[str, list[list[str]]]
    closed_dates: list[str]


@dataclass(frozen=True, kw_only=True)
class RoutingQueue(APIObject):
    """A queue (``que_…``) and the policy that routes its conversations.

    ``group_ids`` empty: every agent of the workspace; ``skills`` every agent must have (levels
    1-5); ``strategy`` picks among ready agents (``longest_idle``, ``least_occupied``,
    ``round_robin``, ``best_skill``); priority grows by ``aging_per_min`` points a minute, plus
    ``channel_weights`` and ``value_weight`` per unit of the customer's value. ``sticky_s`` sends a
    returning customer to their last agent; ``max_length`` and ``max_wait_s`` (``None``: no limit)
    refuse or end what is too many or waits too long; an offer rings ``ring_s`` seconds;
    ``wrapup_s`` follows each completion; ``auto_accept`` assigns without ringing;
    ``service_level_s`` is "answered in time"; ``hours`` ``None`` is always open.
    """

    id: str
    name: str
    group_ids: list[str]
    skills: dict[str, int]
    strategy: str
    aging_per_min: float
    channel_weights: dict[str, int]
    value_weight: float
    overflow: list[OverflowStage]
    sticky_s: int
    max_length: int | None
    max_wait_s: int | None
    ring_s: int
    wrapup_s: int
    auto_accept: bool
    service_level_s: int
    hours: BusinessHours | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class RoutingAgent(APIObject):
    """A member who takes conversations; ``id`` is the member's (``mem_…``).

    ``skills`` with levels 1-5, ``languages`` (``zh``, ``en``), ``capacity`` seats per channel
    (``{"chat": 5, "video": 1}``), ``group_ids``; ``presence`` is online, busy, away or offline
    (only ``online`` agents get offers), since ``presence_at``; ``presence_reason`` says why when
    the system set it (``missed_offer``: away after an offer rang out unanswered).
    """

    id: str
    skills: dict[str, int]
    languages: list[str]
    capacity: dict[str, int]
    group_ids: list[str]
    presence: str
    presence_at: datetime
    presence_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Handed(APIObject):
    """Work a decision gave an agent: an offer ringing them (``state="offered"``, until
    ``offer_expires_at``) or a conversation now theirs (``"assigned"``)."""

    conversation_id: str
    agent_id: str
    state: str
    channel: str
    offer_expires_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Conversation(APIObject):
    """A contact waiting for or served by an agent (``conv_…``), and where it stands.

    ``state`` is queued, offered, assigned, wrap_up, ended or abandoned; ``agent_id`` the agent
    ringing or holding it. ``position`` is its place in line now (1 is next, 0 once an agent has
    it, ``None`` when over or in a list) and ``estimated_wait_s`` the seconds still to wait;
    ``position_told`` and ``estimate_s`` what the customer was told on arrival. ``end_reason``
    (completed, abandoned, closed, queue_full, max_wait, ...) says how it ended, and
    ``alternatives`` (``callback``, ``ticket``) what to offer instead when it was refused or waited
    too long. ``handed``, in the answer to a decision only, lists every offer and assignment the
    decision made.
    """

    id: str
    queue_id: str
    channel: str
    state: str
    skills: dict[str, int]
    language: str | None
    customer_id: str | None
    tier: str | None
    value: float | None
    priority: float
    external_ref: str | None
    agent_id: str | None
    stage: int
    arrived_at: datetime
    offered_at: datetime | None
    offer_expires_at: datetime | None
    assigned_at: datetime | None
    wrapup_until: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    waited_s: float | None
    position_told: int | None
    estimate_s: float | None
    position: int | None
    estimated_wait_s: float | None
    alternatives: list[str]
    handed: list[Handed]


@dataclass(frozen=True, kw_only=True)
class AgentWork(APIObject):
    """What an agent has now: their ``presence``, the ``offer`` ringing them (``None`` if none) and
    the conversations they hold (assigned or in wrap-up), oldest first."""

    presence: str
    offer: Conversation | None
    holding: list[Conversation]


@dataclass(frozen=True, kw_only=True)
class WorkspaceStats(APIObject):
    """Live figures over queues and agents: times in seconds, rates per minute, shares 0-1 (``None``
    before there is anything to divide); counts since the engine's statistics began.

    ``agents`` counts agents by presence; ``occupancy`` is the share of the seats of agents not
    offline in use; ``service_level`` the share of answers within the queue's ``service_level_s``.
    """

    waiting: int
    longest_wait_s: float
    agents: dict[str, int]
    occupancy: float | None
    admitted: int
    refused: int
    answered: int
    abandoned: int
    ended_max_wait: int
    arrivals_per_min: float
    answers_per_min: float
    service_level: float | None
    abandonment: float | None
    mean_wait_s: float | None


@dataclass(frozen=True, kw_only=True)
class EstimateError(APIObject):
    """How far a queue's wait estimates were off: over ``samples`` waits, the median of the absolute
    error and the mean error (estimate minus wait: positive when customers waited less than told)."""

    samples: int
    median_abs_s: float | None
    mean_s: float | None


@dataclass(frozen=True, kw_only=True)
class QueueStats(WorkspaceStats):
    """One queue's live figures (``queue_id``, ``name``), with its mean handle time and how far its
    wait estimates were off; ``agents`` counts the agents who may take the queue."""

    queue_id: str
    name: str
    mean_handle_s: float | None
    estimate_error: EstimateError


@dataclass(frozen=True, kw_only=True)
class RoutingStats(APIObject):
    """The workspace's figures in all, and queue by queue (live queues, by name)."""

    workspace: WorkspaceStats
    queues: list[QueueStats]


# -- request bodies -------------------------------------------------------------------------

def _levels(values: Levels) -> dict[str, int] | None:
    return dict(values) if values is not None else None


def _group_body(name: str | None, supervisor_ids: Sequence[str] | None) -> dict[str, Any]:
    return fields(name=name, supervisor_ids=many(supervisor_ids))


def _queue_body(
    name: str | None, group_ids: Sequence[str] | None, skills: Levels, strategy: str | None,
    aging_per_min: float | None, channel_weights: Levels, value_weight: float | None,
    overflow: Sequence[Mapping[str, Any]] | None, sticky_s: int | None, max_length: int | None,
    max_wait_s: int | None, ring_s: int | None, wrapup_s: int | None, auto_accept: bool | None,
    service_level_s: int | None, hours: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return fields(
        name=name, group_ids=many(group_ids), skills=_levels(skills), strategy=strategy,
        aging_per_min=aging_per_min, channel_weights=_levels(channel_weights), value_weight=value_weight,
        overflow=[dict(stage) for stage in overflow] if overflow is not None else None, sticky_s=sticky_s,
        max_length=max_length, max_wait_s=max_wait_s, ring_s=ring_s, wrapup_s=wrapup_s,
        auto_accept=auto_accept, service_level_s=service_level_s,
        hours=dict(hours) if hours is not None else None,
    )


def _agent_body(
    skills: Levels, languages: Sequence[str] | None, capacity: Levels, group_ids: Sequence[str] | None
) -> dict[str, Any]:
    return fields(skills=_levels(skills), languages=many(languages), capacity=_levels(capacity),
                  group_ids=many(group_ids))


def _arrival(
    queue_id: str, channel: str, skills: Levels, language: str | None, customer_id: str | None,
    value: float | None, priority: int | None, external_ref: str | None,
) -> dict[str, Any]:
    return {"queue_id": queue_id, "channel": channel,
            **fields(skills=_levels(skills), language=language, customer_id=customer_id, value=value,
                     priority=priority, external_ref=external_ref)}


def _action(conversation_id: str, action: str) -> str:
    return path(CONVERSATION + "/" + action, conversation_id)


# -- sync -----------------------------------------------------------------------------------

class RoutingGroupService(Namespace):
    def list(self, *, limit: int | None = None) -> Pager[RoutingGroup]:
        """The workspace's groups, oldest first (scope ``routing:read``)."""
        return self._list(RoutingGroup, GROUPS, limit=limit)

    def create(
        self, *, name: str, supervisor_ids: Sequence[str] | None = None, idempotency_key: str | None = None
    ) -> RoutingGroup:
        """Add a team of agents (scope ``routing:write``); ``supervisor_ids`` are members.
        :class:`~ccokit_sdk.errors.Conflict` if the name is taken."""
        return self._call(RoutingGroup, "POST", GROUPS, body=_group_body(name, supervisor_ids),
                          idempotency_key=idempotency_key)

    def get(self, group_id: str) -> RoutingGroup:
        """One group (scope ``routing:read``)."""
        return self._call(RoutingGroup, "GET", path(GROUP, group_id))

    def update(
        self, group_id: str, *, name: str | None = None, supervisor_ids: Sequence[str] | None = None
    ) -> RoutingGroup:
        """Change the given fields (scope ``routing:write``); ``supervisor_ids`` replaces the list."""
        return self._call(RoutingGroup, "PATCH", path(GROUP, group_id),
                          body=_group_body(name, supervisor_ids))

    def delete(self, group_id: str) -> None:
        """Remove a group (scope ``routing:write``); Conflict while a queue, an overflow stage or an
        agent names it."""
        self._call_no_content("DELETE", path(GROUP, group_id))


class RoutingQueueService(Namespace):
    def list(self, *, archived: bool | None = None, limit: int | None = None) -> Pager[RoutingQueue]:
        """The workspace's queues, oldest first; archived ones too with ``archived=True`` (scope
        ``routing:read``)."""
        return self._list(RoutingQueue, QUEUES, fields(archived=archived), limit)

    def create(
        self,
        *,
        name: str,
        group_ids: Sequence[str] | None = None,
        skills: Levels = None,
        strategy: str | None = None,
        aging_per_min: float | None = None,
        channel_weights: Levels = None,
        value_weight: float | None = None,
        overflow: Sequence[Mapping[str, Any]] | None = None,
        sticky_s: int | None = None,
        max_length: int | None = None,
        max_wait_s: int | None = None,
        ring_s: int | None = None,
        wrapup_s: int | None = None,
        auto_accept: bool | None = None,
        service_level_s: int | None = None,
        hours: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> RoutingQueue:
        """Add a queue with its policy (scope ``routing:write``); what is not given takes the
        API's default (see :class:`RoutingQueue`).

        ``overflow`` stages are ``{"after_s": 60, "group_ids": [...] or None, "keep_skills": True}``,
        waiting longer one after the other; ``hours`` is ``{"timezone": "Asia/Shanghai", "weekly":
        {"mon": [["09:00", "21:00"]]}, "closed_dates": ["2026-02-17"]}``. Conflict if the name is taken.
        """
        body = _queue_body(name, group_ids, skills, strategy, aging_per_min, channel_weights, value_weight,
                           overflow, sticky_s, max_length, max_wait_s, ring_s, wrapup_s, auto_accept,
                           service_level_s, hours)
        return self._call(RoutingQueue, "POST", QUEUES, body=body, idempotency_key=idempotency_key)

    def get(self, queue_id: str) -> RoutingQueue:
        """One queue (scope ``routing:read``); NotFound once archived."""
        return self._call(RoutingQueue, "GET", path(QUEUE, queue_id))

    def update(
        self,
        queue_id: str,
        *,
        name: str | None = None,
        group_ids: Sequence[str] | None = None,
        skills: Levels = None,
        strategy: str | None = None,
        aging_per_min: float | None = None,
        channel_weights: Levels = None,
        value_weight: float | None = None,
        overflow: Sequence[Mapping[str, Any]] | None = None,
        sticky_s: int | None = None,
        max_length: int | None = None,
        max_wait_s: int | None = None,
        ring_s: int | None = None,
        wrapup_s: int | None = None,
        auto_accept: bool | None = None,
        service_level_s: int | None = None,
        hours: Mapping[str, Any] | None = None,
        clear: Sequence[str] | None = None,
    ) -> RoutingQueue:
        """Change the given fields of the policy (scope ``routing:write``); the engine applies the
        change at once (a widened queue takes waiting conversations). ``clear`` names fields to
        empty: ``max_length`` and ``max_wait_s`` (no limit), ``hours`` (always open)."""
        body = {**_queue_body(name, group_ids, skills, strategy, aging_per_min, channel_weights, value_weight,
                              overflow, sticky_s, max_length, max_wait_s, ring_s, wrapup_s, auto_accept,
                              service_level_s, hours),
                **nulls(clear)}
        return self._call(RoutingQueue, "PATCH", path(QUEUE, queue_id), body=body)

    def delete(self, queue_id: str) -> None:
        """Delete a queue (scope ``routing:write``); one with past conversations is archived instead,
        and Conflict while anyone waits in it or is served from it."""
        self._call_no_content("DELETE", path(QUEUE, queue_id))

    def stats(self, queue_id: str) -> QueueStats:
        """The queue's live figures (scope ``routing:read``): waiting, longest wait, service level,
        abandonment, agents by presence, occupancy, handle time and the wait estimates' error."""
        return self._call(QueueStats, "GET", path(QUEUE_STATS, queue_id))


class RoutingAgentService(Namespace):
    def list(self, *, limit: int | None = None) -> Pager[RoutingAgent]:
        """The workspace's agents (scope ``routing:read``)."""
        return self._list(RoutingAgent, AGENTS, limit=limit)

    def create(
        self,
        *,
        member_id: str,
        skills: Levels = None,
        languages: Sequence[str] | None = None,
        capacity: Levels = None,
        group_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> RoutingAgent:
        """Make the member ``member_id`` (``mem_…``) an agent (scope ``routing:write``); the agent's
        id is the member's. ``capacity`` is seats per channel (default ``{"chat": 5}``). The agent
        starts offline: :meth:`set_presence` ``"online"`` to get offers. Conflict if already an agent."""
        body = {"id": member_id, **_agent_body(skills, languages, capacity, group_ids)}
        return self._call(RoutingAgent, "POST", AGENTS, body=body, idempotency_key=idempotency_key)

    def get(self, agent_id: str) -> RoutingAgent:
        """One agent (scope ``routing:read``)."""
        return self._call(RoutingAgent, "GET", path(AGENT, agent_id))

    def update(
        self,
        agent_id: str,
        *,
        skills: Levels = None,
        languages: Sequence[str] | None = None,
        capacity: Levels = None,
        group_ids: Sequence[str] | None = None,
    ) -> RoutingAgent:
        """Change the given fields (scope ``routing:write``); each replaces the whole value. Fewer
        seats take nothing away from the agent."""
        return self._call(RoutingAgent, "PATCH", path(AGENT, agent_id),
                          body=_agent_body(skills, languages, capacity, group_ids))

    def delete(self, agent_id: str) -> None:
        """Stop routing to the member (scope ``routing:write``); Conflict while they hold
        conversations. The member stays."""
        self._call_no_content("DELETE", path(AGENT, agent_id))

    def set_presence(self, agent_id: str, presence: str) -> AgentWork:
        """Set the agent ``online`` (offers come at once if work waits), ``busy`` or ``away`` (none
        come; what they hold stays) or ``offline`` (scope ``routing:agent``; a member's token acts for
        itself only, unless it has ``routing:write``). Leaving online hands a ringing offer on.
        Answers what the agent has now."""
        return self._call(AgentWork, "PUT", path(PRESENCE, agent_id), body={"presence": presence})

    def work(self, agent_id: str) -> AgentWork:
        """What the agent has now: presence, the offer ringing them, what they hold (scope
        ``routing:agent``): what an agent desk polls when it missed an answer's ``handed``."""
        return self._call(AgentWork, "GET", path(WORK, agent_id))


class ConversationService(Namespace):
    def create(
        self,
        *,
        queue_id: str,
        channel: str,
        skills: Levels = None,
        language: str | None = None,
        customer_id: str | None = None,
        value: float | None = None,
        priority: int | None = None,
        external_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Conversation:
        """A customer asks for a human (scope ``routing:write``): a chat gateway calls this for each
        contact that wants an agent.

        ``channel`` is chat, video, phone or ticket; ``skills`` are needed beyond the queue's;
        ``customer_id`` (``cus_…``) adds the customer's tier boost to the priority, as do ``value``
        (weighted by the queue) and ``priority`` (0-100); ``external_ref`` is the channel's own id.
        The answer is ``queued`` with ``position`` and ``estimated_wait_s`` to tell the customer,
        ``offered`` to an agent at once (see ``handed``), or ``ended`` with ``end_reason`` closed or
        queue_full and ``alternatives`` to offer instead. Give an ``idempotency_key`` derived from
        the contact (the chat's id) so a gateway restarted mid-call does not queue it twice.
        """
        body = _arrival(queue_id, channel, skills, language, customer_id, value, priority, external_ref)
        return self._call(Conversation, "POST", CONVERSATIONS, body=body, idempotency_key=idempotency_key)

    def list(
        self,
        *,
        state: str | None = None,
        queue_id: str | None = None,
        agent_id: str | None = None,
        limit: int | None = None,
    ) -> Pager[Conversation]:
        """Conversations oldest first, by ``state`` (queued, offered, assigned, wrap_up, ended,
        abandoned), queue or agent (scope ``routing:read``). Their ``position`` is not computed
        here (``None``): :meth:`get` one for it."""
        return self._list(Conversation, CONVERSATIONS,
                          fields(state=state, queue_id=queue_id, agent_id=agent_id), limit)

    def get(self, conversation_id: str) -> Conversation:
        """The conversation and where it stands now, as the line moves: ``position`` and
        ``estimated_wait_s`` to show the waiting customer (scope ``routing:read``)."""
        return self._call(Conversation, "GET", path(CONVERSATION, conversation_id))

    def accept(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The ringing agent takes the conversation (scope ``routing:agent``; ``agent_id`` names the
        agent when the token is not theirs). Conflict if it no longer rings them (it rang out, was
        declined or taken)."""
        return self._call(Conversation, "POST", _action(conversation_id, "accept"),
                          body=fields(agent_id=agent_id))

    def decline(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The ringing agent passes (scope ``routing:agent``): the offer goes to someone else, never
        back to them; ``handed`` says to whom. Conflict if it no longer rings them."""
        return self._call(Conversation, "POST", _action(conversation_id, "decline"),
                          body=fields(agent_id=agent_id))

    def complete(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The agent is done (scope ``routing:agent``): wrap-up if the queue has some, else it is
        over. ``handed`` holds the agent's next conversation, if one waits for them."""
        return self._call(Conversation, "POST", _action(conversation_id, "complete"),
                          body=fields(agent_id=agent_id))

    def end_wrapup(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The agent finishes wrap-up early and is ready for the next (scope ``routing:agent``)."""
        return self._call(Conversation, "POST", _action(conversation_id, "end-wrap-up"),
                          body=fields(agent_id=agent_id))

    def transfer(
        self,
        conversation_id: str,
        *,
        to_queue_id: str | None = None,
        to_agent_id: str | None = None,
        agent_id: str | None = None,
    ) -> Conversation:
        """Move the agent's conversation (scope ``routing:agent``): to another queue, keeping its
        place by arrival, or ring one agent with it (back to its queue if they do not take it).
        Name exactly one of ``to_queue_id`` and ``to_agent_id`` (else ValidationError)."""
        body = fields(to_queue_id=to_queue_id, to_agent_id=to_agent_id, agent_id=agent_id)
        return self._call(Conversation, "POST", _action(conversation_id, "transfer"), body=body)

    def abandon(self, conversation_id: str) -> Conversation:
        """The customer left before an agent took the conversation (scope ``routing:write``); a
        gateway calls it when the chat closes while waiting. Conflict once an agent has it."""
        return self._call(Conversation, "POST", _action(conversation_id, "abandon"))


class RoutingService(Namespace):
    """``client.routing``: ``groups``, ``queues``, ``agents``, ``conversations`` and :meth:`stats`."""

    def __init__(self, engine: SyncEngine) -> None:
        super().__init__(engine)
        self.groups = RoutingGroupService(engine)
        self.queues = RoutingQueueService(engine)
        self.agents = RoutingAgentService(engine)
        self.conversations = ConversationService(engine)

    def stats(self) -> RoutingStats:
        """The workspace's live figures in all and queue by queue (scope ``routing:read``)."""
        return self._call(RoutingStats, "GET", STATS)


# -- async ----------------------------------------------------------------------------------

class AsyncRoutingGroupService(AsyncNamespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[RoutingGroup]:
        """The workspace's groups, oldest first (scope ``routing:read``)."""
        return self._list(RoutingGroup, GROUPS, limit=limit)

    async def create(
        self, *, name: str, supervisor_ids: Sequence[str] | None = None, idempotency_key: str | None = None
    ) -> RoutingGroup:
        """Add a team of agents (scope ``routing:write``); see :meth:`RoutingGroupService.create`."""
        return await self._call(RoutingGroup, "POST", GROUPS, body=_group_body(name, supervisor_ids),
                                idempotency_key=idempotency_key)

    async def get(self, group_id: str) -> RoutingGroup:
        """One group (scope ``routing:read``)."""
        return await self._call(RoutingGroup, "GET", path(GROUP, group_id))

    async def update(
        self, group_id: str, *, name: str | None = None, supervisor_ids: Sequence[str] | None = None
    ) -> RoutingGroup:
        """Change the given fields (scope ``routing:write``)."""
        return await self._call(RoutingGroup, "PATCH", path(GROUP, group_id),
                                body=_group_body(name, supervisor_ids))

    async def delete(self, group_id: str) -> None:
        """Remove a group nothing names (scope ``routing:write``)."""
        await self._call_no_content("DELETE", path(GROUP, group_id))


class AsyncRoutingQueueService(AsyncNamespace):
    def list(self, *, archived: bool | None = None, limit: int | None = None) -> AsyncPager[RoutingQueue]:
        """The workspace's queues, oldest first (scope ``routing:read``)."""
        return self._list(RoutingQueue, QUEUES, fields(archived=archived), limit)

    async def create(
        self,
        *,
        name: str,
        group_ids: Sequence[str] | None = None,
        skills: Levels = None,
        strategy: str | None = None,
        aging_per_min: float | None = None,
        channel_weights: Levels = None,
        value_weight: float | None = None,
        overflow: Sequence[Mapping[str, Any]] | None = None,
        sticky_s: int | None = None,
        max_length: int | None = None,
        max_wait_s: int | None = None,
        ring_s: int | None = None,
        wrapup_s: int | None = None,
        auto_accept: bool | None = None,
        service_level_s: int | None = None,
        hours: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> RoutingQueue:
        """Add a queue with its policy (scope ``routing:write``); see :meth:`RoutingQueueService.create`."""
        body = _queue_body(name, group_ids, skills, strategy, aging_per_min, channel_weights, value_weight,
                           overflow, sticky_s, max_length, max_wait_s, ring_s, wrapup_s, auto_accept,
                           service_level_s, hours)
        return await self._call(RoutingQueue, "POST", QUEUES, body=body, idempotency_key=idempotency_key)

    async def get(self, queue_id: str) -> RoutingQueue:
        """One queue (scope ``routing:read``)."""
        return await self._call(RoutingQueue, "GET", path(QUEUE, queue_id))

    async def update(
        self,
        queue_id: str,
        *,
        name: str | None = None,
        group_ids: Sequence[str] | None = None,
        skills: Levels = None,
        strategy: str | None = None,
        aging_per_min: float | None = None,
        channel_weights: Levels = None,
        value_weight: float | None = None,
        overflow: Sequence[Mapping[str, Any]] | None = None,
        sticky_s: int | None = None,
        max_length: int | None = None,
        max_wait_s: int | None = None,
        ring_s: int | None = None,
        wrapup_s: int | None = None,
        auto_accept: bool | None = None,
        service_level_s: int | None = None,
        hours: Mapping[str, Any] | None = None,
        clear: Sequence[str] | None = None,
    ) -> RoutingQueue:
        """Change the given fields of the policy; see :meth:`RoutingQueueService.update`."""
        body = {**_queue_body(name, group_ids, skills, strategy, aging_per_min, channel_weights, value_weight,
                              overflow, sticky_s, max_length, max_wait_s, ring_s, wrapup_s, auto_accept,
                              service_level_s, hours),
                **nulls(clear)}
        return await self._call(RoutingQueue, "PATCH", path(QUEUE, queue_id), body=body)

    async def delete(self, queue_id: str) -> None:
        """Delete (or archive) a queue nobody waits in (scope ``routing:write``)."""
        await self._call_no_content("DELETE", path(QUEUE, queue_id))

    async def stats(self, queue_id: str) -> QueueStats:
        """The queue's live figures (scope ``routing:read``)."""
        return await self._call(QueueStats, "GET", path(QUEUE_STATS, queue_id))


class AsyncRoutingAgentService(AsyncNamespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[RoutingAgent]:
        """The workspace's agents (scope ``routing:read``)."""
        return self._list(RoutingAgent, AGENTS, limit=limit)

    async def create(
        self,
        *,
        member_id: str,
        skills: Levels = None,
        languages: Sequence[str] | None = None,
        capacity: Levels = None,
        group_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> RoutingAgent:
        """Make a member an agent (scope ``routing:write``); see :meth:`RoutingAgentService.create`."""
        body = {"id": member_id, **_agent_body(skills, languages, capacity, group_ids)}
        return await self._call(RoutingAgent, "POST", AGENTS, body=body, idempotency_key=idempotency_key)

    async def get(self, agent_id: str) -> RoutingAgent:
        """One agent (scope ``routing:read``)."""
        return await self._call(RoutingAgent, "GET", path(AGENT, agent_id))

    async def update(
        self,
        agent_id: str,
        *,
        skills: Levels = None,
        languages: Sequence[str] | None = None,
        capacity: Levels = None,
        group_ids: Sequence[str] | None = None,
    ) -> RoutingAgent:
        """Change the given fields (scope ``routing:write``)."""
        return await self._call(RoutingAgent, "PATCH", path(AGENT, agent_id),
                                body=_agent_body(skills, languages, capacity, group_ids))

    async def delete(self, agent_id: str) -> None:
        """Stop routing to the member (scope ``routing:write``)."""
        await self._call_no_content("DELETE", path(AGENT, agent_id))

    async def set_presence(self, agent_id: str, presence: str) -> AgentWork:
        """Set the agent online, busy, away or offline (scope ``routing:agent``); see
        :meth:`RoutingAgentService.set_presence`."""
        return await self._call(AgentWork, "PUT", path(PRESENCE, agent_id), body={"presence": presence})

    async def work(self, agent_id: str) -> AgentWork:
        """What the agent has now (scope ``routing:agent``)."""
        return await self._call(AgentWork, "GET", path(WORK, agent_id))


class AsyncConversationService(AsyncNamespace):
    async def create(
        self,
        *,
        queue_id: str,
        channel: str,
        skills: Levels = None,
        language: str | None = None,
        customer_id: str | None = None,
        value: float | None = None,
        priority: int | None = None,
        external_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> Conversation:
        """A customer asks for a human (scope ``routing:write``); see :meth:`ConversationService.create`."""
        body = _arrival(queue_id, channel, skills, language, customer_id, value, priority, external_ref)
        return await self._call(Conversation, "POST", CONVERSATIONS, body=body,
                                idempotency_key=idempotency_key)

    def list(
        self,
        *,
        state: str | None = None,
        queue_id: str | None = None,
        agent_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Conversation]:
        """Conversations oldest first, by state, queue or agent (scope ``routing:read``)."""
        return self._list(Conversation, CONVERSATIONS,
                          fields(state=state, queue_id=queue_id, agent_id=agent_id), limit)

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation and where it stands now (scope ``routing:read``)."""
        return await self._call(Conversation, "GET", path(CONVERSATION, conversation_id))

    async def accept(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The ringing agent takes the conversation (scope ``routing:agent``); Conflict if it no
        longer rings them."""
        return await self._call(Conversation, "POST", _action(conversation_id, "accept"),
                                body=fields(agent_id=agent_id))

    async def decline(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The ringing agent passes; the offer goes to someone else (scope ``routing:agent``)."""
        return await self._call(Conversation, "POST", _action(conversation_id, "decline"),
                                body=fields(agent_id=agent_id))

    async def complete(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The agent is done: wrap-up or over (scope ``routing:agent``)."""
        return await self._call(Conversation, "POST", _action(conversation_id, "complete"),
                                body=fields(agent_id=agent_id))

    async def end_wrapup(self, conversation_id: str, *, agent_id: str | None = None) -> Conversation:
        """The agent finishes wrap-up early (scope ``routing:agent``)."""
        return await self._call(Conversation, "POST", _action(conversation_id, "end-wrap-up"),
                                body=fields(agent_id=agent_id))

    async def transfer(
        self,
        conversation_id: str,
        *,
        to_queue_id: str | None = None,
        to_agent_id: str | None = None,
        agent_id: str | None = None,
    ) -> Conversation:
        """Move the agent's conversation to a queue or ring one agent with it (scope ``routing:agent``)."""
        body = fields(to_queue_id=to_queue_id, to_agent_id=to_agent_id, agent_id=agent_id)
        return await self._call(Conversation, "POST", _action(conversation_id, "transfer"), body=body)

    async def abandon(self, conversation_id: str) -> Conversation:
        """The customer left before an agent took the conversation (scope ``routing:write``)."""
        return await self._call(Conversation, "POST", _action(conversation_id, "abandon"))


class AsyncRoutingService(AsyncNamespace):
    """``client.routing`` of :class:`~ccokit_sdk.AsyncClient`."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.groups = AsyncRoutingGroupService(engine)
        self.queues = AsyncRoutingQueueService(engine)
        self.agents = AsyncRoutingAgentService(engine)
        self.conversations = AsyncConversationService(engine)

    async def stats(self) -> RoutingStats:
        """The workspace's live figures in all and queue by queue (scope ``routing:read``)."""
        return await self._call(RoutingStats, "GET", STATS)
