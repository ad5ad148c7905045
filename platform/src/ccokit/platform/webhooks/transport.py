"""One webhook request over HTTP, to the address the SSRF guard vetted, and what came of it.

The connection goes to :attr:`~ccokit.platform.webhooks.ssrf.Target.address`, while the request
carries the URL's own host in ``Host`` and, for https, in the TLS server name (certificates are
checked against the name, not the address). Redirects are not followed, proxies from the
environment are not used, every step has a 15 s timeout, and at most 64 KiB of the answer is read
(and thrown away: ccokit never shows a receiver's body to anyone). Each receiver host gets its own
small connection pool, so a connection made for one name never carries another's requests.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import httpx

from ccokit.platform.webhooks.ssrf import Target

__all__ = ["TIMEOUT_SECONDS", "Attempt", "post_pinned"]

TIMEOUT_SECONDS = 15.0
USER_AGENT = "ccokit-webhooks/1"
_READ_LIMIT = 64 * 1024
_MAX_POOLS = 256


@dataclass(frozen=True)
class Attempt:
    """What one try came to: a status code, or an error in ccokit's words (never the body)."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Pools:
    """httpx clients by receiver (scheme, host, port), least recently used closed first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: OrderedDict[tuple[str, str, int], httpx.Client] = OrderedDict()
        self.tls = ssl.create_default_context()

    def client(self, target: Target) -> httpx.Client:
        key = (target.scheme, target.host, target.port)
        with self.lock:
            found = self.clients.get(key)
            if found is not None:
                self.clients.move_to_end(key)
                return found
            client = httpx.Client(
                follow_redirects=False,
                trust_env=False,
                verify=self.tls,
                timeout=httpx.Timeout(TIMEOUT_SECONDS),
                limits=httpx.Limits(max_connections=10, max_keepalive_connections=4),
            )
            self.clients[key] = client
            while len(self.clients) > _MAX_POOLS:
                _, old = self.clients.popitem(last=False)
                old.close()
            return client


@cache
def _pools() -> _Pools:
    return _Pools()


def post_pinned(url: str, target: Target, body: bytes, headers: Mapping[str, str]) -> Attempt:
    """POST ``body`` to ``url``, connecting to ``target.address``; never raises for network trouble."""
    try:
        pinned = _pinned_url(url, target)
    except httpx.InvalidURL:
        return Attempt(None, 0, "the URL's path or query cannot be sent")
    sent_headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    started = time.perf_counter()
    try:
        client = _pools().client(target)
        with client.stream("POST", pinned, content=body, headers=sent_headers, extensions=extensions) as resp:
            latency = _ms(started)
            _drain(resp)
            return Attempt(resp.status_code, latency, _status_error(resp.status_code),
                           resp.headers.get("retry-after"))
    except httpx.TimeoutException:
        return Attempt(None, _ms(started), f"no answer within {TIMEOUT_SECONDS:g} s (timed out)")
    except httpx.ConnectError as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
            error = "the TLS handshake failed (is the certificate valid for the host?)"
            return Attempt(None, _ms(started), error)
        return Attempt(None, _ms(started), "could not connect (connection refused or host unreachable)")
    except httpx.RemoteProtocolError:
        return Attempt(None, _ms(started), "the receiver closed the connection or broke the HTTP protocol")
    except httpx.HTTPError as exc:
        return Attempt(None, _ms(started), f"the request failed ({type(exc).__name__})")


def _pinned_url(url: str, target: Target) -> httpx.URL:
    """The URL with the vetted address as its host: the path and query as httpx would send them."""
    parts = urlsplit(url)
    tail = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    raw_path = httpx.URL(f"{target.scheme}://placeholder{tail}").raw_path
    return httpx.URL(scheme=target.scheme, host=target.address, port=target.port, raw_path=raw_path)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _drain(resp: httpx.Response) -> None:
    """Read a small answer to the end (so its connection can be reused); drop a large one."""
    read = 0
    for chunk in resp.iter_raw():
        read += len(chunk)
        if read > _READ_LIMIT:
            break


def _status_error(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"the receiver answered {status}, a redirect, which is not followed"
    return f"the receiver answered {status}"


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
