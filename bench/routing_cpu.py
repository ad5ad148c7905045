"""Benchmark: the CPU cost of routing decisions in one process, through the real app.

What a conversation costs the web process that routes it, measured as CPU time
(``time.process_time()``) of this process, which runs the real app with Flask's test client (no
HTTP server, no load generator) on a throw-away PostgreSQL database. A conversation is its
arrival (``POST /api/v1/routing/conversations``), the ringing agent's accept (skipped when the
arrival answers ``assigned``) and their completion: three routing decisions, each its own
transaction with the workspace's lock, the engine's catch-up, the rows and the events.

Why in-process CPU: on this shared 2-core machine wall-clock figures swing with the neighbours
(the HTTP storm, ``double11.py``, measures the whole system: server, load generator, PostgreSQL
and Redis on the same cores), while the CPU one process spends per conversation is much steadier,
so it is the figure for comparing versions of the routing service (over a few runs: it still
moves by a tenth or so from one run to the next). PostgreSQL's own CPU is not in it.

Two modes, in alternating rounds of the same run so their ratio is meaningful:

1. ``one_process``: every request finds the engine it left in the process's cache (one web
   process, the normal case);
2. ``two_processes``: before each request one of two simulated processes is picked at random
   (seeded) and its engine cache (``workspace_engine._cache``) swapped in, as two gunicorn
   workers would share the decisions: the engine then often has to catch up on what the other
   process decided, which is what costs extra.

One workspace (on the standard plan) with ``--agents`` agents (three chat seats each, online)
and one queue whose offers ring (not ``auto_accept``). For each mode 50 conversations warm up,
then ``--rounds`` rounds of ``--conversations``; each round starts with a few untimed
conversations, so the engines catch up on the other mode's round outside the timing. Printed:
each round's milliseconds of CPU per conversation, the median and p99 over rounds per mode, and
their ratio. The last line is one JSON object.

Everything the run creates (a database, an owner and an app role, a temporary directory) is
removed at the end, also on error, Ctrl-C or SIGTERM. Needs PostgreSQL on 127.0.0.1:5432 (trust
auth, superuser ``postgres``); no Redis. From the repository root:
``.venv/bin/python bench/routing_cpu.py [--help]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from harness import PASSWORD, database, environment, issue_token, pct, roles, run_and_report, signup

from ccokit.platform.app import create_app
from ccokit.platform.config import load_settings
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.routing.services import workspace_engine

API = "/api/v1/routing"
IN_PROCESS = "https://ccokit.in-process"  # the app in this process, through httpx.WSGITransport
ROUTING_SCOPES = ("routing:write", "routing:agent", "routing:read")
WARM_UP = 50  # conversations per mode before the first round
SETTLE = 5  # untimed conversations at the start of each round (catching up on the other mode)
MODES = {"one_process": 1, "two_processes": 2}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client: FlaskClient, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
         ) -> dict[str, Any]:
    resp = client.open(path, method=method, json=body, headers=headers)
    if not 200 <= resp.status_code < 300:
        raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.get_data(as_text=True)[:500]}")
    return dict(resp.get_json() or {})


def workspace(app: Flask, client: FlaskClient, slug: str, agents: int) -> tuple[dict[str, str], str]:
    """Sign a workspace up and staff it through the API; a routing token's header and the queue."""
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as http:
        answer = signup(IN_PROCESS, slug, http)
        admin = bearer(issue_token(IN_PROCESS, answer, http=http))
        routing = bearer(issue_token(IN_PROCESS, answer, ROUTING_SCOPES, http=http))
    queue = call(client, "POST", f"{API}/queues", {"name": "店铺咨询"}, admin)
    if queue["auto_accept"]:
        raise RuntimeError("the queue accepts offers by itself: accept would not be measured")
    for number in range(agents):
        member = call(client, "POST", "/api/v1/members", {
            "email": f"agent{number}@{slug}.example", "display_name": f"Agent {number}", "role": "agent",
            "password": PASSWORD}, admin)["id"]
        call(client, "POST", f"{API}/agents", {"id": member, "capacity": {"chat": 3}}, admin)
        call(client, "PUT", f"{API}/agents/{member}/presence", {"presence": "online"}, admin)
    return routing, queue["id"]


class Processes:
    """The engine caches of ``count`` simulated web processes; :meth:`request` swaps one in,
    picked at random, around a request (with one process, the same cache every time)."""

    def __init__(self, count: int, seed: int) -> None:
        self.saved: list[dict[uuid.UUID, Any]] = [{} for _ in range(count)]
        self.rng = random.Random(seed)

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        p = self.rng.randrange(len(self.saved))
        cache = workspace_engine._cache
        cache.clear()
        cache.update(self.saved[p])
        try:
            yield
        finally:
            self.saved[p] = dict(cache)


def conversations(client: FlaskClient, auth: dict[str, str], queue: str, processes: Processes, count: int
                  ) -> None:
    """``count`` conversations one after the other: arrival, accept if offered, completion."""

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        with processes.request():
            return call(client, "POST", f"{API}/{path}", body, auth)

    for _ in range(count):
        conv = post("conversations", {"queue_id": queue, "channel": "chat"})
        agent = {"agent_id": conv["agent_id"]}
        if conv["state"] == "offered":
            post(f"conversations/{conv['id']}/accept", agent)
        elif conv["state"] != "assigned":
            raise RuntimeError(f"a conversation was {conv['state']}, not offered: no agent free?")
        done = post(f"conversations/{conv['id']}/complete", agent)
        if done["state"] != "ended":
            raise RuntimeError(f"a completed conversation is {done['state']}, not ended")


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:10]
    db = f"ccokit_bench_{run_id}_rc"
    with contextlib.ExitStack() as stack:
        owner, app_role = stack.enter_context(roles(run_id))
        print(f"database {db}: creating and migrating", flush=True)
        env = environment(db, owner, app_role, "", tmp / "blobs", CCOKIT_SIGNUP_PLAN="standard")
        stack.enter_context(database(db, owner, env))
        app = create_app(load_settings(env))
        stack.callback(current_kernel(app).db.dispose)
        client = app.test_client()
        auth, queue = workspace(app, client, f"rc{run_id[:6]}", args.agents)
        processes = {mode: Processes(count, seed=7 + count) for mode, count in MODES.items()}
        for procs in processes.values():
            conversations(client, auth, queue, procs, WARM_UP)
        print(f"{args.agents} agents, one ringing queue; {args.rounds} rounds of {args.conversations} "
              f"conversations per mode, alternating (after {WARM_UP} to warm up each)", flush=True)
        per_conv: dict[str, list[float]] = {mode: [] for mode in MODES}  # seconds of CPU
        for r in range(args.rounds):
            order = list(MODES) if r % 2 == 0 else list(reversed(MODES))
            for mode in order:
                conversations(client, auth, queue, processes[mode], SETTLE)
                gc.collect()
                t0, w0 = time.process_time(), time.perf_counter()
                conversations(client, auth, queue, processes[mode], args.conversations)
                cpu, wall = time.process_time() - t0, time.perf_counter() - w0
                per_conv[mode].append(cpu / args.conversations)
                print(f"  round {r + 1} {mode:<13} {cpu / args.conversations * 1000:6.2f} ms CPU per "
                      f"conversation ({wall / args.conversations * 1000:6.2f} ms wall)", flush=True)
    p50 = {mode: statistics.median(values) * 1000 for mode, values in per_conv.items()}
    p99 = {mode: pct(values, 99) for mode, values in per_conv.items()}
    for mode in MODES:
        print(f"{mode:<13} median {p50[mode]:6.2f} ms, p99 {p99[mode]:6.2f} ms of CPU per conversation "
              f"over {args.rounds} rounds", flush=True)
    ratio = p50["two_processes"] / p50["one_process"]
    print(f"two_processes / one_process (medians): {ratio:.3f}", flush=True)
    return {
        "cpu_ms_per_conversation_p50": round(p50["one_process"], 2),
        "cpu_ms_per_conversation_p99": round(p99["one_process"], 2),
        "two_processes_cpu_ms_p50": round(p50["two_processes"], 2),
        "two_processes_cpu_ms_p99": round(p99["two_processes"], 2),
        "two_processes_ratio": round(ratio, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per mode (default 7)")
    parser.add_argument("--conversations", type=int, default=100,
                        help="timed conversations per round (default 100)")
    parser.add_argument("--agents", type=int, default=10, help="agents in the workspace (default 10)")
    args = parser.parse_args()
    if args.rounds < 1 or args.conversations < 1 or args.agents < 1:
        parser.error("--rounds, --conversations and --agents must be at least 1")
    run_and_report(run, args, prefix="ccokit-routing-cpu-")


if __name__ == "__main__":
    main()
