"""Jobs: work a plugin does later for one tenant, once or on a schedule.

A plugin registers its job functions in ``setup``::

    def setup(ctx):
        ctx.job(send_digest)                                  # run when enqueued
        ctx.every(timedelta(hours=1), close_stale_chats)      # every hour, for every tenant
                                                              # that has the plugin enabled

and enqueues a registered job from a request or a handler, for that request's tenant::

    current().enqueue(send_digest, member_id=str(member.id), delay=timedelta(minutes=5))

A job function has the shape of an event handler, ``fn(ctx, **kwargs)``: ``ctx`` is the
tenant's :class:`~ccokit_sdk.events.HandlerContext`, and ``kwargs`` are the JSON values given to
``enqueue`` (none for a periodic job). Jobs travel the same road as events: written into the
outbox in the caller's transaction (an enqueue in a request that fails never runs), delivered by
the workers, and run in a transaction that records that the job ran, so a job's database effects
happen exactly once even when a worker dies mid-job. A job that raises is retried with backoff and
finally parked, where the tenant's admins see it in the event log and can replay it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["JOB_NAME", "JobFunction", "job_name_of"]

#: A job's name within its plugin: lowercase, digits and underscores.
JOB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

JobFunction = Callable[..., Any]


def job_name_of(fn: JobFunction, name: str | None = None) -> str:
    """The name a job is registered under: ``name``, or the function's own name."""
    chosen = name or getattr(fn, "__name__", "")
    if not JOB_NAME.match(chosen):
        raise ValueError(f"job name {chosen!r} must match {JOB_NAME.pattern}; pass name=")
    return chosen
