"""What the benchmarks share: throw-away PostgreSQL roles and databases, real ``ccokit serve``
processes on loopback, a threaded HTTP load generator (on the standard library's keep-alive
connections, cheap because it shares the machine it measures), tokens and percentiles.

Every benchmark runs against real processes on this machine only (PostgreSQL on 127.0.0.1:5432
with trust auth and the superuser ``postgres``; Redis on 127.0.0.1:6379), and removes what it
created, also on error and Ctrl-C: the context managers here undo their work on the way out.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import psycopg
from psycopg import sql

from ccokit_sdk.ids import new_id

PG_HOSTPORT = "127.0.0.1:5432"
ADMIN = "postgres"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "bench password 0123456789"
CCOKIT = str(Path(sys.executable).parent / "ccokit")  # the venv's, next to its python
Request = Callable[["KeepAliveClient", int], tuple[str, "Reply"]]


def dsn(user: str, db: str) -> str:
    return f"postgresql://{user}@{PG_HOSTPORT}/{db}"


def admin_execute(*statements: str, db: str = "postgres") -> Any:
    """Run statements as the superuser; return the first value the last one returns, if any."""
    with psycopg.connect(dsn(ADMIN, db), autocommit=True) as conn:
        for statement in statements:
            cur = conn.execute(statement.encode())
        return cur.fetchone()[0] if cur.description else None  # type: ignore[index]


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] * 1000


@contextlib.contextmanager
def roles(run_id: str) -> Iterator[tuple[str, str]]:
    """An owner role and an application role (neither superuser nor BYPASSRLS), as in production."""
    owner, app = f"ccokit_bench_{run_id}_owner", f"ccokit_bench_{run_id}_app"
    admin_execute(f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS")
    try:
        admin_execute(f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        try:
            yield owner, app
        finally:
            admin_execute(f"DROP ROLE IF EXISTS {app}")
    finally:
        admin_execute(f"DROP ROLE IF EXISTS {owner}")


def environment(name: str, owner: str, app: str, redis_url: str, blobs: Path, **extra: str) -> dict[str, str]:
    """The ``CCOKIT_*`` environment of processes serving database ``name``.

    The rate limits are lifted: a benchmark sends from one IP and one tenant on purpose.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")}
    env.update(
        CCOKIT_ENV="test", CCOKIT_SECRET_KEY=SECRET_KEY, CCOKIT_REDIS_URL=redis_url,
        CCOKIT_SIGNUP_RATE_LIMIT="1000000 per minute", CCOKIT_PUBLIC_RATE_LIMIT="1000000 per minute",
        CCOKIT_TENANT_RATE_LIMIT="1000000 per minute", CCOKIT_STORAGE_URL=f"file://{blobs}",
        CCOKIT_DATABASE_URL=dsn(app, name), CCOKIT_MIGRATION_DATABASE_URL=dsn(owner, name),
        CCOKIT_LOG_LEVEL="WARNING", **extra,
    )
    return env


@contextlib.contextmanager
def database(name: str, owner: str, env: dict[str, str], before_migrate: Callable[[], None] | None = None
             ) -> Iterator[dict[str, str]]:
    """A database owned by ``owner``, migrated with ``ccokit migrate``; dropped on the way out.

    ``before_migrate`` runs after the database exists (e.g. to add a benchmark plugin's table, so
    that the migration gives it row-level security like every other tenant table).
    """
    admin_execute(f"CREATE DATABASE {name} OWNER {owner}")
    try:
        if before_migrate is not None:
            before_migrate()
        subprocess.run([CCOKIT, "migrate"], env=env, check=True, timeout=600, stdout=subprocess.DEVNULL)
        yield env
    finally:
        admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def ready(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code
    except httpx.HTTPError:
        return None


@contextlib.contextmanager
def server(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[str]:
    """``ccokit serve --workers N`` (gunicorn) on a free loopback port; yields its URL once ready."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [CCOKIT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env={**env, "CCOKIT_BASE_URL": url}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while (status := ready(url)) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-3000:]
                raise RuntimeError(f"server not ready ({status=}, exit={proc.returncode}):\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()  # gunicorn's master stops its workers gracefully
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the master and its workers
            proc.wait(timeout=10)


class Reply:
    """A response as the load generator keeps it: status, headers, body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.content = status, headers, body

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class KeepAliveClient:
    """A minimal HTTP/1.1 client on one kept-alive connection (the standard library's).

    The load generator runs on the machine it measures, so what it spends per request is taken
    from the server: this one spends about a fifth of what httpx does. It reconnects once when
    the server has closed an idle connection.
    """

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._headers = {"Host": f"{self._host}:{self._port}", **(headers or {})}
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def __enter__(self) -> KeepAliveClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return self.request("GET", f"{path}?{urlencode(params)}" if params else path, None, headers)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, json, headers)

    def request(self, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Reply:
        sent = {**self._headers, **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            try:
                self._conn.request(method, path, body=payload, headers=sent)
                resp = self._conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed a kept-alive connection: once more on a new one
                raise
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        raise AssertionError("unreachable")


def load(
    url: str, count: int, concurrency: int, request: Request, headers: dict[str, str] | None = None
) -> tuple[dict[str, list[float]], float]:
    """Send requests ``request(client, i)`` for i < count from threads with a keep-alive client each
    (after one untimed request each); return the latencies (s) by label and the wall time."""
    stop = threading.Event()

    def worker(k: int) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        with KeepAliveClient(url, headers=headers, timeout=60) as client:
            client.get("/healthz")
            for i in range(k, count, concurrency):
                if stop.is_set():
                    break
                t0 = time.perf_counter()
                label, resp = request(client, i)
                elapsed = time.perf_counter() - t0
                if not resp.is_success:
                    stop.set()
                    raise RuntimeError(f"{label}: {resp.status_code} {resp.text[:500]}")
                out.setdefault(label, []).append(elapsed)
        return out

    with ThreadPoolExecutor(concurrency) as pool:
        t0 = time.perf_counter()
        try:
            parts = list(pool.map(worker, range(concurrency)))
        finally:
            stop.set()  # on an error or Ctrl-C the other threads stop after their current request
        wall = time.perf_counter() - t0
    merged: dict[str, list[float]] = {}
    for part in parts:
        for label, values in part.items():
            merged.setdefault(label, []).extend(values)
    return merged, wall


def run_and_report(
    run: Callable[[Any, Path], dict[str, Any]], args: Any, prefix: str = "ccokit-bench-"
) -> None:
    """``run(args, tmp)`` in a temporary directory, then its figures as the one-JSON-object last
    line. SIGTERM unwinds like Ctrl-C, so every context manager removes what the run created."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            figures = run(args, Path(tmp))
    except KeyboardInterrupt:
        sys.exit("interrupted; what this run created was removed")
    print(json.dumps(figures))


def signup(url: str, slug: str, http: httpx.Client | None = None) -> dict[str, Any]:
    """Sign a workspace up over HTTP; its answer (tenant, owner, client with its secret).
    ``http`` sends it instead of a new connection (an app in this process, through
    ``httpx.WSGITransport``)."""
    resp = (http or httpx).post(f"{url}/api/v1/signup", timeout=60, json={
        "name": f"Bench {slug}", "slug": slug, "owner_email": f"owner@{slug}.example",
        "owner_password": PASSWORD,
    })
    if resp.status_code != 201:
        raise RuntimeError(f"POST /api/v1/signup: {resp.status_code} {resp.text[:500]}")
    return dict(resp.json())


def issue_token(url: str, signup: dict[str, Any], scopes: Sequence[str] | None = None,
                http: httpx.Client | None = None) -> str:
    """A client-credentials token of the sign-up's client (every scope of it by default; ``http``
    as for :func:`signup`)."""
    client = signup["client"]
    resp = (http or httpx).post(
        f"{url}/oauth/token", auth=(client["client_id"], client["client_secret"]), timeout=30,
        data={"grant_type": "client_credentials", "scope": " ".join(scopes or client["scopes"])},
    )
    if resp.status_code != 200:
        raise RuntimeError(f"POST /oauth/token: {resp.status_code} {resp.text[:500]}")
    return str(resp.json()["access_token"])


_COLUMNS = b"""SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"""
_PRIMARY_KEYS = b"""SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
    WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'"""


def clone_tenants(db: str, template: uuid.UUID, count: int, tag: str) -> list[uuid.UUID]:
    """Add ``count`` tenants, each a copy of ``template``'s rows (OAuth rows excepted); their ids.

    A row keeps its ``id`` where the table's primary key includes ``tenant_id`` (so references
    inside the copied tenant, which name ``(tenant_id, id)``, stay whole); elsewhere it gets a new
    one. Written by the superuser, whom the forced row-level security does not hold.
    """
    with psycopg.connect(dsn(ADMIN, db)) as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute(_COLUMNS):
            columns.setdefault(table, []).append(column)
        keys: dict[str, set[str]] = {}
        for table, column in conn.execute(_PRIMARY_KEYS):
            keys.setdefault(table, set()).add(column)
        tables = sorted((t for t, c in columns.items() if "tenant_id" in c and not t.startswith("oauth_")),
                        key=lambda t: t != "members")  # tenants, then members (FK targets) first
        slugs = [(new_id(), f"{tag}-x{i:05d}") for i in range(count)]
        for table, key in [("tenants", "id"), *((t, "tenant_id") for t in tables)]:
            cols = columns[table]
            fresh_ids = key == "tenant_id" and "id" in cols and "tenant_id" not in keys.get(table, set())
            rows = conn.execute(sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(
                sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in cols),
                sql.Identifier(table), sql.Identifier(key)), (template,)).fetchall()
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, cols)))
            with conn.cursor().copy(copy_sql) as copy:
                for tenant_id, slug in slugs:
                    for row in rows:
                        values = dict(zip(cols, row, strict=True))
                        values[key] = str(tenant_id)
                        if fresh_ids:
                            values["id"] = str(new_id())
                        if table == "tenants":
                            values.update(slug=slug, name=f"Bench {slug}")
                        elif table == "members":
                            values["email"] = f"owner@{slug}.example"
                        copy.write_row([values[c] for c in cols])
        conn.commit()
    return [tenant_id for tenant_id, _ in slugs]
