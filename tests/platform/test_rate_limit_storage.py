"""The rate limits' Redis storage: one round trip per API request, the same counters as ``limits``'
own storage, and headers that say what a second read of Redis would have said.

Against the run's real Redis (one database per xdist worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from ccokit.platform.rate_limit_storage import SCHEME_PREFIX, RequestWindowRedisStorage
from tests.conftest import bearer, issue_token, signup


@pytest.fixture
def storage(redis_url: str) -> Iterator[RequestWindowRedisStorage]:
    store = RequestWindowRedisStorage(SCHEME_PREFIX + redis_url, key_prefix=f"test-{time.monotonic_ns()}")
    yield store
    store.reset()


def _limiter_storage(app: Flask) -> Any:
    (limiter,) = app.extensions["limiter"]
    return limiter.storage


def test_an_api_request_makes_one_redis_call_for_its_count_and_its_headers(
    build: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build(tenant_rate_limit="50 per hour")
    client = app.test_client()
    token = issue_token(client, signup(client))
    store = _limiter_storage(app)
    assert isinstance(store, RequestWindowRedisStorage)
    calls: list[tuple[Any, ...]] = []
    original = redis.Redis.execute_command

    def counting(self: redis.Redis, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    remaining = []
    for _ in range(3):
        resp = client.get("/api/v1/tenant", headers=bearer(token))
        assert resp.status_code == 200
        remaining.append(int(resp.headers["RateLimit-Remaining"]))
    limiter_calls = [c for c in calls if c[0] in ("EVALSHA", "EVAL")]
    assert len(limiter_calls) == 3
    assert remaining[1] == remaining[0] - 1
    assert remaining[2] == remaining[1] - 1


def test_the_window_after_an_entry_is_what_limits_own_storage_reads(
    storage: RequestWindowRedisStorage, redis_url: str
) -> None:
    """Counters are shared with ``limits``' storage: entries by either are seen by both, and the
    remembered window equals a fresh read."""
    plain = RedisStorage(redis_url, key_prefix=storage.key_prefix)
    item = parse("5 per hour")
    ours, theirs = SlidingWindowCounterRateLimiter(storage), SlidingWindowCounterRateLimiter(plain)
    assert theirs.hit(item, "tenant:a")
    assert theirs.hit(item, "tenant:a")
    assert ours.hit(item, "tenant:a")
    remembered = storage.get_sliding_window(item.key_for("tenant:a"), item.get_expiry())
    fresh = plain.get_sliding_window(item.key_for("tenant:a"), item.get_expiry())
    assert remembered[0] == fresh[0]
    assert remembered[2] == fresh[2] == 3
    assert abs(remembered[3] - fresh[3]) < 1.0
    assert ours.get_window_stats(item, "tenant:a").remaining == 2  # read from Redis: nothing remembered
    assert ours.hit(item, "tenant:a")
    assert theirs.hit(item, "tenant:a")
    assert not ours.hit(item, "tenant:a")
    assert not theirs.hit(item, "tenant:a")
    refused = storage.get_sliding_window(item.key_for("tenant:a"), item.get_expiry())
    assert refused[2] == 5  # a refusal takes nothing and still tells the window


@pytest.fixture
def redis_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys whose window is read from Redis (not from a remembered reply), in order."""
    reads: list[str] = []
    original = RedisStorage.get_sliding_window

    def from_redis(self: RedisStorage, key: str, expiry: int) -> Any:
        reads.append(key)
        return original(self, key, expiry)

    monkeypatch.setattr(RedisStorage, "get_sliding_window", from_redis)
    return reads


def test_a_remembered_window_serves_one_read_of_its_own_key_only(
    storage: RequestWindowRedisStorage, redis_reads: list[str]
) -> None:
    item = parse("10 per hour")
    limiter = SlidingWindowCounterRateLimiter(storage)
    assert limiter.hit(item, "tenant:a")
    reads = redis_reads
    assert limiter.get_window_stats(item, "tenant:b").remaining == 10  # another key: read from Redis
    assert reads == [item.key_for("tenant:b")]
    assert limiter.hit(item, "tenant:a")
    assert limiter.get_window_stats(item, "tenant:a").remaining == 8  # remembered
    assert limiter.get_window_stats(item, "tenant:a").remaining == 8  # used once: read again
    assert reads == [item.key_for("tenant:b"), item.key_for("tenant:a")]


def test_a_stale_remembered_window_is_not_used(
    storage: RequestWindowRedisStorage, redis_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    item = parse("10 per hour")
    limiter = SlidingWindowCounterRateLimiter(storage)
    assert limiter.hit(item, "tenant:a")
    later = time.monotonic() + 5
    monkeypatch.setattr("ccokit.platform.rate_limit_storage.time.monotonic", lambda: later)
    assert limiter.get_window_stats(item, "tenant:a").remaining == 9
    assert redis_reads == [item.key_for("tenant:a")]


def test_a_redis_socket_url_gets_this_storage(build: Callable[..., Flask], client: FlaskClient, tmp_path: Path) -> None:
    """``CCOKIT_REDIS_URL`` may name a socket (``unix://``); the limits count there too (here a
    socket nobody listens on: requests are served, counted per process meanwhile)."""
    shop = signup(client)  # provisioned through the healthy app
    app = build(redis_url=f"unix://{tmp_path}/redis.sock", tenant_rate_limit="5 per hour")
    store = _limiter_storage(app)
    assert isinstance(store, RequestWindowRedisStorage)
    assert store.get_connection().connection_pool.connection_kwargs["path"] == f"{tmp_path}/redis.sock"
    down = app.test_client()
    resp = down.get("/api/v1/tenant", headers=bearer(issue_token(down, shop)))
    assert resp.status_code == 200
    assert resp.headers["RateLimit-Remaining"] == "4"
