"""Benchmark: the Double-11 storm through routing, with processes killed and Redis flushed.

On PostgreSQL and Redis, against ``ccokit serve --workers 2`` (gunicorn, loopback only) and one
``ccokit worker``:

1. ``--tenants`` workspaces (1,000) are signed up over HTTP, each with ``--agents`` agents (10),
   two groups and two queues written straight into the tables (presales: automatic assignment,
   overflow to after-sales after 30 s, sticky for returning customers; after-sales: offers that
   ring 15 s, least occupied first, a refund skill);
2. **the engine alone**: the same shape in one process, driven in simulated time by Poisson
   arrivals, completions and declines: decisions per second of CPU;
3. **the baseline**: ``GET /healthz`` of the same app at the same concurrency;
4. **the storm**, ``--seconds`` long: Poisson arrivals at ``--rate`` per second over the
   workspaces (a few big ones, many small), each ``POST /conversations`` with a channel, skills and
   a priority by tier; simulated agents accept 90% of offers and decline the rest, complete what
   they hold after a random handle time, learning of new work from the ``handed`` list of every
   decision's answer (a completion hands over the next conversation, a decline rings another). With
   ``--chaos`` (default), a web worker is SIGKILLed at a quarter of the storm, Redis is flushed
   at half, and the rq worker is SIGKILLed (and restarted) at three quarters;
5. **the checks**, from the database: every acknowledged conversation (HTTP 201) is there
   (``lost``), no conversation was assigned twice without going back to its queue in between
   (``double_assignments``, from the events in order), no agent holds more of a channel than
   their seats (``capacity_violations``, the final rows and every workspace's engine rebuilt and
   checked against the engine's invariants).

Printed: conversations admitted and assigned per second through the API, p50/p99 from arrival
to the first offer (or assignment), the engine's decisions per second, the baseline, the checks.
Goals of the routing issue: >= 2,000 conversations/s end to end, p99 arrival-to-offer <= 50 ms,
engine >= 20,000 decisions/s, checks all 0. The last line is one JSON object.

Also printed, the bound of the end-to-end figure on this machine: the HTTP requests the storm
sent per conversation admitted (an arrival, and the agents' accepts, declines and completions),
and ``bare_ceiling_per_s``, the baseline divided by that: the conversations per second the same
server and load generator would carry if every request cost no more than ``GET /healthz``.

Everything the run creates (a database, an owner and an app role, the server, the worker, a
temporary directory, the Redis database's keys) is removed at the end, also on error, Ctrl-C or
SIGTERM. From the repository root: ``.venv/bin/python bench/double11.py [--help]``.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import redis
from harness import (
    ADMIN,
    CCOKIT,
    KeepAliveClient,
    database,
    dsn,
    environment,
    issue_token,
    load,
    pct,
    roles,
    run_and_report,
    server,
    signup,
)

from ccokit.platform import start_up_heap
from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine.invariants import violations
from ccokit.plugins.routing.engine.model import (
    Agent,
    Conversation,
    ConvState,
    OverflowStage,
    Presence,
    QueuePolicy,
)
from ccokit.plugins.routing.engine.router import Router
from ccokit_sdk.ids import decode_public_id, encode_public_id, new_id

API = "/api/v1/routing"
REDIS_URL = "redis://127.0.0.1:6379/11"
TIER_PRIORITY = {"bronze": 0, "silver": 10, "gold": 20, "platinum": 40}


# -- set-up -----------------------------------------------------------------------------------

def provision(url: str, count: int, tag: str) -> list[dict[str, Any]]:
    """Sign ``count`` workspaces up over HTTP; each with its id and sign-up answer."""

    def one(i: int) -> dict[str, Any]:
        answer = signup(url, f"{tag}-{i:05d}")
        return {"tenant": decode_public_id("ten", answer["tenant"]["id"]), "slug": f"{tag}-{i:05d}",
                "signup": answer}

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def tokens(url: str, workspaces: list[dict[str, Any]]) -> None:
    """A client-credentials token of each workspace, from the server that will check it (tokens
    name their issuer, the server's address)."""

    def one(ws: dict[str, Any]) -> None:
        ws["token"] = issue_token(url, ws["signup"])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, workspaces))


def _copy(conn: psycopg.Connection[Any], table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
          ) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def traffic_weights(count: int) -> list[float]:
    """Each workspace's share of the contacts: a few big shops, many small (Zipf, s = 0.8)."""
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(count)]
    total = sum(weights)
    return [w / total for w in weights]


def configure(db: str, workspaces: list[dict[str, Any]], agents: int, rng: random.Random) -> None:
    """Groups, queues, agent members and their routing profiles of every workspace, written by
    the superuser with COPY (the API would take minutes for 10,000 agents). The ``agents`` per
    workspace on average are shared out by traffic, as shops staff for their contacts: the
    biggest gets hundreds, the smallest two."""
    now = datetime.now(UTC)
    groups, queues, members, profiles = [], [], [], []
    shares = traffic_weights(len(workspaces))
    for ws, share in zip(workspaces, shares, strict=True):
        staff = max(2, round(share * agents * len(workspaces)))
        tenant = ws["tenant"]
        presales, aftersales = new_id(), new_id()
        ws["groups"] = (presales, aftersales)
        groups += [(tenant, presales, "售前", "[]", now, now, 1),
                   (tenant, aftersales, "售后", "[]", now, now, 1)]
        ws["queues"] = {"presales": new_id(), "aftersales": new_id()}
        overflow = json.dumps([{"after_s": 30, "groups": [str(aftersales)], "keep_skills": True}])
        queues += [
            (tenant, ws["queues"]["presales"], "售前咨询", json.dumps([str(presales)]), "{}", "longest_idle",
             1.0, '{"video": 10}', 0.0, overflow, 600, None, None, 15, 0, True, 20, None, now, now, 1),
            (tenant, ws["queues"]["aftersales"], "售后", json.dumps([str(aftersales)]), '{"refund": 1}',
             "least_occupied", 2.0, "{}", 0.0, "[]", 0, None, None, 15, 0, False, 20, None, now, now, 1),
        ]
        ws["agents"] = []
        for number in range(staff):
            member = new_id()
            ws["agents"].append(member)
            members.append((tenant, member, f"agent{number}@{ws['slug']}.example", f"坐席 {number}", "agent",
                            "active", "zh", now))
            group = presales if number < staff // 2 else aftersales
            skills = {"presales": rng.randint(1, 3), "refund": rng.randint(1, 3)}
            profiles.append((tenant, member, json.dumps(skills), '["zh"]', '{"chat": 5, "video": 1}',
                             json.dumps([str(group)]), "online", now, now, now, now, 1))
    with psycopg.connect(dsn(ADMIN, db)) as conn:
        _copy(conn, "routing_groups", ("tenant_id", "id", "name", "supervisors", "created_at", "updated_at",
                                       "version"), groups)
        _copy(conn, "routing_queues", (
            "tenant_id", "id", "name", "groups", "skills", "strategy", "aging_per_min", "channel_weights",
            "value_weight", "overflow", "sticky_s", "max_length", "max_wait_s", "ring_s", "wrapup_s",
            "auto_accept", "service_level_s", "hours", "created_at", "updated_at", "version"), queues)
        _copy(conn, "members", ("tenant_id", "id", "email", "display_name", "role", "status", "locale",
                                "created_at"), members)
        _copy(conn, "routing_agents", ("tenant_id", "member_id", "skills", "languages", "capacity", "groups",
                                       "presence", "presence_at", "idle_since", "created_at", "updated_at",
                                       "version"), profiles)
        # Shops of this size are on the enterprise plan (the free one allows five members).
        conn.execute("UPDATE tenants SET plan = 'enterprise' WHERE id = ANY(%s)",
                     ([ws["tenant"] for ws in workspaces],))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")


# -- the engine alone -------------------------------------------------------------------------

def engine_alone(tenants: int, agents: int, arrivals: int, rate: float, seed: int) -> tuple[float, int]:
    """Decisions per second of CPU of one engine holding every workspace, in simulated time."""
    rng = random.Random(seed)
    router = Router()
    for t in range(tenants):
        router.put_queue(QueuePolicy(id="presales", tenant=t, groups=frozenset({"pre"}),
                                     skills={"presales": 1}, auto_accept=True, sticky_s=600,
                                     overflow=(OverflowStage(30.0, frozenset({"after"})),)), 0.0)
        router.put_queue(QueuePolicy(id="aftersales", tenant=t, groups=frozenset({"after"}),
                                     skills={"refund": 1}, strategy="least_occupied", ring_s=15.0), 0.0)
        for a in range(agents):
            skills = {"presales": rng.randint(1, 3), "refund": rng.randint(1, 3)}
            router.put_agent(Agent(id=a, tenant=t, skills=skills,
                                   capacity={"chat": 5, "video": 1}, presence=Presence.ONLINE,
                                   groups=frozenset({"pre" if a < agents // 2 else "after"})), 0.0)
    now, held, ringing = 0.0, [], []
    started, decisions = time.process_time(), router.decisions

    def note(effects: list[fx.Effect], tenant: int) -> None:
        for e in effects:
            if isinstance(e, fx.Assigned):
                heapq.heappush(held, (now + rng.expovariate(1 / 12.0), tenant, e.conversation))
            elif isinstance(e, fx.Offered):
                ringing.append((tenant, e.conversation, e.agent))

    for i in range(arrivals):
        now += rng.expovariate(rate)
        tenant = min(int(rng.paretovariate(1.2)) - 1, tenants - 1)
        queue = "presales" if rng.random() < 0.7 else "aftersales"
        note(router.arrive(Conversation(
            id=i, tenant=tenant, queue=queue, channel="video" if rng.random() < 0.1 else "chat",
            arrived_at=now, priority=float(rng.choice(list(TIER_PRIORITY.values()))),
            customer=rng.randrange(500)), now), tenant)
        while ringing:
            tenant_r, conv_id, agent_id = ringing.pop()
            conv = router.conversation(tenant_r, conv_id)
            if conv is not None and conv.state is ConvState.OFFERED and conv.agent == agent_id:
                action = router.accept if rng.random() < 0.9 else router.decline
                note(action(tenant_r, conv_id, agent_id, now), tenant_r)
        while held and held[0][0] <= now:  # a heap: the driver's own upkeep stays small beside the engine
            _, tenant_h, conv_id = heapq.heappop(held)
            conv = router.conversation(tenant_h, conv_id)
            if conv is not None and conv.state is ConvState.ASSIGNED:
                note(router.complete(tenant_h, conv_id, now), tenant_h)
    cpu = time.process_time() - started
    broken = violations(router, now)
    return (router.decisions - decisions) / cpu, len(broken)


# -- the storm --------------------------------------------------------------------------------

class Storm:
    """Arrivals at a Poisson rate, and simulated agents acting on what they get."""

    def __init__(self, url: str, workspaces: list[dict[str, Any]], args: argparse.Namespace) -> None:
        self.url, self.workspaces, self.args = url, workspaces, args
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        #: public id -> (sent, answered) wall-clock times, and whether an agent had it on answering
        self.acked: dict[str, tuple[float, float, bool]] = {}
        self.failed = 0
        self.refusals = 0
        #: HTTP requests sent during the storm: arrivals and agents' actions, answered or not
        self.requests = 0
        #: due, sequence, action, workspace, conversation, agent
        self.todo: list[tuple[float, int, str, dict[str, Any], str, str]] = []
        self.seq = 0
        self.scheduled: set[str] = set()
        self.stop = threading.Event()
        shares, running = traffic_weights(len(workspaces)), 0.0
        self.cumulative = []
        for share in shares:
            running += share
            self.cumulative.append(running)

    def _workspace(self, rng: random.Random) -> dict[str, Any]:
        x = rng.random()
        lo, hi = 0, len(self.cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cumulative[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.workspaces[lo]

    def _plan(self, delay: float, action: str, ws: dict[str, Any], conv: str, agent: str) -> None:
        with self.lock:
            if action == "complete" and conv in self.scheduled:
                return
            if action == "complete":
                self.scheduled.add(conv)
            self.seq += 1
            heapq.heappush(self.todo, (time.monotonic() + delay, self.seq, action, ws, conv, agent))

    def _after(self, ws: dict[str, Any], body: dict[str, Any], rng: random.Random) -> None:
        """Act on the work a decision handed out (its answer's ``handed``), as agents' desks do:
        accept or decline an offer after a moment, complete an assignment after a handle time."""
        for handed in body.get("handed") or ():
            conv, agent = handed["conversation_id"], handed["agent_id"]
            if handed["state"] == "assigned":
                self._plan(rng.expovariate(1 / self.args.handle_s), "complete", ws, conv, agent)
            else:
                action = "accept" if rng.random() < 0.9 else "decline"
                self._plan(rng.uniform(0.2, 1.5), action, ws, conv, agent)

    def arrivals(self, k: int, start: float, deadline: float) -> None:
        rng = random.Random(self.args.seed * 1000 + k)
        client = KeepAliveClient(self.url, timeout=30)
        share = self.args.rate / self.args.clients
        due = start
        while not self.stop.is_set():
            due += rng.expovariate(share)
            if due > deadline or time.monotonic() > deadline:
                break  # what the server could not take by the end is not sent: the rate is what it took
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            ws = self._workspace(rng)
            queue = "presales" if rng.random() < 0.7 else "aftersales"
            tier = rng.choices(list(TIER_PRIORITY), weights=(60, 25, 10, 5))[0]
            body = {
                "queue_id": encode_public_id("que", ws["queues"][queue]),
                "channel": "video" if rng.random() < 0.1 else "chat", "priority": TIER_PRIORITY[tier],
                "skills": {"refund": rng.randint(1, 2)} if queue == "aftersales" else {},
                "external_ref": f"chat-{k}-{due:.3f}",
            }
            sent = time.time()
            with self.lock:
                self.requests += 1
            try:
                resp = client.post(f"{API}/conversations", json=body,
                                   headers={"Authorization": f"Bearer {ws['token']}"})
            except (OSError, http.client.HTTPException):  # a killed web worker cuts some off
                client = KeepAliveClient(self.url, timeout=30)
                with self.lock:
                    self.failed += 1
                continue
            if resp.status_code != 201:
                with self.lock:
                    self.failed += 1
                    if self.failed <= 3:
                        print(f"  arrival refused: {resp.status_code} {resp.text[:300]}", flush=True)
                continue
            answer = resp.json()
            with self.lock:
                self.acked[answer["id"]] = (sent, time.time(), answer["state"] in ("offered", "assigned"))
                if answer["state"] == "ended":
                    self.refusals += 1
            self._after(ws, answer, rng)
        client.close()

    def agents(self, k: int) -> None:
        rng = random.Random(self.args.seed * 7 + k)
        client = KeepAliveClient(self.url, timeout=30)
        while not self.stop.is_set():
            with self.lock:
                item = heapq.heappop(self.todo) if self.todo and self.todo[0][0] <= time.monotonic() else None
            if item is None:
                time.sleep(0.005)
                continue
            _, _, action, ws, conv, agent = item
            headers = {"Authorization": f"Bearer {ws['token']}"}
            with self.lock:
                self.requests += 1
            try:
                resp = client.post(f"{API}/conversations/{conv}/{action}", json={"agent_id": agent},
                                   headers=headers)
                if resp.status_code == 200:
                    self._after(ws, resp.json(), rng)
            except (OSError, http.client.HTTPException):  # a killed web worker cuts some off
                client = KeepAliveClient(self.url, timeout=30)
        client.close()


def _workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:
                    found.append(int(entry.name))
    return found


def _gunicorn_master(url: str) -> int | None:
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                if b"serve" in cmd and port.encode() in cmd and _workers_of(int(entry.name)):
                    return int(entry.name)
    return None


# -- the checks -------------------------------------------------------------------------------

def check(db: str, acked: dict[str, tuple[float, float, bool]], env: dict[str, str]) -> dict[str, Any]:
    """The checks of the module docstring, and each acknowledged conversation's time from being
    sent to its first offer (the answer itself when an agent had it at once; the row's first
    offer or assignment otherwise; still waiting at the end: counted separately)."""
    with psycopg.connect(dsn(ADMIN, db)) as conn:
        rows = conn.execute(
            "SELECT tenant_id, id, state, agent_id, channel, offered_at, answered_at "
            "FROM routing_conversations").fetchall()
        by_id = {r[1]: r for r in rows}
        lost = [c for c in acked if decode_public_id("conv", c) not in by_id]
        capacity = {(t, m): json.loads(c) if isinstance(c, str) else c for t, m, c in
                    conn.execute("SELECT tenant_id, member_id, capacity FROM routing_agents")}
        held: dict[tuple[Any, Any, str], int] = {}
        for tenant, _id, state, agent, channel, *_ in rows:
            if state in ("offered", "assigned", "wrap_up") and agent is not None:
                held[(tenant, agent, channel)] = held.get((tenant, agent, channel), 0) + 1
        over = [k for k, n in held.items() if n > capacity.get(k[:2], {}).get(k[2], 0)]
        waits, waiting = [], 0
        for public, (sent, answered, at_once) in acked.items():
            row = by_id.get(decode_public_id("conv", public))
            if row is None:
                continue
            if at_once:
                waits.append(answered - sent)
                continue
            first = min((t for t in row[5:7] if t is not None), default=None)
            if first is None:
                waiting += 1
            else:
                waits.append(max(first.timestamp(), answered) - sent)
        double = 0
        holder: dict[str, str | None] = {}
        events = conn.execute(
            "SELECT type, payload FROM outbox_events WHERE type LIKE 'conversation.%' ORDER BY id")
        for kind, payload in events:
            body = payload if isinstance(payload, dict) else json.loads(payload)
            conv = body["conversation"]["id"]
            if kind == "conversation.assigned":
                if holder.get(conv) not in (None, body["agent_id"]):
                    double += 1
                holder[conv] = body["agent_id"]
            elif kind in ("conversation.requeued", "conversation.ended", "conversation.abandoned"):
                holder[conv] = None
    broken = _engine_check(env)
    return {"lost": len(lost), "capacity_violations": len(over) + broken, "double_assignments": double,
            "waits": waits, "waiting": waiting, "conversations": len(rows)}


def _engine_check(env: dict[str, str]) -> int:
    """Rebuild every workspace's engine from its tables and count broken invariants."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from ccokit.platform.app import create_app
        from ccokit.platform.kernel import current_kernel
        from ccokit.plugins.routing.services.workspace_engine import WorkspaceRouting

        app = create_app()
        kernel = current_kernel(app)
        with psycopg.connect(dsn(ADMIN, env["CCOKIT_DATABASE_URL"].rsplit("/", 1)[1])) as conn:
            tenants = [r[0] for r in conn.execute("SELECT DISTINCT tenant_id FROM routing_agents")]
        broken = 0
        for tenant in tenants:
            session = kernel.db.session(tenant)
            try:
                ws = WorkspaceRouting.reconfigure(session, SimpleNamespace())  # never closed: no outbox
                broken += len(violations(ws.router, ws.now))
            finally:
                session.rollback()
                session.close()
        return broken
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- the run ----------------------------------------------------------------------------------

def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:10]
    tag, db = f"d{run_id[:6]}", f"ccokit_bench_{run_id}_d11"
    rng = random.Random(args.seed)
    print(f"engine alone: {args.tenants} workspaces x {args.agents} agents, "
          f"{args.engine_arrivals:,} arrivals",
          flush=True)
    engine_per_s, engine_broken = engine_alone(args.tenants, args.agents, args.engine_arrivals, args.rate,
                                               args.seed)
    print(f"  {engine_per_s:,.0f} decisions/s of CPU; invariants broken: {engine_broken}", flush=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with contextlib.ExitStack() as stack:
        owner, app_role = stack.enter_context(roles(run_id))
        # One load generator asks a token for each of a thousand workspaces from one address.
        env = environment(db, owner, app_role, REDIS_URL, tmp / "blobs",
                          CCOKIT_TOKEN_RATE_LIMIT="1000000 per minute")
        stack.enter_context(database(db, owner, env))
        stack.callback(lambda: redis.Redis.from_url(REDIS_URL).flushdb())
        with server(env, tmp / "setup.log") as url:
            t0 = time.perf_counter()
            workspaces = provision(url, args.tenants, tag)
            print(f"{len(workspaces)} workspaces signed up in {time.perf_counter() - t0:.0f} s", flush=True)
        configure(db, workspaces, args.agents, rng)
        staffed = sum(len(ws["agents"]) for ws in workspaces)
        print(f"{staffed:,} agents online in {len(workspaces) * 2:,} queues (the biggest shop "
              f"{len(workspaces[0]['agents'])}, the smallest {len(workspaces[-1]['agents'])})", flush=True)
        worker_log = (tmp / "worker.log").open("wb")
        stack.callback(worker_log.close)
        def start_worker() -> subprocess.Popen[bytes]:
            return subprocess.Popen([CCOKIT, "worker"], env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                                    start_new_session=True)

        worker = [start_worker()]

        def stop_worker() -> None:
            for proc in worker:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

        stack.callback(stop_worker)
        with server(env, tmp / "serve.log") as url:
            tokens(url, workspaces)
            def bare(client: KeepAliveClient, _i: int) -> tuple[str, Any]:
                return "baseline", client.get("/healthz")

            # The load generator's own full garbage collections would stop every request's
            # clock at once (its heap holds the thousand workspaces): what it has made so far
            # leaves them, as each web process's start-up heap does.
            start_up_heap.freeze()
            load(url, 200, args.clients, bare)
            timed, wall = load(url, args.baseline_requests, args.clients, bare)
            baseline = len(timed["baseline"]) / wall
            print(f"baseline: {baseline:,.0f}/s (GET /healthz at concurrency {args.clients})", flush=True)
            storm = Storm(url, workspaces, args)
            start = time.monotonic() + 0.5
            deadline = start + args.seconds
            chaos = []
            if args.chaos:
                master = _gunicorn_master(url)

                def kill_web() -> None:
                    victims = _workers_of(master) if master else []
                    if victims:
                        os.kill(victims[0], signal.SIGKILL)
                        chaos.append(f"web worker {victims[0]} killed")

                def flush_redis() -> None:
                    redis.Redis.from_url(REDIS_URL).flushdb()
                    chaos.append("redis flushed")

                def kill_worker() -> None:
                    os.killpg(worker[-1].pid, signal.SIGKILL)
                    worker[-1].wait()
                    worker.append(start_worker())
                    chaos.append("rq worker killed and restarted")

                for share, action in ((0.25, kill_web), (0.5, flush_redis), (0.75, kill_worker)):
                    timer = threading.Timer(max(0.0, start - time.monotonic()) + share * args.seconds, action)
                    timer.start()
                    stack.callback(timer.cancel)
            with ThreadPoolExecutor(args.clients + args.agent_threads) as pool:
                agents = [pool.submit(storm.agents, k) for k in range(args.agent_threads)]
                senders = [pool.submit(storm.arrivals, k, start, deadline) for k in range(args.clients)]
                try:
                    for future in senders:
                        future.result()
                finally:  # a sender's error must not leave the agents' threads running forever
                    elapsed = time.monotonic() - start
                    storm.stop.set()
                for future in agents:
                    future.result()
        admitted = len(storm.acked)
        per_s = admitted / elapsed
        print(f"storm: {admitted:,} conversations acknowledged in {elapsed:.1f} s ({per_s:,.0f}/s; "
              f"{storm.refusals} refused by full or closed queues, {storm.failed} requests failed); "
              f"chaos: {', '.join(chaos) or 'none'}", flush=True)
        per_conversation = storm.requests / max(admitted, 1)
        ceiling = baseline / per_conversation
        print(f"bound: {per_conversation:.2f} requests per conversation ({storm.requests:,} in all); were "
              f"each as cheap as GET /healthz, at most {ceiling:,.0f} conversations/s "
              f"(the baseline / requests per conversation); reached {per_s / ceiling:.1%} of that",
              flush=True)
        checks = check(db, storm.acked, env)
    waits = checks.pop("waits")
    p50, p99 = (pct(waits, q) if waits else None for q in (50, 99))
    print(f"arrival to first offer: p50 {p50 or 0:.1f} ms, p99 {p99 or 0:.1f} ms over {len(waits):,} "
          f"conversations offered; {checks.pop('waiting'):,} still waiting at the end", flush=True)
    print(f"checks: lost {checks['lost']}, double assignments {checks['double_assignments']}, "
          f"capacity violations {checks['capacity_violations']}", flush=True)
    return {
        "e2e_per_s": round(per_s, 1), "baseline_json_per_s": round(baseline, 1),
        "p50_arrival_to_offer_ms": round(p50, 1) if p50 is not None else None,
        "p99_arrival_to_offer_ms": round(p99, 1) if p99 is not None else None,
        "engine_decisions_per_s": round(engine_per_s), "double_assignments": checks["double_assignments"],
        "capacity_violations": checks["capacity_violations"], "lost": checks["lost"],
        "engine_invariants_broken": engine_broken,
        "requests_per_conversation": round(per_conversation, 2), "bare_ceiling_per_s": round(ceiling, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the storm")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=10,
                        help="agents per workspace on average (shared out by traffic)")
    parser.add_argument("--rate", type=float, default=2000.0, help="arrivals per second offered")
    parser.add_argument("--clients", type=int, default=16, help="threads sending arrivals")
    parser.add_argument("--agent-threads", type=int, default=4, help="threads acting for the agents")
    parser.add_argument("--handle-s", type=float, default=20.0, help="mean handle time of a conversation")
    parser.add_argument("--engine-arrivals", type=int, default=200_000)
    parser.add_argument("--baseline-requests", type=int, default=5000)
    parser.add_argument("--chaos", action=argparse.BooleanOptionalAction, default=True,
                        help="kill a web worker, flush Redis and kill the rq worker during the storm")
    parser.add_argument("--seed", type=int, default=11)
    run_and_report(run, parser.parse_args(), prefix="ccokit-double11-")


if __name__ == "__main__":
    main()
