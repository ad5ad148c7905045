"""Each workspace's routing engine, in step with the durable record, in every process.

A routing decision runs inside the transaction of the request (or job) that causes it:

1. the workspace's ``routing_engine_states`` row is locked (``SELECT … FOR UPDATE``), so one
   decision of a workspace happens at a time across every web process and worker (one single
   writer per workspace, which is what keeps a conversation from two agents and an agent
   within their seats);
2. the engine this process cached for the workspace is used as it is if it has the row's
   version; if it is a few versions behind, it **catches up**: the row's journal names the
   conversations and agents each later version changed, and only those rows are read back
   (:meth:`~..engine.router.Router.catch_up`); otherwise (a new process, a change of
   configuration, too far behind) it is rebuilt from the tables and settled;
3. the operation runs; its effects are written to the conversation and agent rows and published
   as events in the same transaction, and the state row takes the next version, what it
   changed (in the journal) and the queue statistics;
4. after the commit the engine goes back to the process's cache with its version (a thread of
   the same process waiting for the workspace's lock takes it from there, rather than
   rebuilding); after a rollback, or with decisions it did not write, it is dropped. A second
   decision in the same transaction goes on with the same engine.

A workspace where no request comes still has its timers run on time (a ring nobody answers, an
overflow stage, a maximum wait, the end of wrap-up): a decision that leaves a timer with no alarm
ringing by it enqueues the delayed ``routing.alarm`` job for it, in the same transaction, and
notes when in the state row (``alarm_at``); the alarm runs what is due then, or, if a request ran
it first, sets itself again for the next timer.

Nothing lives only in memory: a killed process loses at most a transaction that was never
acknowledged, and Redis holds none of it. The cost is a row lock per decision of a workspace
(decisions of different workspaces do not wait for each other) and, when another process
decided last, reading back what it changed (a rebuild when that is not known).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine.model import Conversation, ConvState
from ccokit.plugins.routing.engine.router import Router, RoutingError
from ccokit.plugins.routing.models import (
    LIVE_STATES,
    RoutingAgent,
    RoutingConversation,
    RoutingEngineState,
    RoutingQueue,
)
from ccokit.plugins.routing.services import records
from ccokit.plugins.routing.services.event_payloads import payload_of
from ccokit_sdk.models import tenant_of

__all__ = [
    "ALARM_JOB", "ALARM_MIN_S", "STATE", "Outbox", "WorkspaceRouting", "forget_cached", "next_alarm",
    "set_alarm", "timers",
]


class Outbox(Protocol):
    """Where a decision's events and the workspace's alarm go: the request's or the job's
    context (``ctx``), so they are written in the decision's transaction."""

    def publish(self, event_type: str, payload: Mapping[str, Any], /) -> Any: ...

    def enqueue(self, job: str, /, *, delay: float | None = None, **kwargs: Any) -> Any: ...


STATE = "engine"
#: The job that wakes a workspace for its earliest timer (registered by the plugin's setup).
ALARM_JOB = "routing.alarm"
#: An alarm rings at the earliest timer but not sooner than this after it is set, so a
#: workspace whose timers keep coming due with nobody acting (a backlog passing its overflow
#: stages one by one) costs at most one job a second; a timer may run up to this much late.
ALARM_MIN_S = 1.0
#: Versions the state row's journal remembers: a process further behind rebuilds. Two web
#: processes and a worker are rarely more than a few apart; many pods, more.
JOURNAL_LENGTH = 32

_cache: dict[uuid.UUID, tuple[int, Router]] = {}
#: Workspaces whose engine a transaction of this process has taken and not yet given back.
_out: set[uuid.UUID] = set()
_cache_lock = threading.Lock()
_given_back = threading.Condition(_cache_lock)
#: How long a decision waits for the engine another thread of the process is giving back.
#: That thread's transaction has already ended (the waiter holds the workspace's lock), so the
#: engine comes back within microseconds; the bound only guards against a hook that never ran.
GIVE_BACK_WAIT_S = 1.0
#: Session.info key: the workspaces whose engine this transaction took, by tenant id, with the
#: last :class:`WorkspaceRouting` opened on it (``None`` until one is).
_OPENED = "routing.workspaces"


def forget_cached() -> None:
    """Drop every cached engine (tests that change rows behind the engine's back)."""
    with _cache_lock:
        _cache.clear()


def _take(session: Session, tenant_id: uuid.UUID) -> tuple[int, Router] | None:
    """This process's engine of the workspace and its version, taken out of the cache for the
    session's transaction (no other thread of the process may use it until the transaction
    ends and gives it back); ``None`` if the transaction has it already.

    The caller holds the workspace's lock, so a transaction of this process that took the
    engine before has ended and is about to give it back: wait for it instead of rebuilding
    (threads of one web process often decide for the same busy workspace one after the other,
    and a rebuild reads the whole workspace).
    """
    taken: dict[uuid.UUID, WorkspaceRouting | None] = session.info.setdefault(_OPENED, {})
    if tenant_id in taken:
        return None
    with _given_back:
        _given_back.wait_for(lambda: tenant_id not in _out, timeout=GIVE_BACK_WAIT_S)
        _out.add(tenant_id)
        # Given back at the end of the transaction whatever happens before the workspace is open.
        taken[tenant_id] = None
        return _cache.pop(tenant_id, None)


def _give_back(tenant_id: uuid.UUID, entry: tuple[int, Router] | None) -> None:
    """Put the engine back in the cache after a commit (``None``, dropped: after a rollback)."""
    with _given_back:
        _out.discard(tenant_id)
        if entry is not None:
            _cache[tenant_id] = entry
        _given_back.notify_all()


def _end_of(session: Session, committed: bool) -> None:
    """A transaction ended: each engine it used goes back to the cache if the transaction
    committed what the engine decided, and is dropped otherwise."""
    opened: dict[uuid.UUID, WorkspaceRouting | None] = session.info.pop(_OPENED, None) or {}
    for tenant_id, ws in opened.items():
        kept = ws is not None and committed and ws.in_step
        _give_back(tenant_id, (ws.version, ws.router) if kept else None)  # type: ignore[union-attr]


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released: the transaction goes on
        _end_of(session, committed=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint rolled back: what the engines decided inside it may be gone from the
        # tables while the transaction goes on, so they are dropped when it ends.
        for ws in (session.info.get(_OPENED) or {}).values():
            if ws is not None:
                ws.savepoint_lost = True


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    # The end of a transaction that did not commit (rolled back, or closed while open); after a
    # commit the engines were given back already.
    if transaction.parent is None and not transaction.nested:
        _end_of(session, committed=False)


# What every decision reads, built once: Core statements on the tables, scoped to the workspace
# by the session's tenant filter (which adds its one criterion to their WHERE); building them
# and going through the ORM's result machinery for each decision cost more than the round trips.
_CONVERSATIONS = RoutingConversation.__table__
_AGENTS, _STATES = RoutingAgent.__table__, RoutingEngineState.__table__
_LOCK = select(_STATES.c.version, _STATES.c.memory, _STATES.c.journal, _STATES.c.alarm_at).where(
    _STATES.c.name == STATE).with_for_update()
#: What a rebuild reads of each live conversation (what :func:`records.conversation_of` uses).
_CONVERSATION_COLUMNS = tuple(_CONVERSATIONS.c[name] for name in (
    "id", "queue_id", "channel", "state", "skills", "language", "customer_id", "agent_id", "stage",
    "declined_by", "return_queue_id", "arrived_at", "queued_at", "offer_expires_at", "answered_at",
    "assigned_at", "wrapup_until", "priority", "estimate_s",
))
_AGENT_COLUMNS = tuple(_AGENTS.c[name] for name in (
    "member_id", "skills", "languages", "capacity", "groups", "presence", "idle_since", "presence_at",
))
_EVERY_AGENT = select(*_AGENT_COLUMNS).order_by(_AGENTS.c.created_at, _AGENTS.c.member_id)
_LIVE = select(*_CONVERSATION_COLUMNS).where(_CONVERSATIONS.c.state.in_(LIVE_STATES)).order_by(
    _CONVERSATIONS.c.arrived_at, _CONVERSATIONS.c.id)
#: The conversations and agents a catch-up reads back, by id.
_CONVERSATIONS_BY_ID = select(*_CONVERSATION_COLUMNS, _CONVERSATIONS.c.ended_at).where(
    _CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True))).order_by(
    _CONVERSATIONS.c.arrived_at, _CONVERSATIONS.c.id)
_AGENTS_BY_ID = select(*_AGENT_COLUMNS).where(_AGENTS.c.member_id.in_(bindparam("ids", expanding=True)))


#: SQLite (the embedded default) ignores ``FOR UPDATE``, and its driver reads outside any
#: transaction until the first write: a write first takes the database's write lock for the rest
#: of the transaction, so the reads after it see the last commit and nobody else decides meanwhile
#: (any workspace: the embedded default serves one merchant).
_WRITE_LOCK = _STATES.update().where(_STATES.c.name == STATE).values(version=_STATES.c.version)


def _lock(session: Session) -> tuple[int, dict[str, Any], list[Any], float | None]:
    """Lock the state row of the session's workspace (created on first use); returns its version,
    memory, journal and when its alarm rings."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_WRITE_LOCK)
    row = session.execute(_LOCK).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(RoutingEngineState(name=STATE, version=0, memory={}, journal=[]))
        except IntegrityError:
            pass  # another transaction created it first; its lock is what we wait for now
        row = session.execute(_LOCK).one()
    return int(row[0]), dict(row[1] or {}), list(row[2] or []), records.epoch(row[3])


def _changes_since(journal: list[Any], since: int, version: int) -> tuple[set[str], set[str]] | None:
    """The conversations and agents that versions ``since + 1`` to ``version`` changed, or
    ``None`` when the journal does not cover them all or one was a change of configuration."""
    wanted = range(since + 1, version + 1)
    entries = {entry[0]: entry for entry in journal if since < entry[0] <= version}
    if len(entries) != len(wanted):
        return None
    conversations: set[str] = set()
    agents: set[str] = set()
    for entry in entries.values():
        if entry[1] is None:
            return None
        conversations.update(entry[1])
        agents.update(entry[2])
    return conversations, agents


def _recall_queues(router: Router, tenant: str, memory: Mapping[str, Any]) -> None:
    """Give each queue its statistics and round robin's place from the state row's memory."""
    remembered = memory.get("queues") or {}
    for policy in list(router.queues(tenant)):
        router.recall_queue(tenant, policy.id, remembered.get(str(policy.id)) or {})


def _rebuild(session: Session, tenant: str, memory: Mapping[str, Any], now: float) -> Router:
    """A new engine holding the workspace as its tables record it."""
    router = Router()
    queues = session.scalars(select(RoutingQueue).where(RoutingQueue.archived_at.is_(None))).all()
    for queue in queues:
        router.put_queue(records.policy_of(queue, tenant), now)
    _recall_queues(router, tenant, memory)
    for row in session.execute(_EVERY_AGENT):
        agent = records.agent_of(row, tenant)
        idle_since = agent.idle_since
        router.put_agent(agent, now)
        agent.idle_since = idle_since
    # Plain rows, not ORM objects: a workspace with a backlog restores hundreds of conversations
    # per rebuild, and building an object for each cost most of it.
    for row in session.execute(_LIVE):
        conv = records.conversation_of(row, tenant)
        router.restore(conv, now)
        if conv.customer is not None and conv.agent is not None and conv.assigned_at is not None:
            router.remember_customer(tenant, conv.customer, conv.agent, conv.assigned_at)
    window = max((q.sticky_s for q in queues), default=0)
    if window:
        since = records.moment(now - window)
        served = session.execute(
            select(RoutingConversation.customer_id, RoutingConversation.agent_id,
                   RoutingConversation.ended_at)
            .where(RoutingConversation.ended_at >= since, RoutingConversation.customer_id.is_not(None),
                   RoutingConversation.agent_id.is_not(None))
        )
        for customer_id, agent_id, ended_at in served:
            router.remember_customer(tenant, str(customer_id), str(agent_id), records.epoch(ended_at) or now)
    return router


def _identity(tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> Any:
    return identity_key(RoutingConversation, (tenant_id, conversation_id))


def _catch_up(session: Session, router: Router, tenant: str, changes: tuple[set[str], set[str]],
              memory: Mapping[str, Any], now: float) -> None:
    """Bring an engine a few versions behind up to date from the rows those versions changed."""
    conversations, agents = changes
    live: list[Conversation] = []
    served: list[tuple[str, str, float]] = []
    if conversations:
        rows = session.execute(_CONVERSATIONS_BY_ID, {"ids": [uuid.UUID(c) for c in conversations]})
        for row in rows:
            if row.state in LIVE_STATES:
                conv = records.conversation_of(row, tenant)
                live.append(conv)
                if conv.customer is not None and conv.agent is not None and conv.assigned_at is not None:
                    served.append((conv.customer, conv.agent, conv.assigned_at))
            elif row.customer_id is not None and row.agent_id is not None and row.ended_at is not None:
                served.append((str(row.customer_id), str(row.agent_id), records.epoch(row.ended_at) or now))
    presence = []
    if agents:
        for row in session.execute(_AGENTS_BY_ID, {"ids": [uuid.UUID(a) for a in agents]}):
            agent = records.agent_of(row, tenant)
            presence.append((agent.id, agent.presence, agent.idle_since))
    router.catch_up(tenant, conversations, live, presence, now)
    for customer, agent_id, at in served:
        router.remember_customer(tenant, customer, agent_id, at)
    _recall_queues(router, tenant, memory)


# What every decision writes, built once, as Core statements like the reads above. The agents'
# ``version`` counts changes of their configuration (If-Match on PATCH), not of presence, so it
# is left alone.
#: A conversation's row by its key; the columns it sets are the keys of the values given.
_WRITE_CONVERSATION = _CONVERSATIONS.update().where(_CONVERSATIONS.c.id == bindparam("key_id"))
_AGENT_KEY = _AGENTS.c.member_id == bindparam("m")
_WRITE_PRESENCE = _AGENTS.update().where(_AGENT_KEY).values(
    presence=bindparam("presence"), idle_since=bindparam("idle_since"))
_WRITE_PRESENCE_CHANGE = _AGENTS.update().where(_AGENT_KEY).values(
    presence_at=bindparam("at"), presence_reason=bindparam("why"))
_SAVE_STATE = _STATES.update().where(_STATES.c.name == STATE).values(
    version=bindparam("version"), journal=bindparam("journal"), memory=bindparam("memory"),
    next_deadline=bindparam("deadline"), alarm_at=bindparam("alarm"))
#: An alarm set for the next timer when nothing else changed (the alarm rang, a request had run
#: what was due): only if no alarm already rings by then, which the row lock of the UPDATE
#: settles between two alarms ringing at once.
_SET_ALARM = _STATES.update().where(
    _STATES.c.name == STATE,
    _STATES.c.alarm_at.is_(None) | (_STATES.c.alarm_at <= bindparam("now"))
    | (_STATES.c.alarm_at > bindparam("at")) | (_STATES.c.alarm_at == bindparam("spent")),
).values(next_deadline=bindparam("deadline"), alarm_at=bindparam("at"))

_SET_DEADLINE = _STATES.update().where(_STATES.c.name == STATE).values(next_deadline=bindparam("deadline"))
_TIMERS = select(_STATES.c.next_deadline, _STATES.c.alarm_at).where(_STATES.c.name == STATE)
#: Two times closer than this name the same moment (one came back from the row, to the µs).
_SAME_S = 1e-3


def timers(session: Session) -> tuple[float | None, float | None]:
    """When the workspace's earliest timer is due and when its alarm rings, from the state row
    (``None`` for either when there is none), without locking it or reading the engine's memory."""
    row = session.execute(_TIMERS).first()
    return (None, None) if row is None else (records.epoch(row[0]), records.epoch(row[1]))


def _same_moment(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < _SAME_S


def next_alarm(deadline: float | None, alarm_at: float | None, now: float) -> float | None:
    """When a new alarm must ring for the earliest timer due at ``deadline``, given the alarm
    already set for ``alarm_at`` (``None``: one rings in time, or there is no timer)."""
    if deadline is None or (alarm_at is not None and now < alarm_at <= deadline + _SAME_S):
        return None
    return max(deadline, now + ALARM_MIN_S)


class WorkspaceRouting:
    """One workspace's engine for the length of one transaction (see the module docstring).

    ``open`` locks and loads; run engine operations through :meth:`run`; :meth:`close` writes
    what they did before the caller commits.
    """

    def __init__(self, session: Session, outbox: Outbox, tenant_id: uuid.UUID,
                 locked: tuple[int, Any, list[Any], float | None], router: Router, now: float) -> None:
        self.session, self.outbox = session, outbox
        self.tenant_id, self.tenant = tenant_id, str(tenant_id)
        self.version, _, self.journal, self.alarm_at = locked
        self.router, self.now = router, now
        #: A change of configuration in this transaction: the next version tells every other
        #: process to rebuild.
        self.reconfigured = False
        self.effects: list[fx.Effect] = []
        #: Whether :meth:`close` wrote the state row (with the next timer and its alarm).
        self.saved = False
        #: The alarm running this decision, if one is (:meth:`alarm_rang`).
        self.spent_alarm: float | None = None
        self.agents_touched: set[str] = set()
        #: Agents whose presence changed in this transaction, and why (``None``: they set it).
        self.presence_changed: dict[str, str | None] = {}
        #: New conversations (ORM rows not added yet): inserted once, with what the engine decided.
        self.created: dict[str, RoutingConversation] = {}
        #: Operations ran that :meth:`close` has not written yet: the engine is then ahead of
        #: the tables and is dropped at the end of the transaction, whatever it commits.
        self.unwritten = False
        #: A savepoint rolled back after this was opened: the engine may hold decisions the
        #: tables lost, and is dropped at the end of the transaction.
        self.savepoint_lost = False
        # The last one opened in the transaction for this workspace is the one given back.
        session.info.setdefault(_OPENED, {})[tenant_id] = self

    @property
    def in_step(self) -> bool:
        """Whether the engine holds exactly what this transaction has written (so far)."""
        return not (self.unwritten or self.savepoint_lost)

    @classmethod
    def open(cls, session: Session, outbox: Outbox, now: float | None = None) -> WorkspaceRouting:
        tenant_id = tenant_of(session)
        if tenant_id is None:
            raise RuntimeError("routing decisions need a tenant-scoped session")
        now = time.time() if now is None else now
        locked = _lock(session)
        version, memory, journal, _ = locked
        tenant = str(tenant_id)
        router = None
        opened = session.info.get(_OPENED, {}).get(tenant_id)
        if opened is not None and opened.version == version and opened.in_step:
            # This transaction decided for the workspace already (the clock job ticks, then
            # reports the figures): its engine is the one to go on with.
            return cls(session, outbox, tenant_id, locked, opened.router, now)
        cached = _take(session, tenant_id)
        if cached is not None and cached[0] == version:
            router = cached[1]
        elif cached is not None and cached[0] < version:
            changes = _changes_since(journal, cached[0], version)
            if changes is not None:
                try:
                    _catch_up(session, cached[1], tenant, changes, memory, now)
                    router = cached[1]
                except RoutingError:  # an agent it does not know: rebuild
                    router = None
        ws = cls(session, outbox, tenant_id, locked, router or _rebuild(session, tenant, memory, now), now)
        if router is None:
            ws.effects.extend(ws.router.settle(tenant, now))
            ws.unwritten = bool(ws.effects)
        return ws

    @classmethod
    def reconfigure(cls, session: Session, outbox: Outbox, now: float | None = None) -> WorkspaceRouting:
        """After a change of groups, queues or agents in this transaction: the engine rebuilt
        from the tables as they now are, and settled (a new seat or a widened queue may take
        waiting conversations at once); :meth:`close` it like any other."""
        tenant_id = tenant_of(session)
        if tenant_id is None:
            raise RuntimeError("routing decisions need a tenant-scoped session")
        now = time.time() if now is None else now
        locked = _lock(session)
        _take(session, tenant_id)
        router = _rebuild(session, str(tenant_id), locked[1], now)
        ws = cls(session, outbox, tenant_id, locked, router, now)
        ws.reconfigured = True
        ws.effects.extend(ws.router.settle(ws.tenant, now))
        ws.unwritten = True  # the change of configuration itself is written by close()
        return ws

    def run(self, operation: Callable[..., list[fx.Effect]], *args: Any, **kwargs: Any) -> list[fx.Effect]:
        """``operation(*args, now=…)`` of the engine; its effects are recorded for :meth:`close`."""
        self.unwritten = True
        effects = operation(*args, self.now, **kwargs)
        self.effects.extend(effects)
        return effects

    def _handed(self) -> list[dict[str, Any]]:
        """Offers and assignments this transaction made that still stand, in the order made."""
        out, seen = [], set()
        for effect in self.effects:
            if not isinstance(effect, fx.Offered | fx.Assigned) or effect.conversation in seen:
                continue
            seen.add(effect.conversation)
            conv = self.router.conversation(self.tenant, effect.conversation)
            if conv is not None and conv.state in (ConvState.OFFERED, ConvState.ASSIGNED):
                out.append({"conversation_id": conv.id, "agent_id": conv.agent, "state": conv.state.value,
                            "channel": conv.channel,
                            "offer_expires_at": records.moment(conv.until) if conv.state is ConvState.OFFERED
                            else None})
        return out

    def presence_set(self, agent_id: str) -> None:
        """The agent set their own presence (no effect says so): its time is written too."""
        self.agents_touched.add(agent_id)
        self.presence_changed[agent_id] = None

    def close(self) -> list[dict[str, Any]]:
        """Write the effects to the rows, publish them, and save the queues' memory; returns
        the work handed out (:meth:`_handed`)."""
        router, now = self.router, self.now
        self.unwritten = False
        finished = {str(c.id): c for c in router.finished}
        router.finished.clear()
        extra: dict[str, dict[str, Any]] = {}
        for effect in self.effects:
            conv_id = getattr(effect, "conversation", None)
            if conv_id is not None:
                extra.setdefault(conv_id, {})
            agent_id = getattr(effect, "agent", None)
            if agent_id is not None:
                self.agents_touched.add(agent_id)
            match effect:
                case fx.Admitted(position=position, estimate_s=estimate):
                    extra[conv_id].update(position_told=position, estimate_s=estimate)
                case fx.Offered():
                    extra[conv_id]["offered_at"] = records.moment(now)
                case fx.Refused(reason=reason) | fx.Ended(reason=reason):
                    extra[conv_id]["end_reason"] = reason
                case fx.Abandoned():
                    extra[conv_id]["end_reason"] = "abandoned"
                case fx.PresenceChanged(reason=reason):
                    self.presence_changed[agent_id] = reason
        if not (self.effects or self.agents_touched or self.reconfigured):
            return []  # a read (or a rebuild with nothing to settle): the tables already say it all
        self._write_conversations(extra, finished)
        self._write_agents()
        self._publish(finished)
        self._save_state(sorted(extra), sorted(self.agents_touched))
        return self._handed()

    def _conversation(self, conv_id: str, finished: Mapping[str, Conversation]) -> Conversation | None:
        return self.router.conversation(self.tenant, conv_id) or finished.get(conv_id)

    def _write_conversations(self, extra: dict[str, dict[str, Any]],
                             finished: Mapping[str, Conversation]) -> None:
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for conv_id, columns in extra.items():
            conv = self._conversation(conv_id, finished)
            if conv is None:
                continue
            values = {"tenant_id": self.tenant_id, **records.row_values(conv, self.now), **columns}
            row = self.created.pop(conv_id, None)
            if row is not None:  # one INSERT with the outcome, not an INSERT and an UPDATE
                for name, value in values.items():
                    setattr(row, name, value)
                self.session.add(row)
                continue
            by_shape.setdefault(tuple(sorted(values)), []).append(values)
        # A row the request loaded (the conversation acted on) takes the values written, so that
        # answering it needs no read back.
        loaded = self.session.identity_map
        for rows in by_shape.values():
            self.session.execute(_WRITE_CONVERSATION, [
                {"key_id": values["id"],
                 **{name: value for name, value in values.items() if name not in ("id", "tenant_id")}}
                for values in rows
            ])
            for values in rows:
                row = loaded.get(_identity(self.tenant_id, values["id"]))
                if row is not None:
                    for name, value in values.items():
                        set_committed_value(row, name, value)

    def _write_agents(self) -> None:
        """Presence and idle time of the agents the decision touched, and when and why presence
        changed."""
        rows = []
        for agent_id in sorted(self.agents_touched):
            agent = self.router.agent(self.tenant, agent_id)
            if agent is not None:
                rows.append({"m": uuid.UUID(agent_id), "presence": agent.presence.value,
                             "idle_since": records.moment(agent.idle_since)})
        if rows:
            self.session.execute(_WRITE_PRESENCE, rows)
        if self.presence_changed:
            self.session.execute(
                _WRITE_PRESENCE_CHANGE,
                [{"m": uuid.UUID(agent_id), "at": records.moment(self.now), "why": why}
                 for agent_id, why in sorted(self.presence_changed.items())],
            )

    def _publish(self, finished: Mapping[str, Conversation]) -> None:
        for effect in self.effects:
            conv_id = getattr(effect, "conversation", None)
            conv = self._conversation(conv_id, finished) if conv_id is not None else None
            event_type, payload = payload_of(effect, conv, self.now)
            self.outbox.publish(event_type, payload)

    def _save_state(self, conversations: list[str], agents: list[str]) -> None:
        """The next version and what it changed (the journal), the queues' statistics and the
        next deadline (which the clock job reads), to the state row: another process catches up
        or rebuilds from them."""
        self.version += 1
        entry = [self.version, None, None] if self.reconfigured else [self.version, conversations, agents]
        self.journal = [*self.journal, entry][-JOURNAL_LENGTH:]
        memory = {"queues": {str(p.id): self.router.queue_memory(self.tenant, p.id)
                             for p in self.router.queues(self.tenant)}}
        deadline = self.router.next_deadline()
        alarm = next_alarm(deadline, self.alarm_at, self.now)
        if alarm is not None:
            self.outbox.enqueue(ALARM_JOB, delay=alarm - self.now, at=alarm)
            self.alarm_at = alarm
        self.session.execute(_SAVE_STATE, {
            "version": self.version, "journal": self.journal, "memory": memory,
            "deadline": records.moment(deadline), "alarm": records.moment(self.alarm_at),
        })
        self.saved = True

    def keep_time(self) -> None:
        """After :meth:`close`, for the alarm: if the decision wrote nothing (what was due had
        nothing left to do), still record the next timer and set an alarm for it."""
        if self.saved:
            return
        deadline = self.router.next_deadline()
        spent = self.spent_alarm
        if not set_alarm(self.session, self.outbox, deadline, self.alarm_at, self.now, spent=spent):
            self.session.execute(_SET_DEADLINE, {"deadline": records.moment(deadline)})

    def alarm_rang(self, at: float) -> None:
        """The alarm set for ``at`` is running: it no longer counts as one to come, even if it
        runs a little before its time (the database's clock and this one differ)."""
        if _same_moment(self.alarm_at, at):
            self.alarm_at = None
        self.spent_alarm = at


def set_alarm(session: Session, outbox: Outbox, deadline: float | None, alarm_at: float | None,
              now: float, *, spent: float | None = None) -> bool:
    """Set the workspace's alarm for its earliest timer, due at ``deadline``, unless the one set
    for ``alarm_at`` (or one another transaction has just set) rings by then; returns whether it
    did. Needs no engine: the alarm of a busy workspace, whose requests ran what was due, only
    sets itself again. ``spent``: the alarm running now, which no longer counts."""
    at = next_alarm(deadline, None if _same_moment(alarm_at, spent) else alarm_at, now)
    if at is None:
        return False
    params = {"deadline": records.moment(deadline), "at": records.moment(at), "now": records.moment(now),
              "spent": records.moment(spent)}
    if session.execute(_SET_ALARM, params).rowcount != 1:
        return False
    outbox.enqueue(ALARM_JOB, delay=at - now, at=at)
    return True


def waiting_state(router: Router, tenant: str, conv_id: str, now: float) -> dict[str, Any]:
    """Position (1 = next) and estimated seconds for a waiting conversation, zeros otherwise."""
    conv = router.conversation(tenant, conv_id)
    if conv is None or conv.state is not ConvState.QUEUED:
        return {"position": 0, "estimated_wait_s": 0.0 if conv is not None else None}
    position, estimate = router.position(tenant, conv_id, now)
    return {"position": position, "estimated_wait_s": estimate}
