"""rq entry points of the event machinery: they take ids and re-enter the tenant's context.

A worker process builds one app from its ``CCOKIT_*`` environment on first use and keeps it, so
each job costs only the delivery itself.
"""

from __future__ import annotations

import logging
import uuid
from functools import cache
from typing import TYPE_CHECKING

from ccokit.platform.events.relay import deliver_inline

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
    """Deliver each ``[tenant_id, event_id]``, one transaction per tenant; returns how many
    events completed, still wait for a retry, or no longer exist."""
    outcome = deliver_inline(_kernel(), [(uuid.UUID(t), uuid.UUID(e)) for t, e in pairs])
    log.debug("delivered %s", outcome)
    return outcome
