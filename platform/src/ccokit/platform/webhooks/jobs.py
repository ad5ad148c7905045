"""rq entry point of the webhook sender: takes ids, sends, records.

A worker process builds one app from its ``CCOKIT_*`` environment on first use and keeps it.
"""

from __future__ import annotations

import logging
import uuid
from functools import cache
from typing import TYPE_CHECKING

from ccokit.platform.webhooks.sender import Claimed, send_chunk

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["send_webhooks"]

log = logging.getLogger(__name__)


@cache
def _kernel() -> Kernel:
    from ccokit.platform.app import create_app
    from ccokit.platform.kernel import current_kernel

    return current_kernel(create_app())


def send_webhooks(chunk: list[list[str | int]]) -> dict[str, int]:
    """Send ``[tenant_id, delivery_id, endpoint_id, claims]`` items of one endpoint; how many
    succeeded, wait for a retry, failed for good, were abandoned, skipped or handed back."""
    claimed = [
        Claimed(uuid.UUID(str(t)), uuid.UUID(str(d)), uuid.UUID(str(e)), int(c)) for t, d, e, c in chunk
    ]
    outcome = send_chunk(_kernel(), claimed[0].tenant_id, claimed) if claimed else {}
    log.debug("webhooks sent: %s", outcome)
    return outcome
