"""Liveness and readiness for load balancers and Kubernetes probes.

``/healthz`` says the process answers; it touches nothing else, so a database outage does not
make Kubernetes restart every web pod. ``/readyz`` says this pod can serve: the database and
(when configured) Redis answer. Both are outside ``/api`` and need no token.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from ccokit.platform.kernel import current_kernel

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Any:
    kernel = current_kernel()
    checks: dict[str, str] = {}
    try:
        with kernel.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any driver error means "not ready"
        log.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = "unreachable"
    if kernel.redis is not None:
        try:
            kernel.redis.ping()
            checks["redis"] = "ok"
        except Exception:
            log.warning("readiness: redis unreachable", exc_info=True)
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), (200 if ready else 503)
