"""Nothing is lost and nothing happens twice when workers, the relay or Redis fail mid-run.

Real processes: rq workers (``pinger_worker``, the ``ccokit worker`` loop with the test plugin)
and ``ccokit relay``, against the run's PostgreSQL database and Redis. The redelivery interval is
shortened to one second so that lost dispatches come back quickly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from ccokit.platform.config import Settings
from ccokit.platform.kernel import Kernel, current_kernel
from tests.conftest import TenantInfo, signup
from tests.platform.events.conftest import Pinger, build, effects, outbox_state, ping

ROOT = Path(__file__).resolve().parents[3]
CCOKIT = Path(sys.executable).with_name("ccokit")
DEADLINE_S = 180


def _env(settings: Settings) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")},
        "CCOKIT_ENV": "test",
        "CCOKIT_DATABASE_URL": settings.database_url,
        "CCOKIT_REDIS_URL": settings.redis_url or "",
        "CCOKIT_SECRET_KEY": settings.secret_key,
        "CCOKIT_STORAGE_URL": settings.storage_url,
        "CCOKIT_EVENT_REDELIVERY_SECONDS": "1",
        "CCOKIT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


class Processes:
    def __init__(self, settings: Settings) -> None:
        self.env = _env(settings)
        self.running: list[subprocess.Popen[bytes]] = []

    def worker(self) -> subprocess.Popen[bytes]:
        return self._start([sys.executable, "-m", "tests.platform.events.pinger_worker"])

    def relay(self) -> subprocess.Popen[bytes]:
        return self._start([str(CCOKIT), "relay", "--poll", "0.05"])

    def _start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.running.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def durable(pg_settings: Settings) -> Iterator[tuple[Kernel, Processes, Flask]]:
    settings = pg_settings.with_overrides(event_redelivery_seconds=1.0)
    app = build(settings, Pinger())
    processes = Processes(settings)
    try:
        yield current_kernel(app), processes, app
    finally:
        processes.stop_all()
        current_kernel(app).db.dispose()


def _wait_until_done(kernel: Kernel, tenants: list[TenantInfo], expected: int) -> None:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        if sum(outbox_state(kernel, t)["completed"] for t in tenants) == expected:
            return
        time.sleep(0.5)


def test_a_thousand_events_survive_ten_worker_kills(durable: tuple[Kernel, Processes, Flask]) -> None:
    kernel, processes, app = durable
    tenants = [signup(app.test_client()) for _ in range(4)]
    processes.relay()
    workers = [processes.worker(), processes.worker()]
    numbers = iter(range(1000))
    kills = 0
    while True:
        batch = [n for _, n in zip(range(25), numbers, strict=False)]
        if not batch:
            break
        ping(kernel, tenants[batch[0] % 4], *batch)
        if batch[0] % 100 == 0 and kills < 10:
            victim = workers.pop(0)
            time.sleep(0.2)  # let it be in the middle of a job
            processes.kill(victim)
            workers.append(processes.worker())
            kills += 1
    while kills < 10:
        victim = workers.pop(0)
        processes.kill(victim)
        workers.append(processes.worker())
        kills += 1
    _wait_until_done(kernel, tenants, 1000)
    states = [outbox_state(kernel, t) for t in tenants]
    assert sum(s["completed"] for s in states) == 1000, states
    assert sum(s["parked"] for s in states) == 0
    assert sum(effects(kernel, t) for t in tenants) == 1000  # each effect exactly once


def test_a_killed_relay_and_a_flushed_redis_lose_nothing(
    durable: tuple[Kernel, Processes, Flask], redis_url: str
) -> None:
    kernel, processes, app = durable
    tenants = [signup(app.test_client()) for _ in range(2)]
    relay = processes.relay()
    processes.worker()
    ping(kernel, tenants[0], *range(0, 150))
    processes.kill(relay)  # between claim/enqueue and whatever came next
    ping(kernel, tenants[1], *range(150, 300))
    # Every queued job, the started-job registries and rq's bookkeeping vanish at once.
    redis.Redis.from_url(redis_url).flushdb()
    processes.relay()
    ping(kernel, tenants[0], *range(300, 400))
    _wait_until_done(kernel, tenants, 400)
    assert sum(outbox_state(kernel, t)["completed"] for t in tenants) == 400
    assert sum(effects(kernel, t) for t in tenants) == 400
