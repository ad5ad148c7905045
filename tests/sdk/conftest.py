"""Fixtures of the SDK client's tests: the real app in-process, and behind a loopback server.

``sdk`` is a :class:`ccokit_sdk.Client` for a freshly signed-up tenant that reaches the app
through ``httpx.WSGITransport``; ``recorder`` sees every request it makes. ``flaky`` puts the app
behind a real HTTP server on 127.0.0.1 with a middleware that fails chosen requests in chosen
ways (an error status, a dropped connection, a slow answer, or an answer lost after the app
acted), for the retry tests. ``sdk_python`` is the interpreter of a fresh virtual environment
with nothing but ``sdk/`` installed, as a merchant's ``pip install ccokit-sdk`` gives it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.serving import make_server

from ccokit_sdk import Client, RetryPolicy
from tests.conftest import TenantInfo

ROOT = Path(__file__).resolve().parents[2]

#: Retries without real waiting, for tests that count attempts.
FAST_RETRIES = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)


@dataclass
class Seen:
    """One request as the server saw it, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """Fail the next ``times`` requests of ``method`` to ``path``.

    ``status``: answer this status with ``headers`` and ``body``; ``drop``: close the connection
    without an answer; ``delay``: wait this long before answering; ``after_app``: let the
    app act first and then answer the fault instead (the client never learns of the success).
    """

    method: str
    path: str
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"type": "about:blank", "title": "Service Unavailable", "status": 503}'
    drop: bool = False
    delay: float = 0.0
    after_app: bool = False


class Recorder:
    """WSGI middleware: records every request and injects the configured faults."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.seen: list[Seen] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def fail(self, fault: Fault) -> None:
        self.faults.append(fault)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [s for s in self.seen if (method is None or s.method == method) and (path is None or s.path == path)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path == path:
                    fault.times -= 1
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        seen = Seen(environ["REQUEST_METHOD"], environ["PATH_INFO"], headers)
        with self._lock:
            self.seen.append(seen)
        fault = self._take_fault(seen.method, seen.path)

        def recording_start_response(status: str, response_headers: list[tuple[str, str]], *args: Any) -> Any:
            seen.status = int(status.split()[0])
            seen.response_headers = {k.lower(): v for k, v in response_headers}
            return start_response(status, response_headers, *args)

        if fault is None:
            return self.app(environ, recording_start_response)
        if fault.delay:
            time.sleep(fault.delay)  # then answer the fault, without reaching the app
        if fault.drop:
            sock = environ["werkzeug.socket"]
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            return []
        if fault.after_app:
            result = self.app(environ, lambda *a: None)
            try:
                b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        headers_out = [("Content-Type", "application/problem+json"), *fault.headers.items()]
        recording_start_response(f"{fault.status} Fault", headers_out)
        return [fault.body]


@pytest.fixture
def recorder(app: Flask) -> Recorder:
    return Recorder(app)


@pytest.fixture
def sdk(recorder: Recorder, tenant: TenantInfo) -> Iterator[Client]:
    """A client of ``tenant`` with every scope of its API client, on the app in-process."""
    with Client(
        "http://localhost",
        client_id=tenant.client_id,
        client_secret=tenant.client_secret,
        transport=httpx.WSGITransport(app=recorder),
        retry=FAST_RETRIES,
    ) as client:
        yield client


@dataclass
class Loopback:
    url: str
    recorder: Recorder


@pytest.fixture
def flaky(recorder: Recorder) -> Iterator[Loopback]:
    """The app behind a real threaded HTTP server on loopback, failing as ``recorder.fail`` says."""
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_port}", recorder)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a new virtual environment into which only ``sdk/`` was installed (no platform)."""
    uv = ROOT / ".tools" / "bin" / "uv"
    venv = tmp_path_factory.mktemp("sdk-venv") / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    subprocess.run([str(uv), "venv", "-q", "--python", "python3", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), str(ROOT / "sdk")],
                   check=True, env=env)
    return python
