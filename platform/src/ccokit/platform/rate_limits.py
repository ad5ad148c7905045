"""Rate limits: per tenant for authenticated API calls, per client IP for everything public.

Every request under ``/api/`` counts against one budget shared by all routes: the tenant's when
it carries a valid token (from the plan's ``requests_per_minute``, or ``CCOKIT_TENANT_RATE_LIMIT``
for every plan), the client IP's otherwise (``CCOKIT_PUBLIC_RATE_LIMIT``). Keying by tenant, not
by token or IP, is what keeps one merchant's burst from slowing another: each tenant has its own
counter, and a tenant cannot get more by minting tokens. The counters live in Redis (shared by
every web process) with flask-limiter's sliding-window counter, counted and read back for the
headers in one round trip (``rate_limit_storage.py``); sign-up, the token endpoint and
the sign-in form keep their own per-IP limits on top (see ``app.py``).

Answers carry the IETF draft's ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds) and ``RateLimit-Policy``; a refusal is a 429 problem with
``Retry-After``.

**When Redis is down** no request is refused for it. flask-limiter switches each process to
in-memory counters with the same limits and checks Redis again with backoff (at most every 32 s);
a ``rate_limit_storage=unavailable`` warning is logged once per outage and
``rate_limit_storage=recovered`` when it is back. During the outage a tenant's limit is counted
per web process (up to N times the limit with N processes), which keeps merchants served (a
Redis outage must not become an outage of every merchant's API) and still bounds credential
guessing at the token endpoint and the sign-in form per process, instead of lifting the limit
exactly when operators are busy elsewhere.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from ccokit.platform.config import Settings
from ccokit.platform.messages import translate
from ccokit.platform.problems import problem_response
from ccokit.platform.rate_limit_storage import SCHEME_PREFIX  # importing it registers the scheme
from ccokit.tenants.plans import get_plan

__all__ = ["init_app"]

log = logging.getLogger(__name__)
#: A Redis that does not answer must not hold requests up: fail over to memory quickly.
_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _caller_key() -> str:
    ctx = g.get("ccokit")
    return f"tenant:{ctx.tenant_id}" if ctx is not None else f"ip:{get_remote_address()}"


def _not_api() -> bool:
    return not request.path.startswith("/api/")


def _storage_uri(redis_url: str | None) -> str:
    """Where the counters live: Redis through ``rate_limit_storage``'s storage (one round trip
    per request), or process memory without Redis (the embedded default, one process)."""
    return SCHEME_PREFIX + redis_url if redis_url else "memory://"


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Create the app's limiter with the per-tenant/per-IP API budget; returns it so the factory
    can add the per-route limits."""

    def api_budget() -> str:
        if g.get("ccokit") is None:
            return settings.public_rate_limit
        if settings.tenant_rate_limit:
            return settings.tenant_rate_limit
        return f"{get_plan(g.tenant_summary.plan).requests_per_minute} per minute"

    app.config.update(
        RATELIMIT_STORAGE_URI=_storage_uri(settings.redis_url),
        RATELIMIT_STORAGE_OPTIONS=_STORAGE_OPTIONS if settings.redis_url else {},
        RATELIMIT_STRATEGY="sliding-window-counter",
        RATELIMIT_HEADERS_ENABLED=False,  # written below, with the IETF draft's names and meaning
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_KEY_PREFIX="ccokit",
    )
    limiter = Limiter(
        get_remote_address,
        app=app,
        application_limits=[
            ApplicationLimit(api_budget, key_function=_caller_key, scope="api", exempt_when=_not_api)
        ],
    )
    storage_state = {"degraded": False}

    @app.after_request
    def _rate_limit_headers(response: Response) -> Response:
        degraded = limiter.limiter.storage is not limiter.storage
        if degraded != storage_state["degraded"]:
            storage_state["degraded"] = degraded
            if degraded:
                log.warning("rate_limit_storage=unavailable mode=per_process_memory: Redis does not answer")
            else:
                log.info("rate_limit_storage=recovered mode=redis")
        current = limiter.current_limit
        if current is None:
            return response
        try:
            reset_at, remaining = current.reset_at, current.remaining
        except Exception:  # the storage failed between the check and now; the answer stands
            log.warning("rate_limit_headers=skipped: the counter could not be read")
            return response
        window = current.limit.get_expiry()
        reset_in = min(window, max(0, math.ceil(reset_at - time.time())))
        amount = current.limit.amount
        response.headers["RateLimit-Limit"] = str(amount)
        response.headers["RateLimit-Remaining"] = str(max(0, remaining))
        response.headers["RateLimit-Reset"] = str(reset_in)
        response.headers["RateLimit-Policy"] = f"{amount};w={window}"
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, reset_in))
        return response

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        item = error.limit.limit
        tenant_budget = g.get("ccokit") is not None and error.limit.scope == "api"
        detail = translate(
            "tenant_rate_limited" if tenant_budget else "ip_rate_limited",
            amount=str(item.amount), seconds=str(item.get_expiry()),
        )
        return problem_response(429, key="too_many_requests", detail=detail)

    return limiter

