"""The rate limits' Redis storage: one round trip per request instead of two.

flask-limiter counts a request with one script (take an entry in the sliding window) and then,
for the ``RateLimit-*`` headers of the same answer, reads the window again with another. Every
API request paid both round trips, a tenth of a ticket's creation. This storage (the ``limits``
library's Redis storage, registered for ``ccokit+`` and each scheme ``CCOKIT_REDIS_URL`` takes:
``redis``, ``rediss``, ``unix``) takes the entry and reads the window in one script, and answers
the read that follows in the same thread from that reply: the window as it was right after this
request's own entry, its expiries moved on by the time passed since. That is what the headers
are meant to say; entries other processes take in those microseconds show up in the next answer
instead.

Keys, windows and arithmetic are the ``limits`` library's own (its sliding-window counter, with
the previous and current windows under ``{key}/-1`` and ``{key}``), so processes with and
without this storage share counters. A remembered reply is used once, for the same key and
window, within a second; anything else goes to Redis as before.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from limits.storage import RedisStorage

__all__ = ["SCHEME_PREFIX", "RequestWindowRedisStorage"]

#: Prefix that selects this storage for a ``redis://``, ``rediss://`` or ``unix://`` URL.
SCHEME_PREFIX = "ccokit+"

#: A remembered window older than this is not trusted for the headers (seconds).
_FRESH_FOR = 1.0

# Take ``ARGV[3]`` entries if the weighted count allows (as the ``limits`` library's script
# does), then return {taken, previous count, previous ttl ms, current count, current ttl ms}.
_ACQUIRE_AND_READ = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])
local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end
local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = math.max(tonumber(redis.call('pttl', KEYS[1])) or 0, 0)
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
current_ttl = math.max(tonumber(redis.call('pttl', KEYS[2])) or 0, 0)
local taken = 0
if amount <= limit
    and math.floor(previous_count * previous_ttl / expiry) + current_count + amount <= limit then
    if redis.call('exists', KEYS[2]) == 1 then
        current_count = redis.call('incrby', KEYS[2], amount)
    else
        redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
        current_count = amount
        current_ttl = expiry * 2
    end
    taken = 1
end
return {taken, previous_count, previous_ttl, current_count, current_ttl}
"""


class RequestWindowRedisStorage(RedisStorage):
    """``limits``' Redis storage whose sliding-window entry also returns the window, kept for
    the calling thread's next read of the same key (see the module's docstring)."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME_PREFIX + scheme for scheme in ("redis", "rediss", "unix")]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)
        self._last = threading.local()

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_acquire_and_read = self.get_connection().register_script(_ACQUIRE_AND_READ)

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        previous_key = self.prefixed_key(self._previous_window_key(key))
        current_key = self.prefixed_key(self._current_window_key(key))
        self._last.window = None  # a failing call below must not leave an older reply behind
        taken, previous_count, previous_ttl, current_count, current_ttl = self.lua_acquire_and_read(
            [previous_key, current_key], [limit, expiry, amount]
        )
        window = (int(previous_count), int(previous_ttl) / 1000, int(current_count), int(current_ttl) / 1000)
        self._last.window = (key, expiry, time.monotonic(), window)
        return bool(taken)

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        last = getattr(self._last, "window", None)
        self._last.window = None
        if last is not None and last[0] == key and last[1] == expiry:
            elapsed = time.monotonic() - last[2]
            if 0 <= elapsed < _FRESH_FOR:
                previous_count, previous_ttl, current_count, current_ttl = last[3]
                return (previous_count, max(0.0, previous_ttl - elapsed),
                        current_count, max(0.0, current_ttl - elapsed))
        return super().get_sliding_window(key, expiry)  # type: ignore[no-any-return]
