"""Request ids: one id per request, taken from ``X-Request-Id`` when sane, echoed back.

The id is on every response, in every problem body and in every log line written while the
request is served (with the tenant, once known), so an operator can follow one request through
the web tier, the workers and the database log.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

from ccokit.platform.log_context import current_fields

__all__ = ["RequestContextFilter", "init_app"]

_SANE = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``tenant_id`` and ``job_id`` to every log record.

    In a request they come from the request; in a worker from what the running handler or job
    bound in :mod:`ccokit.platform.log_context`; ``-`` when there is none.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        bound = current_fields()
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            ctx = g.get("ccokit")
            record.tenant_id = str(ctx.tenant_id) if ctx is not None else "-"
        else:
            record.request_id = getattr(record, "request_id", "-")
            record.tenant_id = getattr(record, "tenant_id", bound.get("tenant_id", "-"))
        record.job_id = getattr(record, "job_id", bound.get("job_id", "-"))
        return True


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _SANE.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
