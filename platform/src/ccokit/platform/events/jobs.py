"""rq entry points of the event machinery: they take ids and re-enter the tenant's context.

A worker process builds one app from its ``CCOKIT_*`` environment on first use and keeps it, so
each job costs only the delivery itself.
"""

from __future__ import annotations

import logging
import uuid
from functools import cache
from typing import TYPE_CHECKING

from ccokit.platform.events.delivery import deliver

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["deliver_events"]

log = logging.getLogger(__name__)


@cache
def _kernel() -> Kernel:
    from ccokit.platform.app import create_app
    from ccokit.platform.kernel import current_kernel

    return current_kernel(create_app())


def deliver_events(pairs: list[list[str]]) -> dict[str, int]:
    """Deliver each ``[tenant_id, event_id]``; returns how many completed and how many wait."""
    from rq import get_current_job

    job = get_current_job()
    kernel = _kernel()
    outcome = {"completed": 0, "pending": 0, "missing": 0}
    for tenant_id, event_id in pairs:
        result = deliver(kernel, uuid.UUID(tenant_id), uuid.UUID(event_id))
        outcome[result] += 1
        log.debug("event %s: %s", event_id, result, extra={"tenant_id": tenant_id, "job_id": job and job.id})
    return outcome
