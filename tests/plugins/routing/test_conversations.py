"""Conversations through the API: arrival, offers, accept and decline, completion, transfers,
presence, closed and full queues, tiers, the waiting customer's standing, a rebuilt engine, and
concurrent arrivals that must never over-fill an agent (PostgreSQL and SQLite)."""

from __future__ import annotations

import copy
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ccokit.platform.events.delivery import HandlerScope
from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.routing.engine.invariants import violations
from ccokit.plugins.routing.engine.model import Presence
from ccokit.plugins.routing.models import RoutingConversation, RoutingEngineState
from ccokit.plugins.routing.services import conversations, workspace_engine
from ccokit.plugins.routing.services.workspace_engine import WorkspaceRouting, forget_cached
from ccokit_sdk.ids import decode_public_id
from tests.conftest import bearer, issue_token, signup
from tests.plugins.routing.test_configuration import API, Desk


class Recorded:
    """An outbox for decisions made outside a request: keeps what they publish and enqueue."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.jobs: list[tuple[str, float | None]] = []

    def publish(self, event_type: str, payload: Any) -> None:
        self.events.append((event_type, payload))

    def enqueue(self, job: str, /, *, delay: float | None = None, **_: Any) -> None:
        self.jobs.append((job, delay))


class Shop(Desk):
    """A workspace with a queue, agents made of members, and helpers to act."""

    def __init__(self, app: Flask, queue: dict[str, Any] | None = None, agents: int = 2,
                 capacity: dict[str, int] | None = None) -> None:
        super().__init__(app)
        self.queue = self.post("queues", {"name": "店铺咨询", **(queue or {})})
        self.agents = []
        for number in range(agents):
            member = self.member(f"agent{number}@shop.example")
            self.post("agents", {"id": member, "capacity": capacity or {"chat": 2}})
            self.agents.append(member)

    def presence(self, agent: str, presence: str) -> dict[str, Any]:
        resp = self.client.put(f"{API}/agents/{agent}/presence", json={"presence": presence}, headers=self.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return dict(resp.get_json())

    def arrive(self, **fields: Any) -> dict[str, Any]:
        return self.post("conversations", {"queue_id": self.queue["id"], "channel": "chat", **fields})

    def act(self, conversation: dict[str, Any], action: str, agent: str | None, status: int = 200,
            **body: Any) -> dict[str, Any]:
        resp = self.client.post(f"{API}/conversations/{conversation['id']}/{action}",
                                json={"agent_id": agent, **body}, headers=self.auth)
        assert resp.status_code == status, resp.get_data(as_text=True)
        return dict(resp.get_json())

    def get(self, conversation: dict[str, Any]) -> dict[str, Any]:
        resp = self.client.get(f"{API}/conversations/{conversation['id']}", headers=self.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return dict(resp.get_json())

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        with current_kernel(self.app).db.transaction(self.tenant.tenant_id) as session:
            rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
            return [(r.type, dict(r.payload)) for r in rows if r.type.startswith(("conversation.", "agent."))]


def test_an_offer_is_accepted_completed_and_every_step_is_an_event(any_app: Flask):
    shop = Shop(any_app, agents=1)
    agent = shop.agents[0]
    assert shop.presence(agent, "online")["presence"] == "online"
    conv = shop.arrive(external_ref="chat-42")
    assert (conv["state"], conv["agent_id"], conv["position"], conv["external_ref"]) == ("offered", agent, 0,
                                                                                         "chat-42")
    assert conv["id"].startswith("conv_")
    work = shop.client.get(f"{API}/agents/{agent}/work", headers=shop.auth).get_json()
    assert work["offer"]["id"] == conv["id"]
    taken = shop.act(conv, "accept", agent)
    assert (taken["state"], taken["agent_id"]) == ("assigned", agent)
    assert taken["waited_s"] is not None
    done = shop.act(conv, "complete", agent)
    assert (done["state"], done["end_reason"]) == ("ended", "completed")
    assert [t for t, _ in shop.events()] == [
        "conversation.queued", "conversation.offered", "conversation.assigned", "conversation.ended"]
    assert shop.events()[1][1]["agent_id"] == agent


def test_a_waiting_customer_sees_their_place_and_an_agent_coming_online_takes_the_first(any_app: Flask):
    shop = Shop(any_app, queue={"auto_accept": True, "aging_per_min": 0}, agents=1, capacity={"chat": 1})
    agent = shop.agents[0]
    first, second = shop.arrive(), shop.arrive(priority=0)
    vip = shop.arrive(priority=50)
    assert (first["state"], first["position"]) == ("queued", 1)
    assert vip["position"] == 1  # higher priority goes first
    assert shop.get(first)["position"] == 2
    assert shop.get(second)["position"] == 3
    shop.presence(agent, "online")
    assert shop.get(vip)["state"] == "assigned"
    assert shop.get(first)["position"] == 1
    done = shop.act(vip, "complete", agent)
    assert (shop.get(first)["state"], shop.get(first)["agent_id"]) == ("assigned", agent)
    # the completion's answer hands the agent their next conversation: no need to ask again
    assert [(h["conversation_id"], h["agent_id"], h["state"], h["channel"]) for h in done["handed"]] == [
        (first["id"], agent, "assigned", "chat")]


def test_a_decline_goes_to_the_next_agent_and_a_stale_accept_is_refused(any_app: Flask):
    shop = Shop(any_app, queue={"strategy": "round_robin"})
    ann, bob = shop.agents
    shop.presence(ann, "online")
    shop.presence(bob, "online")
    conv = shop.arrive()
    first = conv["agent_id"]
    other = bob if first == ann else ann
    assert [(h["conversation_id"], h["agent_id"], h["state"]) for h in conv["handed"]] == [
        (conv["id"], first, "offered")]
    assert conv["handed"][0]["offer_expires_at"] == conv["offer_expires_at"]
    moved = shop.act(conv, "decline", first)
    assert (moved["state"], moved["agent_id"]) == ("offered", other)
    assert [(h["conversation_id"], h["agent_id"]) for h in moved["handed"]] == [(conv["id"], other)]
    refused = shop.act(conv, "accept", first, status=409)
    assert "not ringing this agent" in refused["detail"]
    assert shop.act(conv, "accept", other)["state"] == "assigned"
    kinds = [t for t, _ in shop.events()]
    assert kinds.count("conversation.requeued") == 1


def test_a_closed_or_full_queue_refuses_with_alternatives(any_app: Flask):
    shop = Shop(any_app, queue={"max_length": 1, "hours": {"timezone": "UTC", "weekly": {}}}, agents=0)
    closed = shop.arrive()
    assert (closed["state"], closed["end_reason"], closed["alternatives"]) == ("ended", "closed",
                                                                               ["callback", "ticket"])
    resp = shop.client.patch(f"{API}/queues/{shop.queue['id']}", json={"hours": None}, headers=shop.auth)
    assert resp.status_code == 200
    assert shop.arrive()["state"] == "queued"
    full = shop.arrive()
    assert (full["state"], full["end_reason"]) == ("ended", "queue_full")
    assert [t for t, _ in shop.events()].count("conversation.refused") == 2


def test_a_member_tier_raises_the_priority(any_app: Flask):
    shop = Shop(any_app, agents=0)
    resp = shop.client.post("/api/v1/customers/customers", headers=shop.auth,
                            json={"name": "VIP", "emails": ["vip@shoppers.example"], "tier": "platinum"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    plain = shop.arrive()
    vip = shop.arrive(customer_id=resp.get_json()["id"], value=10)
    assert (vip["tier"], vip["priority"]) == ("platinum", 40.0)
    assert (shop.get(vip)["position"], shop.get(plain)["position"]) == (1, 2)


def test_transfers_and_abandonment(any_app: Flask):
    shop = Shop(any_app, queue={"auto_accept": True})
    ann, bob = shop.agents
    vip_queue = shop.post("queues", {"name": "VIP desk"})
    shop.presence(ann, "online")
    conv = shop.arrive()
    assert conv["agent_id"] == ann
    shop.presence(bob, "online")
    rung = shop.act(conv, "transfer", ann, to_agent_id=bob)
    assert (rung["state"], rung["agent_id"]) == ("offered", bob)
    assert shop.act(conv, "accept", bob)["state"] == "assigned"
    moved = shop.act(conv, "transfer", bob, to_queue_id=vip_queue["id"])
    assert moved["queue_id"] == vip_queue["id"]
    assert moved["state"] in ("queued", "assigned", "offered")
    shop.presence(ann, "offline")
    shop.presence(bob, "offline")
    lonely = shop.arrive()
    assert lonely["state"] == "queued"
    left = shop.client.post(f"{API}/conversations/{lonely['id']}/abandon", headers=shop.auth)
    assert left.status_code == 200
    assert (left.get_json()["state"], left.get_json()["end_reason"]) == ("abandoned", "abandoned")
    again = shop.client.post(f"{API}/conversations/{lonely['id']}/abandon", headers=shop.auth)
    assert again.status_code == 409


def test_an_application_token_must_name_the_agent(any_app: Flask):
    shop = Shop(any_app, agents=1)
    shop.presence(shop.agents[0], "online")
    conv = shop.arrive()
    resp = shop.client.post(f"{API}/conversations/{conv['id']}/accept", json={}, headers=shop.auth)
    assert resp.status_code == 422
    assert "agent_id" in resp.get_json()["errors"]
    agent_only = bearer(issue_token(shop.client, shop.tenant, ["routing:agent"]))
    resp = shop.client.post(f"{API}/conversations", json={"queue_id": shop.queue["id"], "channel": "chat"},
                            headers=agent_only)
    assert resp.status_code == 403


def test_a_rebuilt_engine_carries_on_where_the_last_one_was(any_app: Flask):
    shop = Shop(any_app, queue={"auto_accept": True, "aging_per_min": 0}, agents=1, capacity={"chat": 1})
    agent = shop.agents[0]
    shop.presence(agent, "online")
    held = shop.arrive()
    waiting = [shop.arrive(priority=p) for p in (0, 30, 10)]
    forget_cached()  # as if every process had restarted
    assert [shop.get(c)["position"] for c in waiting] == [3, 1, 2]
    forget_cached()
    shop.act(held, "complete", agent)
    assert shop.get(waiting[1])["state"] == "assigned"
    stats = shop.client.get(f"{API}/queues/{shop.queue['id']}/stats", headers=shop.auth).get_json()
    assert (stats["waiting"], stats["answered"], stats["admitted"]) == (2, 2, 4)  # survived the rebuilds


def _engine_as_recorded(app: Flask, tenant_id: Any) -> Any:
    """The workspace's engine rebuilt from its tables (nothing written, this process's cached
    engine left as it was)."""
    cached = workspace_engine._cache.get(tenant_id)
    session = current_kernel(app).db.session(tenant_id)
    try:
        return WorkspaceRouting.reconfigure(session, Recorded()).router
    finally:
        session.rollback()
        session.close()
        if cached is not None:
            workspace_engine._cache[tenant_id] = cached


def _picture(router: Any, tenant: str) -> dict[str, Any]:
    state = router._tenants[tenant]
    return {
        "conversations": {c.id: (c.state, c.agent, c.until) for c in state.conversations.values()},
        "agents": {a.id: (a.presence, dict(a.load), set(a.holding), a.offer, a.idle_since)
                   for a in state.agents.values()},
        "ready": set(state.ready),
        "order": [state.queues[q].entries[k[2]].id for q in state.queues for k in state.queues[q].waiting],
    }


def _rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = workspace_engine._rebuild

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(workspace_engine, "_rebuild", counted)
    return calls


def test_an_engine_a_few_decisions_behind_catches_up_instead_of_rebuilding(any_app: Flask,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """Another process's engine, left behind while this one took decisions, reads back only what
    those decisions changed and ends where a rebuild would: same states, seats, queue order."""
    shop = Shop(any_app, queue={"aging_per_min": 0}, agents=2, capacity={"chat": 1})
    first, second = shop.agents
    shop.presence(first, "online")
    tenant = shop.tenant.tenant_id
    behind = copy.deepcopy(workspace_engine._cache[tenant])  # the other process's, at this version
    offered = shop.arrive()
    shop.act(offered, "accept", offered["agent_id"])
    shop.presence(second, "online")
    ringing = shop.arrive(priority=5)
    shop.act(ringing, "decline", ringing["agent_id"])
    shop.presence(second, "busy")
    waiting = [shop.arrive(priority=p) for p in (0, 20)]
    rebuilds = _rebuilds(monkeypatch)
    workspace_engine._cache[tenant] = behind
    assert shop.get(waiting[0])["position"] == 3  # read by the engine that caught up
    assert rebuilds == []
    caught_up = workspace_engine._cache[tenant][1]
    assert violations(caught_up, time.time()) == []
    assert _picture(caught_up, str(tenant)) == _picture(_engine_as_recorded(any_app, tenant), str(tenant))
    shop.act(offered, "complete", offered["agent_id"])  # the seat goes to the best waiting
    assert shop.get(waiting[1])["state"] == "offered"
    assert rebuilds == [1]  # only the comparison's own


def test_an_engine_rebuilds_after_a_change_of_configuration_or_too_far_behind(any_app: Flask,
                                                                            monkeypatch: pytest.MonkeyPatch):
    shop = Shop(any_app, agents=1)
    shop.presence(shop.agents[0], "online")
    tenant = shop.tenant.tenant_id
    behind = copy.deepcopy(workspace_engine._cache[tenant])
    shop.post("groups", {"name": "售后"})
    rebuilds = _rebuilds(monkeypatch)
    workspace_engine._cache[tenant] = behind
    conv = shop.arrive()
    assert rebuilds == [1]
    assert conv["state"] == "offered"
    monkeypatch.setattr(workspace_engine, "JOURNAL_LENGTH", 2)
    behind = copy.deepcopy(workspace_engine._cache[tenant])
    for _ in range(3):
        shop.arrive()
    workspace_engine._cache[tenant] = behind
    shop.arrive()
    assert rebuilds == [1, 1]


def test_a_thread_waiting_for_the_workspace_takes_the_engine_the_last_one_gives_back(
        app: Flask, monkeypatch: pytest.MonkeyPatch):
    """Two threads of one process deciding for one workspace: the second gets the workspace's
    lock the moment the first commits, before the first has put its engine back in the cache;
    it waits for that engine instead of rebuilding the whole workspace."""
    shop = Shop(app, queue={"auto_accept": True}, agents=1, capacity={"chat": 5})
    shop.presence(shop.agents[0], "online")
    tenant = shop.tenant.tenant_id
    rebuilds = _rebuilds(monkeypatch)
    first_locked = threading.Event()
    real_lock = workspace_engine._lock

    def lock(session: Any) -> Any:
        locked = real_lock(session)
        if threading.current_thread().name == "first":
            first_locked.set()
            time.sleep(0.2)  # the second thread now waits for the workspace's lock
        return locked

    def committed(_session: Any) -> None:  # before any other after-commit handler
        if threading.current_thread().name == "first":
            time.sleep(0.3)  # the second thread has the lock now and reaches the cache first

    monkeypatch.setattr(workspace_engine, "_lock", lock)
    event.listen(Session, "after_commit", committed, insert=True)
    answers: dict[str, Any] = {}

    def arrive(name: str) -> None:
        if name == "second":
            first_locked.wait(5)
        resp = app.test_client().post(f"{API}/conversations", headers=shop.auth,
                                      json={"queue_id": shop.queue["id"], "channel": "chat"})
        answers[name] = (resp.status_code, resp.get_json()["state"])

    threads = [threading.Thread(target=arrive, args=(name,), name=name) for name in ("first", "second")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(Session, "after_commit", committed)
    assert answers == {"first": (201, "assigned"), "second": (201, "assigned")}
    assert rebuilds == []
    version, router = workspace_engine._cache[tenant]
    assert sum(len(a.holding) for a in router._tenants[str(tenant)].agents.values()) == 2
    with current_kernel(app).db.transaction(tenant) as session:
        assert workspace_engine._lock(session)[0] == version


def test_the_clock_ticks_and_reports_with_one_engine(any_app: Flask, monkeypatch: pytest.MonkeyPatch):
    """The clock job decides (a ring times out) and then reports the figures in one transaction:
    the second step goes on with the engine of the first, which is kept after the commit."""
    shop = Shop(any_app, queue={"ring_s": 10}, agents=1)
    shop.presence(shop.agents[0], "online")
    conv = shop.arrive()
    rebuilds = _rebuilds(monkeypatch)
    kernel = current_kernel(any_app)
    with kernel.db.transaction(shop.tenant.tenant_id) as session:
        outbox = HandlerScope(kernel, shop.tenant.tenant_id, session, {}, "routing")
        assert conversations.tick(session, outbox, now=time.time() + 11) > 0
        assert conversations.publish_stats(session, outbox)
    assert rebuilds == []
    assert shop.get(conv)["state"] == "queued"
    published = [p for t, p in _all_events(shop) if t == "routing.stats"]
    assert published[-1]["workspace"]["waiting"] == 1
    assert rebuilds == []


def test_an_engine_whose_decision_was_not_written_is_dropped(any_app: Flask, monkeypatch: pytest.MonkeyPatch):
    """An operation run but never written (the caller committed without closing) leaves the
    engine ahead of the tables: it is not cached, and the next decision rebuilds from the rows."""
    shop = Shop(any_app, agents=1)
    agent = shop.agents[0]
    shop.presence(agent, "online")
    tenant = shop.tenant.tenant_id
    with current_kernel(any_app).db.transaction(tenant) as session:
        ws = WorkspaceRouting.open(session, Recorded())
        ws.run(ws.router.set_presence, ws.tenant, str(decode_public_id("mem", agent)), Presence.OFFLINE)
    assert tenant not in workspace_engine._cache
    rebuilds = _rebuilds(monkeypatch)
    assert shop.arrive()["agent_id"] == agent  # still online in the tables
    assert rebuilds == [1]


def test_an_engine_taken_by_a_transaction_that_failed_before_deciding_is_given_back(
        any_app: Flask, monkeypatch: pytest.MonkeyPatch):
    """A rebuild that fails (the database went away mid-read) still gives the workspace back at
    the end of its transaction: the next decision in the process does not wait for it."""
    shop = Shop(any_app, agents=1)
    shop.presence(shop.agents[0], "online")
    tenant = shop.tenant.tenant_id
    forget_cached()

    def broken(*_: Any) -> Any:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(workspace_engine, "_rebuild", broken)
    with pytest.raises(RuntimeError), current_kernel(any_app).db.transaction(tenant) as session:
        WorkspaceRouting.open(session, Recorded())
    assert tenant not in workspace_engine._out
    monkeypatch.undo()
    assert shop.arrive()["state"] == "offered"
    assert tenant not in workspace_engine._out


def test_savepoints_neither_give_the_engine_back_early_nor_keep_what_they_lost(any_app: Flask):
    """A savepoint released after a decision is not the end of the transaction: the engine stays
    the transaction's. A savepoint rolled back after a decision may have taken its writes with
    it: the engine is dropped even though the transaction commits."""
    shop = Shop(any_app, agents=1)
    agent = shop.agents[0]
    engine_id = str(decode_public_id("mem", agent))
    shop.presence(agent, "online")
    tenant = shop.tenant.tenant_id
    db = current_kernel(any_app).db
    session = db.session(tenant)
    try:
        ws = WorkspaceRouting.open(session, Recorded())
        ws.run(ws.router.set_presence, ws.tenant, engine_id, Presence.OFFLINE)
        ws.close()
        with session.begin_nested():
            pass
        assert tenant not in workspace_engine._cache
        session.rollback()  # the request failed after deciding
    finally:
        session.close()
    assert tenant not in workspace_engine._cache
    ringing = shop.arrive()
    assert ringing["agent_id"] == agent  # still online: the rolled back decision is not remembered
    with db.transaction(tenant) as session:
        savepoint = session.begin_nested()
        ws = WorkspaceRouting.open(session, Recorded())
        ws.run(ws.router.set_presence, ws.tenant, engine_id, Presence.OFFLINE)
        ws.close()
        savepoint.rollback()
    assert tenant not in workspace_engine._cache
    assert shop.act(ringing, "accept", agent)["state"] == "assigned"  # the offer still rings


def _alarms(shop: Shop) -> list[tuple[float, bool]]:
    """The workspace's ``routing.alarm`` jobs in the outbox: when each rings, and whether it ran."""
    with current_kernel(shop.app).db.transaction(shop.tenant.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "job:routing.alarm")
                               .order_by(OutboxEvent.id)).all()
        return [(r.payload["at"], r.completed_at is not None) for r in rows]


def test_a_ring_nobody_answers_moves_on_when_the_alarm_rings(any_app: Flask):
    """In a workspace where no request comes, the offer's ring timeout runs when it is due, on
    the alarm the arrival set for it (a delayed job), not at the next minutely clock; an alarm
    that runs early (the database's clock ahead of the app's) sets itself again."""
    shop = Shop(any_app, queue={"ring_s": 10}, agents=1)
    agent = shop.agents[0]
    shop.presence(agent, "online")
    conv = shop.arrive()
    expires = datetime.fromisoformat(conv["offer_expires_at"]).timestamp()
    assert [(round(at, 3), ran) for at, ran in _alarms(shop)] == [(round(expires, 3), False)]
    kernel = current_kernel(any_app)
    # The worker takes the job at once: the offer still rings, and the alarm is set again for it.
    run_pending(kernel, tenant_id=shop.tenant.tenant_id, now=datetime.now(UTC) + timedelta(seconds=11))
    assert shop.get(conv)["state"] == "offered"
    assert [ran for _, ran in _alarms(shop)] == [True, False]
    assert round(_alarms(shop)[1][0], 3) == round(_alarms(shop)[0][0], 3)
    with kernel.db.transaction(shop.tenant.tenant_id) as session:
        outbox = HandlerScope(kernel, shop.tenant.tenant_id, session, {}, "routing")
        assert conversations.wake(session, outbox, _alarms(shop)[1][0], now=expires + 0.5) > 0
    after = shop.get(conv)
    assert (after["state"], after["agent_id"]) == ("queued", None)
    work = shop.client.get(f"{API}/agents/{agent}/work", headers=shop.auth).get_json()
    assert work["presence"] == "away"
    assert ("agent.presence_changed", {"agent_id": agent, "presence": "away", "reason": "missed_offer"}) in \
        shop.events()
    assert len(_alarms(shop)) == 2  # nothing left to time: no new alarm
    with kernel.db.transaction(shop.tenant.tenant_id) as session:  # nor anything for the clock
        assert conversations.tick(session, HandlerScope(kernel, shop.tenant.tenant_id, session, {}, "routing"),
                                  now=expires + 60) == 0


def test_a_busy_workspace_sets_one_alarm_and_its_requests_run_the_timers(any_app: Flask,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """Decisions set a new alarm only when none rings by their earliest timer; an alarm that
    finds a request ran what was due sets itself again for the next timer, without the engine."""
    shop = Shop(any_app, queue={"ring_s": 10}, agents=2)
    slow = shop.post("queues", {"name": "视频客服", "ring_s": 20})
    for agent in shop.agents:
        shop.presence(agent, "online")
    first = shop.arrive()
    second = shop.post("conversations", {"queue_id": slow["id"], "channel": "chat"})
    assert second["state"] == "offered"
    assert len(_alarms(shop)) == 1  # the first ring's: the second ends later
    first_at = _alarms(shop)[0][0]
    shop.act(first, "accept", first["agent_id"])  # the first ring will not time out
    kernel = current_kernel(any_app)
    opened: list[int] = []
    monkeypatch.setattr(WorkspaceRouting, "open", lambda *_, **__: opened.append(1))
    with kernel.db.transaction(shop.tenant.tenant_id) as session:
        outbox = HandlerScope(kernel, shop.tenant.tenant_id, session, {}, "routing")
        assert conversations.wake(session, outbox, first_at, now=first_at + 0.1) == 0
    assert opened == []
    monkeypatch.undo()
    second_expiry = datetime.fromisoformat(second["offer_expires_at"]).timestamp()
    assert [round(at, 3) for at, _ in _alarms(shop)] == [round(first_at, 3), round(second_expiry, 3)]
    shop.act(second, "accept", second["agent_id"])
    with kernel.db.transaction(shop.tenant.tenant_id) as session:
        state = session.execute(select(RoutingEngineState.next_deadline)).scalar_one()
    assert state is None  # every offer answered: nothing to wake for
    assert len(_alarms(shop)) == 2


def test_concurrent_arrivals_never_overfill_an_agent(any_app: Flask):
    """Eight threads, as many requests at once as two gunicorn workers serve: the workspace's
    lock keeps one decision at a time, and a stale engine is rebuilt, never trusted."""
    app = any_app
    shop = Shop(app, queue={"auto_accept": True}, agents=2, capacity={"chat": 3})
    for agent in shop.agents:
        shop.presence(agent, "online")
    errors: list[str] = []

    def send(count: int) -> None:
        client = app.test_client()
        for _ in range(count):
            if threading.current_thread().name.endswith("3"):
                forget_cached()  # another process's view: rebuilt from the tables
            resp = client.post(f"{API}/conversations", headers=shop.auth,
                               json={"queue_id": shop.queue["id"], "channel": "chat"})
            if resp.status_code != 201:
                errors.append(resp.get_data(as_text=True))

    threads = [threading.Thread(target=send, args=(5,), name=f"t{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with current_kernel(app).db.transaction(shop.tenant.tenant_id) as session:
        rows = session.scalars(select(RoutingConversation)).all()
    held: dict[Any, int] = {}
    for row in rows:
        if row.state == "assigned":
            held[row.agent_id] = held.get(row.agent_id, 0) + 1
    assert len(rows) == 40
    assert sorted(held.values()) == [3, 3]
    assert sum(1 for r in rows if r.state == "queued") == 34


def test_a_workspace_decides_one_transaction_at_a_time_on_either_database(any_app: Flask):
    """A transaction deciding for a workspace while another holds it waits, then goes on from the
    other's decision: PostgreSQL's row lock does it; SQLite ignores ``FOR UPDATE`` and reads
    outside a write transaction, so there the write lock is taken first. Without it the second
    read the version the first had not committed yet and wrote the same next version again:
    another process's engine at that version would trust it and miss a decision."""
    shop = Shop(any_app, queue={"auto_accept": True}, agents=1)
    shop.presence(shop.agents[0], "online")
    kernel = current_kernel(any_app)
    tenant = shop.tenant.tenant_id
    seen: dict[str, int] = {}
    starting = threading.Event()

    def second() -> None:
        with kernel.db.transaction(tenant) as session:
            starting.set()
            ws = WorkspaceRouting.open(session, Recorded())
            seen["version"] = ws.version
            ws.close()

    thread = threading.Thread(target=second)
    with kernel.db.transaction(tenant) as session:
        before = workspace_engine._lock(session)[0]
        conversations.arrive(session, {"queue_id": decode_public_id("que", shop.queue["id"]), "channel": "chat"},
                             HandlerScope(kernel, tenant, session, {}, "routing"))
        thread.start()
        starting.wait(5)
        time.sleep(0.3)  # the other transaction reaches the workspace's lock while this one holds it
    thread.join()
    assert seen == {"version": before + 1}


@pytest.fixture(autouse=True)
def _fresh_engines():
    forget_cached()
    yield
    forget_cached()


def test_other_workspaces_never_see_the_conversation(any_app: Flask):
    shop = Shop(any_app, agents=0)
    conv = shop.arrive()
    client = any_app.test_client()
    other = bearer(issue_token(client, signup(client)))
    assert client.get(f"{API}/conversations/{conv['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/conversations", headers=other).get_json()["items"] == []


def test_supervisors_see_the_workspace_and_each_queue_and_the_clock_publishes_them(any_app: Flask):
    shop = Shop(any_app, queue={"auto_accept": True, "service_level_s": 60}, agents=2, capacity={"chat": 1})
    other = shop.post("queues", {"name": "VIP desk"})
    ann = shop.agents[0]  # the other agent stays offline
    shop.presence(ann, "online")
    served = shop.arrive()
    shop.arrive()
    waiting = shop.arrive()
    left = shop.client.post(f"{API}/conversations/{waiting['id']}/abandon", headers=shop.auth)
    assert left.status_code == 200
    shop.act(served, "complete", ann)
    stats = shop.client.get(f"{API}/stats", headers=shop.auth).get_json()
    overall = stats["workspace"]
    assert (overall["admitted"], overall["answered"], overall["abandoned"], overall["waiting"]) == (3, 2, 1, 0)
    assert overall["agents"] == {"online": 1, "busy": 0, "away": 0, "offline": 1}
    assert (overall["service_level"], overall["abandonment"]) == (1.0, round(1 / 3, 4))
    assert [(q["name"], q["admitted"]) for q in stats["queues"]] == [("VIP desk", 0), ("店铺咨询", 3)]
    assert stats["queues"][0]["queue_id"] == other["id"]
    one = shop.client.get(f"{API}/queues/{shop.queue['id']}/stats", headers=shop.auth).get_json()
    assert (one["name"], one["answered"], one["occupancy"]) == ("店铺咨询", 2, 1.0)
    kernel = current_kernel(any_app)
    with kernel.db.transaction(shop.tenant.tenant_id) as session:
        outbox = HandlerScope(kernel, shop.tenant.tenant_id, session, {}, "routing")
        assert conversations.publish_stats(session, outbox)
    published = [p for t, p in _all_events(shop) if t == "routing.stats"]
    assert published[-1]["workspace"]["answered"] == 2
    assert {q["queue_id"] for q in published[-1]["queues"]} == {shop.queue["id"], other["id"]}


def _all_events(shop: Shop) -> list[tuple[str, dict[str, Any]]]:
    with current_kernel(shop.app).db.transaction(shop.tenant.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [(r.type, dict(r.payload)) for r in rows]
