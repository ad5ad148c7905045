"""The probes the chart runs work as the chart runs them: ``ccokit probe`` as a process, and the
heartbeat files that ``ccokit worker``, ``relay`` and ``scheduler`` keep.

A web pod answers ``/healthz``; the other processes have no port, so their exec probes ask
whether the heartbeat file the process touches as it makes progress is fresh.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccokit.platform.heartbeat import Heartbeat, stale_reason
from tests.conftest import TEST_SECRET

CCOKIT = Path(sys.executable).with_name("ccokit")


def _ccokit(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")}
    return subprocess.run(
        [str(CCOKIT), *args], env=clean | (env or {}), cwd=cwd,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_fresh_heartbeat_passes_and_a_stale_or_missing_one_fails(tmp_path: Path) -> None:
    beat = tmp_path / "ccokit" / "heartbeat"
    missing = _ccokit("probe", "--heartbeat-file", str(beat), "--max-age", "60")
    assert missing.returncode == 1
    assert f"no heartbeat at {beat}" in missing.stderr

    Heartbeat(beat).beat()
    assert _ccokit("probe", "--heartbeat-file", str(beat), "--max-age", "60").returncode == 0

    old = time.time() - 600
    os.utime(beat, (old, old))
    stale = _ccokit("probe", "--heartbeat-file", str(beat), "--max-age", "60")
    assert stale.returncode == 1
    # 600 s, or a second more when the machine is slow between utime and the probe.
    assert re.search(r"last heartbeat 60[01]s ago at .* \(more than 60s\)", stale.stderr), stale.stderr


def test_the_probe_needs_no_configuration(tmp_path: Path) -> None:
    """Probes run every few seconds: they must not fail on, or pay for, loading the settings."""
    beat = tmp_path / "heartbeat"
    beat.touch()
    result = _ccokit("probe", "--heartbeat-file", str(beat), env={"CCOKIT_PORT": "not-a-port"})
    assert result.returncode == 0, result.stderr


def test_the_probe_needs_something_to_check() -> None:
    result = _ccokit("probe")
    assert result.returncode == 2
    assert "give --heartbeat-file or --url" in result.stderr


def test_heartbeats_are_throttled_and_optional(tmp_path: Path) -> None:
    Heartbeat(None).beat()  # a process started without --heartbeat-file
    beat = tmp_path / "heartbeat"
    heartbeat = Heartbeat(beat, interval=3600)
    heartbeat.beat()
    old = time.time() - 100
    os.utime(beat, (old, old))
    heartbeat.beat()  # within the interval: not touched again
    assert stale_reason(beat, max_age=50) is not None
    Heartbeat(beat, interval=0).beat()
    assert stale_reason(beat, max_age=50) is None


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_url_probe_of_helm_test_passes_on_2xx_only(health_server: str) -> None:
    assert _ccokit("probe", "--url", f"{health_server}/readyz").returncode == 0
    unavailable = _ccokit("probe", "--url", f"{health_server}/down")
    assert unavailable.returncode == 1
    assert "answered 503" in unavailable.stderr
    refused = _ccokit("probe", "--url", "http://127.0.0.1:1/readyz", "--timeout", "2")
    assert refused.returncode == 1


def test_a_worker_touches_its_heartbeat_file(tmp_path: Path, redis_url: str) -> None:
    beat = tmp_path / "ccokit" / "heartbeat"
    result = _ccokit(
        "worker", "--burst", "--queue", "ccokit-heartbeat-test", "--heartbeat-file", str(beat),
        env={"CCOKIT_REDIS_URL": redis_url, "CCOKIT_SECRET_KEY": TEST_SECRET}, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert stale_reason(beat, max_age=60) is None


def test_the_relay_and_the_scheduler_touch_their_heartbeat_files(tmp_path: Path, redis_url: str) -> None:
    env = {
        "CCOKIT_ENV": "test",
        "CCOKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'ccokit.db'}",
        "CCOKIT_REDIS_URL": redis_url,
        "CCOKIT_SECRET_KEY": TEST_SECRET,
        "CCOKIT_STORAGE_URL": f"file://{tmp_path / 'blobs'}",
    }
    migrated = _ccokit("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    for process in ("relay", "scheduler"):
        beat = tmp_path / process / "heartbeat"
        result = _ccokit(process, "--once", "--heartbeat-file", str(beat), env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert stale_reason(beat, max_age=60) is None, process
