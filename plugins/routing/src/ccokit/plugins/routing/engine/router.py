"""The routing engine: every queue, agent and live conversation of the workspaces it serves, and
the decisions that move them.

One :class:`Router` is the single writer of routing state: operations are applied one at a
time, each returns the :mod:`effects <.effects>` it caused, and the service layer persists and
publishes them. Because nothing else changes the state, a conversation cannot be given to two
agents and an agent cannot be given more than their seats; the property tests check both after
every step of random histories, with the other invariants of :meth:`Router.check`.

The engine is work-conserving: after every operation no agent who could take a waiting
conversation is left without one. A conversation goes to an agent when it arrives (if one is
ready) and an agent pulls the best waiting conversation whenever they become ready (a
completion, a decline, coming online, the end of wrap-up). "Best" is the highest priority now:
the base priority plus aging for the time waited, oldest first among equals.

Time only moves when the caller says so: every operation takes ``now`` and first runs the
timers due by then (ring timeouts, overflow stages, maximum waits, ends of wrap-up).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from sortedcontainers import SortedList

from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine import figures
from ccokit.plugins.routing.engine.matching import admits, can_take, choose, reaches_queue, ready
from ccokit.plugins.routing.engine.model import Agent, Conversation, ConvState, Presence, QueuePolicy
from ccokit.plugins.routing.engine.state import QueueState, TenantState
from ccokit.plugins.routing.engine.stats import QueueStats

__all__ = ["SCAN_LIMIT", "Router", "RoutingError"]

#: How deep into one queue's conversations of one channel an agent looks for one they may take
#: (skills, language, declines); one further back waits until those ahead of it have gone (or a
#: timer routes it).
SCAN_LIMIT = 500


class RoutingError(Exception):
    """An operation that does not apply to the current state (``key`` names why, for messages):
    ``unknown_conversation``, ``unknown_agent``, ``unknown_queue``, ``not_offered``,
    ``not_assigned``, ``not_in_wrap_up``, ``not_waiting``, ``agent_unavailable``,
    ``agent_holds_work``, ``queue_not_empty``, ``conversation_exists``."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


class Router:
    """The routing state of many workspaces and the operations on it (see the module docstring)."""

    def __init__(self) -> None:
        self._tenants: dict[Hashable, TenantState] = {}
        self._timers: list[tuple[float, int, str, Hashable, Hashable, Any]] = []
        self._seq = itertools.count()
        #: Every change of a conversation's state takes the next number: a timer set for one
        #: state of a conversation is stale for any later one, also for a copy restored from the
        #: durable record in place of the engine's own (:meth:`catch_up`).
        self._epochs = itertools.count(1)
        #: Routing decisions taken (a conversation placed with an agent, or an agent or a
        #: conversation found no match): what "decisions per second" counts.
        self.decisions = 0
        #: Conversations that ended, were abandoned or refused since the caller last emptied
        #: this list: the engine forgets them, the caller still records their end.
        self.finished: list[Conversation] = []

    # -- configuration -------------------------------------------------------------------

    def _tenant(self, tenant: Hashable) -> TenantState:
        state = self._tenants.get(tenant)
        if state is None:
            state = self._tenants[tenant] = TenantState()
        return state

    def put_queue(self, policy: QueuePolicy, now: float) -> list[fx.Effect]:
        """Add a queue or change its policy; waiting conversations are routed again."""
        out: list[fx.Effect] = []
        self._due(now, out)
        t = self._tenant(policy.tenant)
        queue = t.queues.get(policy.id)
        if queue is None:
            t.queues[policy.id] = QueueState(policy, QueueStats(now))
            return out
        queue.policy = policy
        self._reroute_all(t, now, out)
        return out

    def remove_queue(self, tenant: Hashable, queue_id: Hashable, now: float) -> None:
        t = self._tenant(tenant)
        if queue_id not in t.queues:
            raise RoutingError("unknown_queue")
        if any(c.queue == queue_id or c.return_queue == queue_id for c in t.conversations.values()):
            raise RoutingError("queue_not_empty")
        del t.queues[queue_id]

    def put_agent(self, agent: Agent, now: float) -> list[fx.Effect]:
        """Add an agent or change their skills, languages, seats and groups (their presence
        and what they hold stay). Lowering seats below what they hold takes nothing away; they
        get no more until they are under the new number, and an offer ringing in a seat that
        is gone goes back to its queue."""
        out: list[fx.Effect] = []
        self._due(now, out)
        t = self._tenant(agent.tenant)
        known = t.agents.get(agent.id)
        if known is None:
            agent.load, agent.holding, agent.offer = {}, set(), None
            if agent.presence is Presence.ONLINE:
                agent.idle_since = now
            t.agents[agent.id] = agent
            t.order[agent.id] = t.joined
            t.joined += 1
            known = agent
        else:
            known.skills, known.languages = dict(agent.skills), agent.languages
            known.capacity, known.groups = dict(agent.capacity), agent.groups
            ringing = t.conversations[known.offer] if known.offer is not None else None
            if ringing is not None and known.free_seats(ringing.channel) < 0:
                self._unoffer(t, ringing, known, now, "capacity", out)  # the seat it rang in is gone
        self._refresh(t, known, now)
        self._pull(t, known, now, out)
        self._reroute_all(t, now, out)
        return out

    def remove_agent(self, tenant: Hashable, agent_id: Hashable, now: float) -> list[fx.Effect]:
        """Forget an agent who holds no conversation (a ringing offer goes back to its queue)."""
        out, t = self._begin(tenant, now)
        agent = self._agent(t, agent_id)
        if agent.holding:
            raise RoutingError("agent_holds_work")
        self._withdraw_offer(t, agent, now, "presence", out)
        del t.agents[agent_id]
        t.order.pop(agent_id, None)
        t.ready.pop(agent_id, None)
        return out

    # -- rebuilding from the durable record ----------------------------------------------

    def restore(self, conversation: Conversation, now: float) -> None:
        """Put back a live conversation exactly as the durable record has it (after a restart,
        or in a process whose copy is out of date): waiting in its queue with its overflow stage
        and timers, ringing its agent until its deadline, or with its agent (in wrap-up until its
        end). Its queue and agent must be in place; nothing is decided here: call :meth:`settle`
        once everything is back."""
        conv = conversation
        t = self._tenant(conv.tenant)
        queue = self._new_in_queue(t, conv)
        if conv.queued_at is None:
            conv.queued_at = conv.arrived_at
        if conv.state is ConvState.QUEUED:
            t.conversations[conv.id] = conv
            self._enqueue(t, queue, conv, now, fresh_queue=False)
            self._arm_waiting_timers(conv, queue.policy)
            return
        agent = t.agents.get(conv.agent)
        if agent is None or conv.state not in (ConvState.OFFERED, ConvState.ASSIGNED, ConvState.WRAP_UP):
            raise RoutingError("unknown_agent" if agent is None else "not_waiting")
        t.conversations[conv.id] = conv
        conv.epoch = next(self._epochs)
        agent.load[conv.channel] = agent.load.get(conv.channel, 0) + 1
        until = conv.until if conv.until is not None else now
        if conv.state is ConvState.OFFERED:
            agent.offer = conv.id
            conv.until = until
            self._timer(until, "ring", conv.tenant, conv.id, conv.epoch)
            self._arm_waiting_timers(conv, queue.policy)
        else:
            agent.holding.add(conv.id)
            if conv.state is ConvState.WRAP_UP:
                conv.until = until
                agent.wrapup_until = max(agent.wrapup_until, until)
                self._timer(until, "wrapup", conv.tenant, conv.id, conv.epoch)
        self._refresh(t, agent, now)

    def remember_customer(self, tenant: Hashable, customer: Hashable, agent_id: Hashable, at: float) -> None:
        """Who last served a customer, and when (for sticky routing after a rebuild)."""
        t = self._tenant(tenant)
        known = t.recent.get(customer)
        if known is None or known[1] <= at:
            t.recent[customer] = (agent_id, at)

    def settle(self, tenant: Hashable, now: float) -> list[fx.Effect]:
        """After a rebuild: run the timers due by ``now`` and give every ready agent the work
        they may take, as if the engine had never stopped."""
        out, t = self._begin(tenant, now)
        for agent in list(t.ready.values()):
            self._pull(t, agent, now, out)
        self._reroute_all(t, now, out)
        return out

    def catch_up(self, tenant: Hashable, changed: Iterable[Hashable], live: Iterable[Conversation],
                 agents: Iterable[tuple[Hashable, Presence, float]], now: float) -> None:
        """Bring a workspace up to date with decisions another engine took since this one's
        last, from the durable record of what they changed: ``changed`` names every
        conversation they touched, ``live`` is the record of those of them still live (in
        arrival order), ``agents`` the presence and idle time of every agent they touched.

        The workspace ends as a rebuild from the record would leave it (the property tests
        compare the two) at the cost of the change instead of the workspace's size. Nothing is
        decided. An agent unknown here means the configuration changed: rebuild instead
        (``RoutingError("unknown_agent")``)."""
        t = self._tenant(tenant)
        affected: set[Hashable] = set()
        for conv_id in changed:
            conv = t.conversations.get(conv_id)
            if conv is not None:
                if conv.agent is not None:
                    affected.add(conv.agent)
                self._forget(t, conv)
        for agent_id, presence, idle_since in agents:
            agent = self._agent(t, agent_id)
            agent.presence, agent.idle_since = presence, idle_since
            affected.add(agent_id)
        for conv in live:
            self.restore(conv, now)
            if conv.agent is not None:
                affected.add(conv.agent)
        for agent_id in affected:
            agent = t.agents.get(agent_id)
            if agent is None:
                continue
            agent.wrapup_until = self._wrapup_end(t, agent)
            self._refresh(t, agent, now)

    @staticmethod
    def _wrapup_end(t: TenantState, agent: Agent) -> float:
        """When the last wrap-up the agent is in ends (0 when in none)."""
        return max((t.conversations[c].until or 0.0 for c in agent.holding
                    if t.conversations[c].state is ConvState.WRAP_UP), default=0.0)

    def _forget(self, t: TenantState, conv: Conversation) -> None:
        """Take a live conversation out without deciding anything (its timers go stale)."""
        if conv.state is ConvState.QUEUED:
            self._dequeue(t.queues[conv.queue], conv)
        else:
            agent = t.agents[conv.agent]
            self._release_seat(conv, agent)
            agent.holding.discard(conv.id)
            if agent.offer == conv.id:
                agent.offer = None
        del t.conversations[conv.id]

    def queue_memory(self, tenant: Hashable, queue_id: Hashable) -> dict[str, Any]:
        """What a queue has learnt that the conversations do not record (its statistics and
        round robin's place), as JSON values, for :meth:`recall_queue` after a rebuild."""
        queue = self._tenant(tenant).queues[queue_id]
        return {"stats": queue.stats.to_json(), "last_picked": queue.last_picked}

    def recall_queue(self, tenant: Hashable, queue_id: Hashable, memory: dict[str, Any]) -> None:
        queue = self._tenant(tenant).queues.get(queue_id)
        if queue is None:
            return
        queue.stats = QueueStats.from_json(memory.get("stats") or {}, queue.stats)
        queue.last_picked = memory.get("last_picked")

    # -- conversations -------------------------------------------------------------------

    def arrive(self, conversation: Conversation, now: float, *, open_now: bool = True) -> list[fx.Effect]:
        """A customer asks for a human: queue the conversation (or refuse it when the queue is
        closed or full) and give it to an agent at once if one can take it."""
        out: list[fx.Effect] = []
        self._due(now, out)
        t = self._tenant(conversation.tenant)
        queue = self._new_in_queue(t, conversation)
        policy = queue.policy
        queue.stats.arrivals.add(now)
        reason = None
        if not open_now:
            reason = "closed"
        elif policy.max_length is not None and len(queue.waiting) >= policy.max_length:
            reason = "queue_full"
        if reason is not None:
            queue.stats.refused += 1
            conversation.state = ConvState.ENDED
            self.finished.append(conversation)
            out.append(fx.Refused(conversation.id, policy.id, reason))
            return out
        queue.stats.admitted += 1
        t.conversations[conversation.id] = conversation
        self._enqueue(t, queue, conversation, now, fresh_queue=True)
        at = len(out)
        self._route(t, queue, conversation, now, out)
        position, estimate = figures.position(t, queue, conversation, now)
        conversation.estimate_s = estimate
        out.insert(at, fx.Admitted(conversation.id, policy.id, position, estimate))
        return out

    def accept(self, tenant: Hashable, conversation_id: Hashable, agent_id: Hashable, now: float
               ) -> list[fx.Effect]:
        """The ringing agent takes the conversation."""
        out, t = self._begin(tenant, now)
        conv, agent = self._ringing(t, conversation_id, agent_id)
        agent.offer = None
        agent.missed_offers = 0
        self._assign(t, conv, agent, now, out)
        self._refresh(t, agent, now)
        self._pull(t, agent, now, out)
        return out

    def decline(self, tenant: Hashable, conversation_id: Hashable, agent_id: Hashable, now: float
                ) -> list[fx.Effect]:
        """The ringing agent passes: the conversation goes to someone else (never back to them)."""
        out, t = self._begin(tenant, now)
        conv, agent = self._ringing(t, conversation_id, agent_id)
        conv.declined_by.add(agent_id)
        self._unoffer(t, conv, agent, now, "declined", out)
        self._pull(t, agent, now, out)
        return out

    def complete(self, tenant: Hashable, conversation_id: Hashable, now: float) -> list[fx.Effect]:
        """The agent is done with the conversation: wrap-up if the queue has some, else over."""
        out, t = self._begin(tenant, now)
        conv = self._conversation(t, conversation_id, (ConvState.ASSIGNED,), "not_assigned")
        agent = t.agents[conv.agent]
        queue = t.queues[conv.queue]
        if conv.assigned_at is not None:
            queue.stats.on_handled(now - conv.assigned_at)
        wrapup_s = queue.policy.wrapup_s
        if wrapup_s <= 0:
            self._end(t, conv, agent, now, "completed", out)
            return out
        conv.state, conv.until = ConvState.WRAP_UP, now + wrapup_s
        conv.epoch = next(self._epochs)
        agent.wrapup_until = max(agent.wrapup_until, conv.until)
        self._timer(conv.until, "wrapup", conv.tenant, conv.id, conv.epoch)
        out.append(fx.WrapUp(conv.id, agent.id, conv.until))
        self._refresh(t, agent, now)
        return out

    def end_wrapup(self, tenant: Hashable, conversation_id: Hashable, now: float) -> list[fx.Effect]:
        """The agent finishes wrap-up early."""
        out, t = self._begin(tenant, now)
        conv = self._conversation(t, conversation_id, (ConvState.WRAP_UP,), "not_in_wrap_up")
        self._end(t, conv, t.agents[conv.agent], now, "completed", out)
        return out

    def abandon(self, tenant: Hashable, conversation_id: Hashable, now: float) -> list[fx.Effect]:
        """The customer left before an agent took the conversation."""
        out, t = self._begin(tenant, now)
        conv = self._conversation(t, conversation_id, (ConvState.QUEUED, ConvState.OFFERED), "not_waiting")
        agent = t.agents[conv.agent] if conv.state is ConvState.OFFERED else None
        if agent is not None:
            self._release_seat(conv, agent)
            agent.offer = None
        else:
            self._dequeue(t.queues[conv.queue], conv)
        conv.state, conv.agent = ConvState.ABANDONED, None
        conv.epoch = next(self._epochs)
        self._finish(t, conv)
        t.queues[conv.queue].stats.abandoned += 1
        out.append(fx.Abandoned(conv.id, now - conv.arrived_at))
        if agent is not None:
            self._refresh(t, agent, now)
            self._pull(t, agent, now, out)
        return out

    def transfer(self, tenant: Hashable, conversation_id: Hashable, now: float, *,
                 to_queue: Hashable | None = None, to_agent: Hashable | None = None) -> list[fx.Effect]:
        """Move an assigned conversation to another queue (it keeps its place by arrival and
        priority) or ring one named agent with it (back to its queue if they do not take it)."""
        if (to_queue is None) == (to_agent is None):
            raise ValueError("transfer to a queue or to an agent")
        out, t = self._begin(tenant, now)
        conv = self._conversation(t, conversation_id, (ConvState.ASSIGNED,), "not_assigned")
        source = t.agents[conv.agent]
        if to_queue is not None:
            if to_queue not in t.queues:
                raise RoutingError("unknown_queue")
            self._unassign(t, conv, source)
            queue = t.queues[to_queue]
            conv.queue, conv.declined_by, conv.stage = to_queue, set(), 0
            self._enqueue(t, queue, conv, now, fresh_queue=True)
            out.append(fx.Requeued(conv.id, to_queue, "transferred", source.id))
            self._route(t, queue, conv, now, out)
        else:
            target = t.agents.get(to_agent)
            if target is None:
                raise RoutingError("unknown_agent")
            if target is source or not can_take(target, conv, now):
                raise RoutingError("agent_unavailable")
            self._unassign(t, conv, source)
            conv.return_queue = conv.queue
            self._ring(t, t.queues[conv.queue], conv, target, now, out)
        self._refresh(t, source, now)
        self._pull(t, source, now, out)
        return out

    # -- agents --------------------------------------------------------------------------

    def set_presence(self, tenant: Hashable, agent_id: Hashable, presence: Presence, now: float
                     ) -> list[fx.Effect]:
        """An agent goes online, busy, away or offline. Leaving ``online`` hands a ringing offer
        back to its queue; what they hold stays with them."""
        out, t = self._begin(tenant, now)
        agent = self._agent(t, agent_id)
        presence = Presence(presence)
        if presence is Presence.ONLINE and agent.presence is not Presence.ONLINE:
            agent.idle_since = now
        agent.presence = presence
        if presence is not Presence.ONLINE:
            self._withdraw_offer(t, agent, now, "presence", out)
        self._refresh(t, agent, now)
        self._pull(t, agent, now, out)
        return out

    # -- time ----------------------------------------------------------------------------

    def tick(self, now: float) -> list[fx.Effect]:
        """Run the timers due by ``now``."""
        out: list[fx.Effect] = []
        self._due(now, out)
        return out

    def next_deadline(self) -> float | None:
        """When the earliest timer that would still do something is due (timers are dropped
        lazily: one whose offer was taken or whose conversation left is skipped here), so an
        alarm set for it does not wake the workspace for nothing."""
        timers = self._timers
        while timers and self._stale(timers[0]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def _timer(self, at: float, kind: str, tenant: Hashable, ref: Hashable, token: Any) -> None:
        heapq.heappush(self._timers, (at, next(self._seq), kind, tenant, ref, token))

    def _stale(self, timer: tuple[Any, ...]) -> bool:
        """Whether a timer no longer applies: its conversation left, or moved on since it was set
        (the offer was answered, the wrap-up ended, it went back to a queue)."""
        _, _, kind, tenant, ref, token = timer
        t = self._tenants.get(tenant)
        conv = t.conversations.get(ref) if t is not None else None
        if conv is None:
            return True
        if kind == "ring":
            return not (conv.state is ConvState.OFFERED and conv.epoch == token)
        if kind == "wrapup":
            return not (conv.state is ConvState.WRAP_UP and conv.epoch == token)
        if kind == "stage":
            return not (conv.queued_at == token[0] and conv.stage < token[1])
        # max_wait: while it waits or rings
        return not (conv.queued_at == token and conv.state in (ConvState.OFFERED, ConvState.QUEUED))

    def _due(self, now: float, out: list[fx.Effect]) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            timer = heapq.heappop(timers)
            if self._stale(timer):
                continue
            at, _, kind, tenant, ref, token = timer
            t = self._tenants[tenant]
            conv = t.conversations[ref]
            if kind == "ring":
                self._ring_timeout(t, conv, at, out)
            elif kind == "wrapup":
                self._end(t, conv, t.agents[conv.agent], at, "completed", out)
            elif kind == "stage":
                conv.stage = token[1]
                out.append(fx.Overflowed(conv.id, conv.stage))
                if conv.state is ConvState.QUEUED:
                    self._route(t, t.queues[conv.queue], conv, at, out)
            elif conv.state is ConvState.OFFERED:
                # max_wait, ringing when its time ran out: decided when the ring ends (taken, or over)
                self._timer(conv.until or at, "max_wait", conv.tenant, conv.id, token)
            else:  # max_wait, still queued
                queue = t.queues[conv.queue]
                self._dequeue(queue, conv)
                conv.state = ConvState.ENDED
                conv.epoch = next(self._epochs)
                self._finish(t, conv)
                queue.stats.max_wait_ended += 1
                out.append(fx.Ended(conv.id, None, "max_wait"))

    # -- reading -------------------------------------------------------------------------

    def conversation(self, tenant: Hashable, conversation_id: Hashable) -> Conversation | None:
        t = self._tenants.get(tenant)
        return t.conversations.get(conversation_id) if t is not None else None

    def agent(self, tenant: Hashable, agent_id: Hashable) -> Agent | None:
        t = self._tenants.get(tenant)
        return t.agents.get(agent_id) if t is not None else None

    def position(self, tenant: Hashable, conversation_id: Hashable, now: float
                 ) -> tuple[int, float | None]:
        """A waiting conversation's place (1 = next) and estimated seconds to an agent;
        ``(0, 0.0)`` once an agent has it."""
        t = self._tenant(tenant)
        conv = self._conversation(t, conversation_id)
        return figures.position(t, t.queues[conv.queue], conv, now)

    def queue_stats(self, tenant: Hashable, queue_id: Hashable, now: float) -> dict[str, Any]:
        """Live figures of one queue (:func:`.figures.queue_figures`)."""
        queue = self._tenant(tenant).queues.get(queue_id)
        if queue is None:
            raise RoutingError("unknown_queue")
        return figures.queue_figures(self._tenant(tenant), queue, now)

    def workspace_stats(self, tenant: Hashable, now: float) -> dict[str, Any]:
        """The workspace's figures over all its queues and agents (:func:`.figures.workspace_figures`)."""
        return figures.workspace_figures(self._tenant(tenant), now)

    def queues(self, tenant: Hashable) -> Iterator[QueuePolicy]:
        t = self._tenants.get(tenant)
        return iter([q.policy for q in t.queues.values()] if t is not None else [])

    # -- the moves -----------------------------------------------------------------------

    def _finish(self, t: TenantState, conv: Conversation) -> None:
        del t.conversations[conv.id]
        self.finished.append(conv)

    def _begin(self, tenant: Hashable, now: float) -> tuple[list[fx.Effect], TenantState]:
        """Every operation starts here: the timers due by ``now`` run first."""
        out: list[fx.Effect] = []
        self._due(now, out)
        return out, self._tenant(tenant)

    def _ringing(self, t: TenantState, conversation_id: Hashable, agent_id: Hashable
                 ) -> tuple[Conversation, Agent]:
        conv = self._conversation(t, conversation_id)
        if conv.state is not ConvState.OFFERED or conv.agent != agent_id:
            raise RoutingError("not_offered")
        return conv, t.agents[agent_id]

    def _new_in_queue(self, t: TenantState, conv: Conversation) -> QueueState:
        """The queue a conversation the engine does not hold yet goes to."""
        queue = t.queues.get(conv.queue)
        if queue is None:
            raise RoutingError("unknown_queue")
        if conv.id in t.conversations:
            raise RoutingError("conversation_exists")
        return queue

    def _conversation(self, t: TenantState, conversation_id: Hashable,
                      states: tuple[ConvState, ...] | None = None, refusal: str = "") -> Conversation:
        """The live conversation, in one of ``states`` if given (else ``RoutingError(refusal)``)."""
        conv = t.conversations.get(conversation_id)
        if conv is None:
            raise RoutingError("unknown_conversation")
        if states is not None and conv.state not in states:
            raise RoutingError(refusal)
        return conv

    def _agent(self, t: TenantState, agent_id: Hashable) -> Agent:
        agent = t.agents.get(agent_id)
        if agent is None:
            raise RoutingError("unknown_agent")
        return agent

    def _enqueue(self, t: TenantState, queue: QueueState, conv: Conversation, now: float, *, fresh_queue: bool
                 ) -> None:
        policy = queue.policy
        seq = next(self._seq)
        conv.key = (-(conv.priority - policy.aging_per_s * conv.arrived_at), conv.arrived_at, seq)
        conv.state, conv.agent, conv.until = ConvState.QUEUED, None, None
        conv.epoch = next(self._epochs)
        queue.waiting.add(conv.key)
        channel_keys = queue.by_channel.get(conv.channel)
        if channel_keys is None:
            channel_keys = queue.by_channel[conv.channel] = SortedList()
        channel_keys.add(conv.key)
        queue.entries[seq] = conv
        if fresh_queue:
            conv.queued_at = now
            self._arm_waiting_timers(conv, policy)

    def _arm_waiting_timers(self, conv: Conversation, policy: QueuePolicy) -> None:
        """The overflow stages still to open and the maximum wait, counted from ``queued_at``."""
        since = conv.queued_at
        assert since is not None
        for number, stage in enumerate(policy.overflow, start=1):
            if number > conv.stage:
                self._timer(since + stage.after_s, "stage", conv.tenant, conv.id, (since, number))
        if policy.max_wait_s is not None:
            self._timer(since + policy.max_wait_s, "max_wait", conv.tenant, conv.id, since)

    def _dequeue(self, queue: QueueState, conv: Conversation) -> None:
        assert conv.key is not None
        queue.waiting.remove(conv.key)
        queue.by_channel[conv.channel].remove(conv.key)
        del queue.entries[conv.key[2]]
        conv.key = None

    def _route(self, t: TenantState, queue: QueueState, conv: Conversation, now: float,
               out: list[fx.Effect]) -> None:
        """Give a waiting conversation to the agent its queue picks, if anyone can take it."""
        self.decisions += 1
        policy = queue.policy
        if policy.sticky_s > 0 and conv.customer is not None:
            last = t.recent.get(conv.customer)
            if last is not None and now - last[1] <= policy.sticky_s:
                agent = t.ready.get(last[0])
                if agent is not None and can_take(agent, conv, now) and admits(agent, conv, policy):
                    self._give(t, queue, conv, agent, now, out)
                    return
        candidates = (a for a in t.ready.values() if can_take(a, conv, now) and admits(a, conv, policy))
        agent = choose(candidates, policy, conv, t.order, queue.last_picked)
        if agent is not None:
            self._give(t, queue, conv, agent, now, out)

    def _pull(self, t: TenantState, agent: Agent, now: float, out: list[fx.Effect]) -> None:
        """While the agent is ready, give them the best waiting conversation they may take."""
        while agent.id in t.ready:
            self.decisions += 1
            best: tuple[tuple[float, float], QueueState, Conversation] | None = None
            for queue in t.queues.values():
                if not queue.waiting or not reaches_queue(agent, queue.policy):
                    continue
                policy = queue.policy
                for channel, keys in queue.by_channel.items():
                    if not keys or agent.free_seats(channel) <= 0:
                        continue
                    for key in keys.islice(0, SCAN_LIMIT):
                        conv = queue.entries[key[2]]
                        if can_take(agent, conv, now) and admits(agent, conv, policy):
                            waited = now - conv.arrived_at
                            rank = (conv.priority + policy.aging_per_s * waited, -conv.arrived_at)
                            if best is None or rank > best[0]:
                                best = (rank, queue, conv)
                            break
            if best is None:
                return
            self._give(t, best[1], best[2], agent, now, out)

    def _give(self, t: TenantState, queue: QueueState, conv: Conversation, agent: Agent, now: float,
              out: list[fx.Effect]) -> None:
        self._dequeue(queue, conv)
        queue.last_picked = agent.id
        queue.stats.departures.add(now)
        agent.idle_since = now
        if queue.policy.auto_accept:
            agent.load[conv.channel] = agent.load.get(conv.channel, 0) + 1
            self._assign(t, conv, agent, now, out)
            self._refresh(t, agent, now)
        else:
            self._ring(t, queue, conv, agent, now, out)

    def _ring(self, t: TenantState, queue: QueueState, conv: Conversation, agent: Agent, now: float,
              out: list[fx.Effect]) -> None:
        agent.load[conv.channel] = agent.load.get(conv.channel, 0) + 1
        agent.offer = conv.id
        conv.state, conv.agent = ConvState.OFFERED, agent.id
        conv.until = now + queue.policy.ring_s
        conv.epoch = next(self._epochs)
        self._timer(conv.until, "ring", conv.tenant, conv.id, conv.epoch)
        out.append(fx.Offered(conv.id, agent.id, conv.until))
        self._refresh(t, agent, now)

    def _assign(self, t: TenantState, conv: Conversation, agent: Agent, now: float,
                out: list[fx.Effect]) -> None:
        """The conversation is the agent's (its seat is already counted)."""
        conv.state, conv.agent, conv.until = ConvState.ASSIGNED, agent.id, None
        conv.assigned_at = now
        conv.epoch = next(self._epochs)
        conv.return_queue = None
        agent.holding.add(conv.id)
        if conv.customer is not None:
            t.recent[conv.customer] = (agent.id, now)
        if conv.answered_at is None:
            conv.answered_at = now
            queue = t.queues[conv.queue]
            queue.stats.on_answer(now - conv.arrived_at, queue.policy.service_level_s, conv.estimate_s)
        out.append(fx.Assigned(conv.id, agent.id, now - conv.arrived_at))

    def _release_seat(self, conv: Conversation, agent: Agent) -> None:
        agent.load[conv.channel] -= 1
        if not agent.load[conv.channel]:
            del agent.load[conv.channel]

    def _unoffer(self, t: TenantState, conv: Conversation, agent: Agent, now: float, reason: str,
                 out: list[fx.Effect]) -> None:
        """Take a ringing offer back from the agent and queue the conversation again, in the
        place it had (or back in the queue it was transferred from)."""
        self._release_seat(conv, agent)
        agent.offer = None
        self._refresh(t, agent, now)
        fresh = False
        if conv.return_queue is not None:  # a refused transfer re-enters its queue afresh
            conv.queue, conv.return_queue, conv.stage = conv.return_queue, None, 0
            reason, fresh = "transfer_refused", True
        queue = t.queues[conv.queue]
        self._enqueue(t, queue, conv, now, fresh_queue=fresh)
        out.append(fx.Requeued(conv.id, queue.policy.id, reason, agent.id))
        self._route(t, queue, conv, now, out)

    def _withdraw_offer(self, t: TenantState, agent: Agent, now: float, reason: str,
                        out: list[fx.Effect]) -> None:
        if agent.offer is not None:
            self._unoffer(t, t.conversations[agent.offer], agent, now, reason, out)

    def _ring_timeout(self, t: TenantState, conv: Conversation, now: float, out: list[fx.Effect]) -> None:
        agent = t.agents[conv.agent]
        agent.missed_offers += 1
        agent.presence = Presence.AWAY  # a missed offer means nobody is at the desk
        out.append(fx.PresenceChanged(agent.id, Presence.AWAY.value, "missed_offer"))
        conv.declined_by.add(agent.id)
        self._unoffer(t, conv, agent, now, "ring_timeout", out)

    def _unassign(self, t: TenantState, conv: Conversation, agent: Agent) -> None:
        agent.holding.discard(conv.id)
        self._release_seat(conv, agent)
        conv.agent = None

    def _end(self, t: TenantState, conv: Conversation, agent: Agent, now: float, reason: str,
             out: list[fx.Effect]) -> None:
        was_wrap_up = conv.state is ConvState.WRAP_UP
        self._unassign(t, conv, agent)
        conv.state, conv.until = ConvState.ENDED, None
        conv.epoch = next(self._epochs)
        self._finish(t, conv)
        if conv.customer is not None:
            t.recent[conv.customer] = (agent.id, now)
        if was_wrap_up:
            agent.wrapup_until = self._wrapup_end(t, agent)
        out.append(fx.Ended(conv.id, agent.id, reason))
        self._refresh(t, agent, now)
        self._pull(t, agent, now, out)

    def _refresh(self, t: TenantState, agent: Agent, now: float) -> None:
        if ready(agent, now):
            t.ready[agent.id] = agent
        else:
            t.ready.pop(agent.id, None)

    def _reroute_all(self, t: TenantState, now: float, out: list[fx.Effect]) -> None:
        """After a change of configuration: route every waiting conversation again, best first."""
        waiting = sorted(
            (c for c in t.conversations.values() if c.state is ConvState.QUEUED),
            key=lambda c: (-(c.priority + t.queues[c.queue].policy.aging_per_s * (now - c.arrived_at)),
                           c.arrived_at),
        )
        for conv in waiting:
            if not t.ready:
                return
            if conv.state is ConvState.QUEUED:
                self._route(t, t.queues[conv.queue], conv, now, out)
