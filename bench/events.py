"""Benchmark: events per second from commit to handler, on PostgreSQL and Redis, with 1 and 2 workers.

What runs (all real processes, loopback only): ``ccokit relay`` (the production relay, unchanged),
one or two rq ``SimpleWorker`` processes running the platform's job
``ccokit.platform.events.jobs.deliver_events`` (the ``ccokit worker`` loop with the benchmark's
plugin added, as ``tests/platform/events/pinger_worker.py`` does, because a plugin without an entry
point cannot be discovered), and a publisher process. The plugin (``bench/event_sink.py``, built
only on the SDK) declares ``bench.pinged``; its handler adds one row per event to a table of its
own, stamped with the time the handler ran.

One round, with one set of processes (the relay and one or two workers):

1. **Warm-up**: each worker has registered with rq, then ``--warmup`` events are delivered.
2. **Live**: the publisher process commits ``--events`` events as fast as it can, ``--batch`` per
   transaction through ``ccokit.platform.events.outbox.publish`` in ``db.transaction(tenant_id)``,
   the tenants (``--tenants``) taking turns, while the relay and the workers deliver them.
3. **Backlog**: the relay is paused (``SIGSTOP``), ``--events`` more events are committed, the
   relay is resumed (``SIGCONT``) and the workers drain them with no publisher competing.

**Events per second from commit to handler** (the headline, of the live part) = the live events /
(the last live event's handler time − the first live event's ``occurred_at``): from the moment
publishing started to the moment the last effect was written, publishing and delivery running at
once, as in production. The publisher's own rate (events / span of ``occurred_at``) is printed
beside it: when it is barely above the headline, publishing set the pace. ``occurred_at`` is
stamped just before the event's transaction commits (at most one ``--batch`` earlier), the handler
time just before the handler's transaction commits; both come from this machine's clock. The
per-event latency (handler time − ``occurred_at``) is given as p50/p99; while the workers fall
behind it is mostly queueing. The **backlog rate** = backlog events / (last handler time − the
moment the relay was resumed) is what relay and workers do on their own.

**Webhook deliveries per second**: after the event rounds, each tenant registers one endpoint for
``bench.pinged`` through the API, pointing at a receiver process on loopback (``--role receiver``,
a threaded HTTP/1.1 server answering 204 that checks every signature with the ``standardwebhooks``
package and writes down each delivery's event and arrival time;
``CCOKIT_WEBHOOKS_ALLOW_LOOPBACK=true`` lets the endpoints point there). In each webhook round the
workers listen on the ``events`` and ``webhooks`` queues as ``ccokit worker`` does; ``--webhooks``
events are committed and each becomes a delivery: fan-out in the event's handler transaction, a
claim by the relay, a signed POST by a worker. The rate = deliveries received / (the last arrival
− the first event's ``occurred_at``), from commit to the receiver, with 1 and with 2 workers; the
JSON reports the one with 2. A delivery that arrived with a bad signature counts as lost.

Rounds alternate 1, 2, 2, 1, ... workers, so that drift on a shared machine hurts both alike; the
figures are medians over rounds. Between rounds the processes are stopped, the event tables and
the benchmark's Redis database are emptied. ``lost`` (events without an effect) and
``duplicated`` (effects beyond one per event) are summed over all rounds, warm-ups included: the
effect table has no unique key on the event, so a duplicate would be counted, not refused.

The machine has 2 cores: the publisher, the relay, the workers, PostgreSQL and Redis all share
them, so the second worker competes with everything else rather than getting a core of its own.

Everything the run creates (a database, an owner and an app role, the processes, a temporary
directory, the keys in Redis database ``--redis-db``, which must be empty at the start) is
removed at the end, also on error, Ctrl-C or SIGTERM. From the repository root:
``.venv/bin/python bench/events.py [--help]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import event_sink
import psycopg
import redis
from harness import ADMIN, CCOKIT, PASSWORD, dsn, environment, pct, roles, run_and_report
from harness import database as database_of
from psycopg import sql

REDIS_BASE = "redis://127.0.0.1:6379"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER_PATTERN = (1, 2, 2, 1)
EVENT_TABLES = (
    "outbox_events", "processed_events", "event_deliveries", "webhook_deliveries", event_sink.TABLE,
)
EFFECTS = sql.Identifier(event_sink.TABLE)
EVENT = event_sink.EVENT_TYPE


# -- the processes' side: an app with the benchmark's plugin ---------------------------------------
def build_kernel() -> Any:
    """The kernel of an app built from the ``CCOKIT_*`` environment, with the plugin added."""
    from ccokit.platform.app import create_app
    from ccokit.platform.config import load_settings
    from ccokit.platform.kernel import current_kernel
    from ccokit.platform.plugin_host import discover_plugins

    return current_kernel(create_app(load_settings(), plugins=[*discover_plugins(), event_sink.plugin]))


def publish_events(
    kernel: Any, tenants: Sequence[uuid.UUID], round_no: int, phase: str, count: int, batch: int
) -> None:
    """Commit ``count`` events, ``batch`` per transaction, the tenants taking turns."""
    from ccokit.platform.events.outbox import publish

    for k, start in enumerate(range(0, count, batch)):
        with kernel.db.transaction(tenants[k % len(tenants)]) as session:
            for n in range(start, min(start + batch, count)):
                payload = {"round": round_no, "phase": phase, "n": n}
                publish(session, kernel.events, event_sink.EVENT_TYPE, payload)


def run_worker() -> None:
    """The ``ccokit worker`` loop (rq's SimpleWorker on the events queue) with the plugin added."""
    from rq import Queue, SimpleWorker

    from ccokit.platform.events import jobs
    from ccokit.platform.events.relay import EVENTS_QUEUE
    from ccokit.platform.webhooks import jobs as webhook_jobs
    from ccokit.platform.webhooks.relay import WEBHOOKS_QUEUE

    kernel = build_kernel()
    jobs._kernel = lambda: kernel  # the job's app is this one, plugin included
    webhook_jobs._kernel = lambda: kernel
    connection = redis.Redis.from_url(kernel.settings.redis_url)
    queues = [Queue(name, connection=connection) for name in (EVENTS_QUEUE, WEBHOOKS_QUEUE)]
    SimpleWorker(queues, connection=connection).work()


def run_publisher(args: argparse.Namespace) -> None:
    """Build the app, say so through ``--ready-file``, and publish once a line arrives on stdin."""
    kernel = build_kernel()
    tenants = [uuid.UUID(t) for t in args.tenant_ids.split(",")]
    Path(args.ready_file).touch()
    sys.stdin.readline()
    publish_events(kernel, tenants, args.round, "live", args.events, args.batch)
    kernel.db.dispose()


def run_receiver(args: argparse.Namespace) -> None:
    """A webhook receiver on loopback: verify each delivery, note its event and arrival, answer 204.

    Each tenant's endpoint posts to ``/hooks/<n>``; ``--secrets-file`` holds one ``whsec_`` secret
    per line, in that order. The port is written to ``--ready-file`` once the server listens.
    """
    from standardwebhooks.webhooks import Webhook

    verifiers: list[Any] = []
    out = Path(args.out_file).open("a", buffering=1)  # noqa: SIM115 - open for the server's life
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the platform's connection pools expect

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived = time.time()
            try:
                n = int(self.path.rsplit("/", 1)[-1])
                with lock:
                    if n >= len(verifiers):  # the endpoints were registered after the server started
                        lines = Path(args.secrets_file).read_text().splitlines()
                        verifiers[:] = [Webhook(line.strip()) for line in lines if line.strip()]
                message = verifiers[n].verify(body, dict(self.headers))
                line = f"{message['id']} {message['data']['phase']} {arrived:.6f} ok\n"
            except Exception as exc:
                line = f"- - {arrived:.6f} {type(exc).__name__}\n"
            with lock:
                out.write(line)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    Path(args.ready_file).write_text(str(server.server_address[1]))
    server.serve_forever()


# -- the benchmark's side ------------------------------------------------------------------------
@contextlib.contextmanager
def database(run_id: str, redis_url: str, tmp: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Roles and a migrated database with the plugin's table; yields its name and the environment."""
    from sqlalchemy import create_engine

    name = f"ccokit_bench_{run_id}"

    def add_plugin_table() -> None:
        # As the owner, before `ccokit migrate`, which then gives the table row-level security and
        # the app role's grants like every other tenant table.
        engine = create_engine("postgresql+psycopg://" + dsn(owner, name).split("://", 1)[1])
        try:
            event_sink.Base.metadata.create_all(engine)
        finally:
            engine.dispose()

    with roles(run_id) as (owner, app):
        env = environment(name, owner, app, redis_url, tmp / "blobs", CCOKIT_WEBHOOKS_ALLOW_LOOPBACK="true")
        with database_of(name, owner, env, before_migrate=add_plugin_table):
            yield name, env


class Processes:
    """Child processes, each in its own session with its output in a log file; all stopped on exit."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], stdin: int | None = None) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdin=stdin, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = proc
        return proc

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def check(self) -> None:
        for name, proc in self.running.items():
            if proc.poll() is not None and name != "publisher":
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.terminate()  # rq stops after its current job; the relay at once
                proc.send_signal(signal.SIGCONT)  # in case it was paused
        for proc in self.running.values():
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.running.clear()


def wait_for(what: str, condition: Any, processes: Processes, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        processes.check()
        if time.monotonic() > deadline:
            print(f"  timed out after {timeout:.0f} s waiting for {what}", flush=True)
            return False
        time.sleep(interval)
    return True


class Counts:
    """Read the outcome as the superuser (who is not held by row-level security)."""

    def __init__(self, db: str) -> None:
        self.conn = psycopg.connect(dsn(ADMIN, db), autocommit=True)

    def value(self, query: sql.Composable, *params: Any) -> Any:
        return self.conn.execute(query, params).fetchone()[0]  # type: ignore[index]

    def effects(self) -> int:
        return int(self.value(sql.SQL("SELECT count(DISTINCT event_id) FROM {}").format(EFFECTS)))

    def outcome(self) -> dict[str, Any]:
        published = self.value(sql.SQL("SELECT count(*) FROM outbox_events WHERE type = %s"), EVENT)
        lost = self.value(sql.SQL(
            "SELECT count(*) FROM outbox_events o WHERE o.type = %s AND NOT EXISTS "
            "(SELECT 1 FROM {} e WHERE e.tenant_id = o.tenant_id AND e.event_id = o.id)"
        ).format(EFFECTS), EVENT)
        duplicated = self.value(sql.SQL(
            "SELECT coalesce(sum(c - 1), 0) FROM "
            "(SELECT count(*) AS c FROM {} GROUP BY tenant_id, event_id) g"
        ).format(EFFECTS))
        return {"published": int(published), "lost": int(lost), "duplicated": int(duplicated)}

    def timings(self, phase: str) -> list[tuple[float, float]]:
        """``(occurred_at, first handler time)`` in epoch seconds of each handled event of ``phase``."""
        return self.conn.execute(sql.SQL(
            "SELECT extract(epoch FROM o.occurred_at)::float8, extract(epoch FROM e.first)::float8 "
            "FROM outbox_events o JOIN (SELECT tenant_id, event_id, min(handled_at) AS first FROM {} "
            "GROUP BY tenant_id, event_id) e ON e.tenant_id = o.tenant_id AND e.event_id = o.id "
            "WHERE o.type = %s AND o.payload->>'phase' = %s"
        ).format(EFFECTS), (EVENT, phase)).fetchall()

    def empty_event_tables(self) -> None:
        present = [t for t in EVENT_TABLES if self.value(sql.SQL("SELECT to_regclass(%s) IS NOT NULL"), t)]
        self.conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, present))))
        self.conn.execute(b"VACUUM (ANALYZE)")

    def close(self) -> None:
        self.conn.close()


def signup_tenants(env: dict[str, str], count: int, tag: str) -> tuple[Any, Any, list[uuid.UUID], list[str]]:
    """Sign up tenants through the API (in-process), with the plugin enabled like any other.

    Returns the app's kernel and test client, the tenant ids and an access token of each.
    """
    from ccokit.platform.app import create_app
    from ccokit.platform.config import load_settings
    from ccokit.platform.kernel import current_kernel
    from ccokit.platform.plugin_host import discover_plugins
    from ccokit_sdk.ids import decode_public_id

    app = create_app(load_settings(env), plugins=[*discover_plugins(), event_sink.plugin])
    client = app.test_client()
    tenants, tokens = [], []
    for i in range(count):
        slug = f"{tag}-{i:03d}"
        resp = client.post("/api/v1/signup", json={
            "name": f"Bench {slug}", "slug": slug, "owner_email": f"owner@{slug}.example",
            "owner_password": PASSWORD,
        })
        if resp.status_code != 201:
            raise RuntimeError(f"signup: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
        data = resp.get_json()
        tenants.append(decode_public_id("ten", data["tenant"]["id"]))
        basic = base64.b64encode(f"{data['client']['client_id']}:{data['client']['client_secret']}".encode())
        form = {"grant_type": "client_credentials", "scope": "webhooks:manage"}
        resp = client.post("/oauth/token", data=form, headers={"Authorization": f"Basic {basic.decode()}"})
        if resp.status_code != 200:
            raise RuntimeError(f"token: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
        tokens.append(resp.get_json()["access_token"])
    return current_kernel(app), client, tenants, tokens


def register_endpoints(client: Any, tokens: Sequence[str], port: int) -> list[str]:
    """One endpoint per tenant for the benchmark's event, at the receiver; their secrets in order."""
    secrets = []
    for n, token in enumerate(tokens):
        body = {"url": f"http://127.0.0.1:{port}/hooks/{n}", "event_types": [EVENT], "description": "bench"}
        auth = {"Authorization": f"Bearer {token}"}
        resp = client.post("/api/v1/webhooks/endpoints", headers=auth, json=body)
        if resp.status_code != 201:
            raise RuntimeError(f"webhook endpoint: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
        secrets.append(resp.get_json()["secret"])
    return secrets


def event_round(
    round_no: int, workers: int, args: argparse.Namespace, kernel: Any, tenants: list[uuid.UUID],
    processes: Processes, counts: Counts, broker: redis.Redis,
) -> dict[str, Any]:
    """One round with ``workers`` workers: warm-up, live publishing, then a backlog; its figures."""
    from rq import Worker

    counts.empty_event_tables()
    broker.flushdb()
    worker_argv = [sys.executable, str(HERE / "events.py"), "--role", "worker"]
    expected = args.warmup
    ready = processes.logs / f"publisher-{round_no}.ready"
    try:
        publisher = processes.start("publisher", [
            sys.executable, str(HERE / "events.py"), "--role", "publish", "--round", str(round_no),
            "--events", str(args.events), "--batch", str(args.batch), "--ready-file", str(ready),
            "--tenant-ids", ",".join(map(str, tenants)),
        ], stdin=subprocess.PIPE)
        relay = processes.start("relay", [CCOKIT, "relay"])
        for w in range(workers):
            processes.start(f"worker{w + 1}", worker_argv)
        wait_for("the workers", lambda: len(Worker.all(connection=broker)) >= workers, processes, 60)
        publish_events(kernel, tenants, round_no, "warmup", args.warmup, args.batch)
        wait_for("the warm-up", lambda: counts.effects() >= expected, processes, 60)
        wait_for("the publisher", lambda: ready.exists() or publisher.poll() is not None, processes, 60)

        assert publisher.stdin is not None
        publisher.stdin.write(b"go\n")  # its app is built: the live part starts now
        publisher.stdin.close()
        expected += args.events

        def drained() -> bool:
            if publisher.poll() not in (None, 0):
                tail = processes.tail("publisher")
                raise RuntimeError(f"publisher exited with {publisher.returncode}:\n{tail}")
            return publisher.returncode == 0 and counts.effects() >= expected

        wait_for("the live events", drained, processes, args.timeout, interval=0.25)

        relay.send_signal(signal.SIGSTOP)  # the backlog piles up committed but unclaimed
        try:
            publish_events(kernel, tenants, round_no, "backlog", args.events, args.batch)
        finally:
            released = time.time()
            relay.send_signal(signal.SIGCONT)
        expected += args.events
        wait_for("the backlog", lambda: counts.effects() >= expected, processes, args.timeout, interval=0.25)
    finally:
        processes.stop_all()
    broker.flushdb()
    out = counts.outcome()
    live, backlog = counts.timings("live"), counts.timings("backlog")
    out["rate"] = out["publish_rate"] = out["drain_rate"] = 0.0
    out["p50"] = out["p99"] = out["seconds"] = math.nan
    if live:
        start, end = min(o for o, _ in live), max(h for _, h in live)
        out["rate"] = len(live) / (end - start)
        out["publish_rate"] = len(live) / max(max(o for o, _ in live) - start, 1e-9)
        out["p50"], out["p99"] = pct([h - o for o, h in live], 50), pct([h - o for o, h in live], 99)
        out["seconds"] = end - start
    if backlog:
        out["drain_rate"] = len(backlog) / (max(h for _, h in backlog) - released)
    print(f"round {round_no + 1}/{args.rounds}, {workers} worker{'s' if workers > 1 else ''}: "
          f"{len(live)} events in {out['seconds']:.1f} s = {out['rate']:.0f}/s commit to handler "
          f"(published at {out['publish_rate']:.0f}/s), latency p50 {out['p50']:.0f} ms, "
          f"p99 {out['p99']:.0f} ms; backlog of {len(backlog)} drained at {out['drain_rate']:.0f}/s; "
          f"lost {out['lost']}, duplicated {out['duplicated']} of {out['published']}", flush=True)
    return out


def read_receipts(path: Path) -> list[tuple[str, str, float, str]]:
    """The receiver's lines: ``(event id, phase, arrival, "ok" or the verification error)``."""
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [tuple(line.split(" ")) for line in lines if line.count(" ") == 3]  # type: ignore[misc]


def webhook_round(
    round_no: int, workers: int, args: argparse.Namespace, kernel: Any, tenants: list[uuid.UUID],
    processes: Processes, counts: Counts, broker: redis.Redis, receipts: Path,
) -> dict[str, Any]:
    """One round of webhook deliveries with ``workers`` workers: warm-up, then ``--webhooks`` events."""
    from rq import Worker

    counts.empty_event_tables()
    broker.flushdb()
    receipts.write_text("")
    worker_argv = [sys.executable, str(HERE / "events.py"), "--role", "worker"]

    def received() -> int:
        return len(read_receipts(receipts))

    try:
        processes.start("relay", [CCOKIT, "relay"])
        for w in range(workers):
            processes.start(f"worker{w + 1}", worker_argv)
        wait_for("the workers", lambda: len(Worker.all(connection=broker)) >= workers, processes, 60)
        publish_events(kernel, tenants, round_no, "warmup", args.warmup, args.batch)
        wait_for("the warm-up deliveries", lambda: received() >= args.warmup, processes, 60)
        publish_events(kernel, tenants, round_no, "live", args.webhooks, args.batch)
        expected = args.warmup + args.webhooks
        wait_for("the deliveries", lambda: received() >= expected, processes, args.timeout, interval=0.25)
        time.sleep(1)  # a late duplicate would arrive now
    finally:
        processes.stop_all()
    broker.flushdb()
    lines = read_receipts(receipts)
    published = counts.value(sql.SQL("SELECT count(*) FROM outbox_events WHERE type = %s"), EVENT)
    good = [line for line in lines if line[3] == "ok"]
    unique = {line[0] for line in good}
    live = [float(arrived) for _, phase, arrived, _ in good if phase == "live"]
    first = counts.value(sql.SQL(
        "SELECT extract(epoch FROM min(occurred_at))::float8 FROM outbox_events "
        "WHERE type = %s AND payload->>'phase' = 'live'"
    ), EVENT)
    out = {
        "published": int(published), "lost": int(published) - len(unique),
        "duplicated": len(good) - len(unique), "bad_signatures": len(lines) - len(good), "rate": 0.0,
    }
    if live and first is not None:
        out["rate"] = len(live) / (max(live) - first)
    plural = "s" if workers > 1 else ""
    print(f"webhook round {round_no + 1}, {workers} worker{plural}: {len(live)} deliveries "
          f"at {out['rate']:.0f}/s commit to receiver; lost {out['lost']}, duplicated {out['duplicated']}, "
          f"bad signatures {out['bad_signatures']} of {out['published']}", flush=True)
    return out


def start_receiver(processes: Processes, tmp: Path) -> tuple[Path, int]:
    """The receiver process; the endpoints' secrets go to ``secrets.txt`` once they are registered."""
    secrets_file, ready, receipts = tmp / "secrets.txt", tmp / "receiver.port", tmp / "receipts.txt"
    processes.start("receiver", [
        sys.executable, str(HERE / "events.py"), "--role", "receiver", "--secrets-file", str(secrets_file),
        "--ready-file", str(ready), "--out-file", str(receipts),
    ])
    wait_for("the receiver", lambda: ready.exists() and ready.read_text().strip() != "", processes, 30)
    return receipts, int(ready.read_text())


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:10]
    redis_url = f"{REDIS_BASE}/{args.redis_db}"
    broker = redis.Redis.from_url(redis_url)
    if broker.dbsize():
        raise SystemExit(f"Redis database {args.redis_db} is not empty; pick another with --redis-db")
    with contextlib.ExitStack() as stack:
        stack.callback(broker.close)
        stack.callback(broker.flushdb)  # after the processes stopped (callbacks run in reverse)
        print(f"database ccokit_bench_{run_id}: creating and migrating; {os.cpu_count()} cores", flush=True)
        name, env = stack.enter_context(database(run_id, redis_url, tmp))
        kernel, client, tenants, tokens = signup_tenants(env, args.tenants, f"e{run_id[:6]}")
        stack.callback(kernel.db.dispose)
        counts = Counts(name)
        stack.callback(counts.close)
        processes = Processes(env, tmp)
        stack.callback(processes.stop_all)
        print(f"{args.tenants} tenants; {args.rounds} rounds of {args.events} events "
              f"(+{args.warmup} warm-up), {args.batch} per transaction", flush=True)
        results: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for r in range(args.rounds):
            workers = WORKER_PATTERN[r % len(WORKER_PATTERN)]
            results[workers].append(event_round(r, workers, args, kernel, tenants, processes, counts, broker))
        # The receiver serves every webhook round; its secrets are written once the endpoints exist.
        receivers = Processes(env, tmp)
        stack.callback(receivers.stop_all)
        receipts, port = start_receiver(receivers, tmp)
        (tmp / "secrets.txt").write_text("\n".join(register_endpoints(client, tokens, port)) + "\n")
        hooks: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for r in range(args.webhook_rounds):
            workers = WORKER_PATTERN[r % len(WORKER_PATTERN)]
            receivers.check()
            hooks[workers].append(webhook_round(r, workers, args, kernel, tenants, processes, counts, broker,
                                                receipts))
    summary: dict[str, Any] = {}
    for workers, rounds in results.items():
        if not rounds:
            summary[f"events_per_s_{workers}w"] = None
            continue
        rate = statistics.median(x["rate"] for x in rounds)
        p50 = statistics.median(x["p50"] for x in rounds)
        p99 = statistics.median(x["p99"] for x in rounds)
        published = statistics.median(x["publish_rate"] for x in rounds)
        drain = statistics.median(x["drain_rate"] for x in rounds)
        print(f"{workers} worker{'s' if workers > 1 else ''}, median of {len(rounds)} rounds: {rate:.0f} "
              f"events/s commit to handler (publisher {published:.0f}/s), latency p50 {p50:.0f} ms, "
              f"p99 {p99:.0f} ms; backlog drained at {drain:.0f}/s", flush=True)
        summary[f"events_per_s_{workers}w"] = round(rate, 1)
    for workers, rounds in hooks.items():
        rate = statistics.median(x["rate"] for x in rounds) if rounds else None
        summary[f"webhooks_per_s_{workers}w"] = None if rate is None else round(rate, 1)
        if rounds:
            print(f"{workers} worker{'s' if workers > 1 else ''}, median of {len(rounds)} webhook rounds: "
                  f"{rate:.0f} deliveries/s commit to receiver", flush=True)
    every = [x for rounds in (*results.values(), *hooks.values()) for x in rounds]
    lost, duplicated = sum(x["lost"] for x in every), sum(x["duplicated"] for x in every)
    bad = sum(x.get("bad_signatures", 0) for x in every)
    print(f"goal: >= 1,000 events/s with 2 workers; lost {lost} (bad signatures {bad}), duplicated "
          f"{duplicated} over {sum(x['published'] for x in every)} events and their webhooks", flush=True)
    return {
        "events_per_s_1w": summary["events_per_s_1w"], "events_per_s_2w": summary["events_per_s_2w"],
        "webhooks_per_s": summary["webhooks_per_s_2w"] or summary["webhooks_per_s_1w"],
        "lost": lost + bad, "duplicated": duplicated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="timed events per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, alternating 1, 2, 2, 1 workers")
    parser.add_argument("--webhooks", type=int, default=3_000, help="webhook deliveries per webhook round")
    parser.add_argument("--webhook-rounds", type=int, default=2, help="webhook rounds, 1 then 2 workers")
    parser.add_argument("--tenants", type=int, default=10, help="tenants the events are spread over")
    parser.add_argument("--batch", type=int, default=100, help="events per published transaction")
    parser.add_argument("--warmup", type=int, default=200, help="untimed events before each round")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a round may take")
    parser.add_argument("--redis-db", type=int, default=13, help="an empty Redis database number")
    parser.add_argument("--role", choices=["bench", "worker", "publish", "receiver"], default="bench",
                        help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--tenant-ids", default="", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--secrets-file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "worker":
        return run_worker()
    if args.role == "publish":
        return run_publisher(args)
    if args.role == "receiver":
        return run_receiver(args)
    if min(args.events, args.rounds, args.tenants, args.batch, args.warmup, args.timeout, args.webhooks,
           args.webhook_rounds) < 1:
        parser.error("every number must be at least 1")
    run_and_report(run, args, prefix="ccokit-bench-events-")


if __name__ == "__main__":
    main()
