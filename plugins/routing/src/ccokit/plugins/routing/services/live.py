"""The seam between the durable record and the live routing engine of this process.

Views change configuration and conversations in the database; whatever runs the engine (the
dispatcher) registers here to hear of it after the commit, and reloads what changed. With no
engine running in the process (a web process of a deployment whose dispatcher runs elsewhere,
or a test of the configuration alone) nobody listens and nothing happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

__all__ = ["configuration_changed", "listen_configuration", "stop_listening"]

_listeners: list[Callable[[uuid.UUID], None]] = []


def listen_configuration(listener: Callable[[uuid.UUID], None]) -> None:
    """Call ``listener(tenant_id)`` after every committed change of a tenant's groups, queues or agents."""
    if listener not in _listeners:
        _listeners.append(listener)


def stop_listening(listener: Callable[[uuid.UUID], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def configuration_changed(tenant_id: uuid.UUID) -> None:
    for listener in list(_listeners):
        listener(tenant_id)
