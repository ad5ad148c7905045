"""The part of the client that sends one API call, for the sync and the async client alike.

One call, from the namespace method to the decoded JSON:

1. A POST gets an ``Idempotency-Key`` (a new UUID4 unless the caller gave one). The key and the
   body's bytes stay the same on every try of the call, so the server recognises a retry.
   A call's own headers (``If-Match`` on a conditional change) are sent on every try too.
2. The access token comes from the cache, or from the token endpoint (with the same retries).
3. The request is sent; a connection error, a timeout, or a 429/5xx answer (a 409 only with
   ``Retry-After``) is tried again
   after a wait (see :mod:`ccokit_sdk.retries`), up to ``max_retries`` times.
4. A 401 with a token the client can renew: the token is dropped and renewed, and the call is
   sent once more (this does not count as a retry).
5. A success is decoded; anything else raises from :mod:`ccokit_sdk.errors`. No exception of the
   HTTP library gets out.

:class:`SyncEngine` and :class:`AsyncEngine` differ only where they wait: sending, sleeping and
locking the token cache.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import anyio
import httpx

from ccokit_sdk.answers import error_for, json_of, token_error_for
from ccokit_sdk.auth import ClientCredentials, StaticToken, TokenRequest
from ccokit_sdk.errors import APIConnectionError, APITimeoutError
from ccokit_sdk.retries import RetryPolicy, worth_retrying

__all__ = ["AsyncEngine", "SyncEngine", "encode_body"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
TokenSource = ClientCredentials | StaticToken


def encode_body(body: Any) -> bytes:
    """The JSON bytes of a request body, made once per call so every retry sends the same bytes."""
    def default(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"cannot send {type(value).__name__} as JSON")

    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=default).encode()


def _connection_error(exc: Exception, request: httpx.Request | None) -> APIConnectionError:
    method = request.method if request is not None else None
    url = str(request.url) if request is not None else None
    where = f" ({method} {url})" if request is not None else ""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    reason = str(exc) or type(exc).__name__
    return cls(f"{'timed out' if cls is APITimeoutError else 'connection failed'}{where}: {reason}",
               method=method, url=url)


def _token_request(http: httpx.Client | httpx.AsyncClient, ask: TokenRequest) -> httpx.Request:
    return http.build_request("POST", ask.url, data=dict(ask.form), headers=dict(ask.headers))


def _retryable_exception(exc: Exception) -> bool:
    """A failure of the network or the server's connection, worth trying again (not a bad URL)."""
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


class _Plan:
    """What stays the same across the tries of one call: method, path, query, body bytes, headers."""

    def __init__(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        idempotency_key: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.params = {k: v for k, v in (params or {}).items() if v is not None}
        self.headers: dict[str, str] = dict(headers or {})
        self.content: bytes | None = None
        if body is not None:
            self.content = encode_body(body)
            self.headers["Content-Type"] = "application/json"
        if method == "POST":
            self.headers[IDEMPOTENCY_HEADER] = idempotency_key or str(uuid.uuid4())

    def build(self, http: httpx.Client | httpx.AsyncClient, token: str) -> httpx.Request:
        headers = {**self.headers, "Authorization": f"Bearer {token}"}
        return http.build_request(
            self.method, self.path, params=self.params, content=self.content, headers=headers
        )


class SyncEngine:
    """Sends calls with an :class:`httpx.Client`; safe to share between threads."""

    def __init__(self, http: httpx.Client, auth: TokenSource, retry: RetryPolicy) -> None:
        self.http = http
        self.auth = auth
        self.retry = retry
        self._token_lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        plan = _Plan(method, path, params, body, idempotency_key, headers)
        renewed = False
        while True:
            token = self._token()
            response = self._send(functools.partial(plan.build, self.http, token))
            if response.status_code == 401 and self.auth.refreshable and not renewed:
                self.auth.forget(token)
                renewed = True
                continue
            if response.is_success:
                return json_of(response)
            raise error_for(response)

    def _token(self) -> str:
        token = self.auth.cached(time.monotonic())
        if token is not None:
            return token
        with self._token_lock:  # one thread asks; the others wait and take its token
            token = self.auth.cached(time.monotonic())
            if token is not None:
                return token
            assert isinstance(self.auth, ClientCredentials)
            ask = self.auth.token_request()
            response = self._send(functools.partial(_token_request, self.http, ask))
            if not response.is_success:
                raise token_error_for(response)
            return self.auth.store(json_of(response), time.monotonic())

    def _send(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        retry = 0
        while True:
            request: httpx.Request | None = None
            try:
                request = build()
                response = self.http.send(request)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if not _retryable_exception(exc) or retry >= self.retry.max_retries:
                    raise _connection_error(exc, request) from exc
                delay: float | None = self.retry.backoff(retry)
            else:
                if retry >= self.retry.max_retries or not worth_retrying(response.status_code,
                                                                          response.headers):
                    return response
                delay = self.retry.delay_for(retry, response.headers)
                if delay is None:
                    return response
            time.sleep(delay)
            retry += 1


class AsyncEngine:
    """Sends calls with an :class:`httpx.AsyncClient`, on asyncio or trio (through anyio)."""

    def __init__(self, http: httpx.AsyncClient, auth: TokenSource, retry: RetryPolicy) -> None:
        self.http = http
        self.auth = auth
        self.retry = retry
        self._token_lock: anyio.Lock | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        plan = _Plan(method, path, params, body, idempotency_key, headers)
        renewed = False
        while True:
            token = await self._token()
            response = await self._send(functools.partial(plan.build, self.http, token))
            if response.status_code == 401 and self.auth.refreshable and not renewed:
                self.auth.forget(token)
                renewed = True
                continue
            if response.is_success:
                return json_of(response)
            raise error_for(response)

    async def _token(self) -> str:
        token = self.auth.cached(time.monotonic())
        if token is not None:
            return token
        if self._token_lock is None:
            self._token_lock = anyio.Lock()
        async with self._token_lock:
            token = self.auth.cached(time.monotonic())
            if token is not None:
                return token
            assert isinstance(self.auth, ClientCredentials)
            ask = self.auth.token_request()
            response = await self._send(functools.partial(_token_request, self.http, ask))
            if not response.is_success:
                raise token_error_for(response)
            return self.auth.store(json_of(response), time.monotonic())

    async def _send(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        retry = 0
        while True:
            request: httpx.Request | None = None
            try:
                request = build()
                response = await self.http.send(request)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if not _retryable_exception(exc) or retry >= self.retry.max_retries:
                    raise _connection_error(exc, request) from exc
                delay: float | None = self.retry.backoff(retry)
            else:
                if retry >= self.retry.max_retries or not worth_retrying(response.status_code,
                                                                          response.headers):
                    return response
                delay = self.retry.delay_for(retry, response.headers)
                if delay is None:
                    return response
            await anyio.sleep(delay)
            retry += 1


