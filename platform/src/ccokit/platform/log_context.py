"""Fields that every log line carries while a piece of work runs outside a request.

A request's id and tenant come from Flask's ``g`` (see :mod:`ccokit.platform.request_ids`); a
worker running an event handler or a job has no request, so it binds the tenant and the job's
id here for the duration of the run, and :class:`~ccokit.platform.request_ids.RequestContextFilter`
puts them on every record, including the records of plugin code and of libraries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["bound", "current_fields"]

_fields: ContextVar[dict[str, str]] = ContextVar("ccokit_log_fields", default={})  # noqa: B039 - never mutated


@contextmanager
def bound(**fields: str) -> Iterator[None]:
    """Add ``fields`` (``tenant_id``, ``job_id``) to every log record written inside the block."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def current_fields() -> dict[str, str]:
    return _fields.get()
