"""Benchmark: tenant provisioning over HTTP, and whether the tenant count slows a tenant's requests.

Measured on PostgreSQL against the real server (``ccokit serve --workers 2``), loopback only:

1. **Sign-up** (``POST /api/v1/signup``) at ``--concurrency``: tenants provisioned per second and
   the p50/p99 of one sign-up (goal: p99 <= 150 ms). A few untimed sign-ups warm the workers.
2. **An authenticated GET** (``GET /api/v1/tenant``, plus the quick-replies list when that plugin
   is installed) with a client-credentials token, with 10 tenants in the database and with
   ``--tenants`` (10,000); goal: p99 ratio <= 1.10. The request path that could grow with the
   tenant count is all there: token and revocation check, tenant look-up, plugins, RLS.

Why two databases and two servers: the tenant count cannot go back down cheaply, and measuring
"10" first and "10,000" minutes later on a shared, noisy 2-core machine would turn drift into a
fake ratio. So two identical databases (same migrations, roles, settings) are built: one with 10
tenants signed up over HTTP, one with the timed sign-ups plus tenants cloned in bulk from a
signed-up one (its rows in ``tenants`` and every tenant table but the OAuth ones, which the GET
path reads only by primary key or not at all; new UUIDv7 ids). Then a fresh server starts on
each (same history) and short rounds alternate between them (A B B A ...), one loaded at a
time, so noise hits both alike. Latencies
are medians over rounds of the per-round p50 or p99. The ratio is the median of the per-round
p99 ratios, each from two bursts run back to back; the ratio of the two medians is printed too
but swings more on a busy machine, as each median may land on a round of another noise level.
Bulk rows are written by the ``postgres`` superuser, as ``FORCE ROW LEVEL SECURITY`` holds even
the table owner to one tenant at a time; both databases are then ``VACUUM (ANALYZE)``-ed.

Everything the run creates (two databases, an owner and an app role, two servers, a temporary
directory) is removed at the end, also on error, Ctrl-C or SIGTERM. From the repository root:
``.venv/bin/python bench/provisioning.py [--help]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from harness import (
    PASSWORD,
    KeepAliveClient,
    Reply,
    admin_execute,
    clone_tenants,
    database,
    environment,
    issue_token,
    load,
    pct,
    roles,
    run_and_report,
    server,
)

from ccokit_sdk.ids import decode_public_id

REDIS_URL = "redis://127.0.0.1:6379/14"
TENANT_PATH = "/api/v1/tenant"
REPLIES_PATH = "/api/v1/quick_replies/replies"
def signups(
    url: str, tag: str, count: int, concurrency: int
) -> tuple[list[dict[str, Any]], list[float], float]:
    responses: dict[int, Reply] = {}

    def request(client: KeepAliveClient, i: int) -> tuple[str, Reply]:
        slug = f"{tag}-{i:05d}"
        responses[i] = client.post("/api/v1/signup", json={
            "name": f"Bench {slug}", "slug": slug, "owner_email": f"owner@{slug}.example",
            "owner_password": PASSWORD,
        })
        return "signup", responses[i]

    latencies, wall = load(url, count, concurrency, request)
    return [responses[i].json() for i in range(count)], latencies["signup"], wall


def measure_gets(
    targets: dict[str, tuple[str, dict[str, str]]], labels: dict[str, int], args: argparse.Namespace
) -> dict[str, float]:
    """Alternate rounds of authenticated GETs between the two servers; print the figures and
    return those of ``TENANT_PATH``: median per-round p99 of each server and median per-round ratio."""
    small_url, small_headers = targets["10"]
    paths = [TENANT_PATH]
    if httpx.get(f"{small_url}{REPLIES_PATH}", headers=small_headers, timeout=30).status_code == 200:
        paths.append(REPLIES_PATH)
    per_round = max(len(paths) * 10 * args.concurrency, args.requests // args.rounds)
    results: dict[tuple[str, str], list[list[float]]] = {(n, p): [] for n in targets for p in paths}

    def get(client: KeepAliveClient, i: int) -> tuple[str, Reply]:
        path = paths[(i % args.concurrency + i // args.concurrency) % len(paths)]  # alternate per thread
        return path, client.get(path)

    for r in range(-1, args.rounds):  # round -1 warms both servers up and is discarded
        for name in ("10", "N") if r % 2 == 0 else ("N", "10"):
            latencies, _ = load(targets[name][0], per_round, args.concurrency, get, targets[name][1])
            for path in paths if r >= 0 else ():
                results[(name, path)].append(latencies[path])
    print(f"GET: {args.rounds} alternating rounds of {per_round} requests per database, concurrency "
          f"{args.concurrency}; median over rounds of the per-round p50 and p99:", flush=True)
    p99s: dict[tuple[str, str], float] = {}
    headline: dict[str, float] = {}
    for path in paths:
        for name in targets:
            rounds = results[(name, path)]
            p50 = statistics.median(pct(x, 50) for x in rounds)
            p99s[(name, path)] = p99 = statistics.median(pct(x, 99) for x in rounds)
            pooled = [x for rnd in rounds for x in rnd]
            print(f"  {path:<30} {labels[name]:>6} tenants: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                  f"(all rounds pooled: p99 {pct(pooled, 99):.1f} ms of {len(pooled)})")
        paired = statistics.median(pct(n, 99) / pct(t, 99) for t, n in zip(
            results[("10", path)], results[("N", path)], strict=True))
        print(f"  {path:<30} p99 ratio {paired:.3f} = median of the per-round ratios (goal <= 1.10); "
              f"ratio of the medians {p99s[('N', path)] / p99s[('10', path)]:.3f}", flush=True)
        if path == TENANT_PATH:
            headline = {"10": p99s[("10", path)], "N": p99s[("N", path)], "ratio": paired}
    return headline


def run(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    run_id = uuid.uuid4().hex[:10]
    tag = f"b{run_id[:6]}"
    owner, app = f"ccokit_bench_{run_id}_owner", f"ccokit_bench_{run_id}_app"
    small_db, large_db = f"ccokit_bench_{run_id}_10", f"ccokit_bench_{run_id}_n"
    with contextlib.ExitStack() as stack:
        stack.enter_context(roles(run_id))
        print(f"databases {small_db}, {large_db}: creating and migrating", flush=True)
        small_env, large_env = (
            stack.enter_context(database(db, owner, environment(db, owner, app, REDIS_URL, tmp / db)))
            for db in (small_db, large_db)
        )
        with server(small_env, tmp / "s10.log") as small, server(large_env, tmp / "sn.log") as large:
            small_signups, _, _ = signups(small, f"{tag}s", 10, 2)
            warm, _, _ = signups(large, f"{tag}w", 4, 2)
            created, latencies, wall = signups(large, f"{tag}l", args.signups, args.concurrency)
        signup_p50, signup_p99 = pct(latencies, 50), pct(latencies, 99)
        print(f"signup: {args.signups} in {wall:.1f} s = {args.signups / wall:.1f}/s at concurrency "
              f"{args.concurrency}; p50 {signup_p50:.1f} ms, p99 {signup_p99:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms (goal p99 <= 150 ms)", flush=True)

        template = decode_public_id("ten", warm[0]["tenant"]["id"])
        extra = args.tenants - args.signups - len(warm)
        t0 = time.perf_counter()
        if extra > 0:
            clone_tenants(large_db, template, extra, tag)
        labels = {name: admin_execute("VACUUM (ANALYZE)", "SELECT count(*) FROM tenants", db=db)
                  for name, db in (("10", small_db), ("N", large_db))}
        print(f"bulk: +{max(extra, 0)} tenants in {time.perf_counter() - t0:.1f} s (with VACUUM ANALYZE); "
              f"tenants: {labels['10']} and {labels['N']}", flush=True)
        # Fresh servers for the GETs, so that both processes have the same history.
        small = stack.enter_context(server(small_env, tmp / "g10.log"))
        large = stack.enter_context(server(large_env, tmp / "gn.log"))
        print(f"GET servers: {small} (10 tenants), {large} ({labels['N']} tenants)", flush=True)
        targets = {name: (url, {"Authorization": f"Bearer {issue_token(url, s)}"})
                   for name, url, s in (("10", small, small_signups[0]), ("N", large, created[0]))}
        figures = measure_gets(targets, labels, args)
    return {
        "signups_per_s": round(args.signups / wall, 1), "signup_p50_ms": round(signup_p50, 1),
        "signup_p99_ms": round(signup_p99, 1), "get_p99_ms_10": round(figures["10"], 1),
        "get_p99_ms_10000": round(figures["N"], 1), "tenant_count_ratio": round(figures["ratio"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signups", type=int, default=300, help="timed HTTP sign-ups (default 300)")
    parser.add_argument("--tenants", type=int, default=10_000, help="tenants in the large database")
    parser.add_argument("--requests", type=int, default=16_000, help="timed GETs per database, all rounds")
    parser.add_argument("--rounds", type=int, default=16, help="alternating GET rounds (default 16)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    args = parser.parse_args()
    if min(args.signups, args.tenants, args.requests, args.rounds, args.concurrency) < 1:
        parser.error("every number must be at least 1")
    run_and_report(run, args)


if __name__ == "__main__":
    main()
