"""Events: what happened in a tenant's workspace, declared once, delivered exactly once.

A plugin declares every event type it publishes (:class:`EventType`, with a marshmallow schema
and a docstring-like description) in ``Plugin(events=...)``, publishes with
``current().publish(type, payload)`` inside the transaction of the change that caused it, and
subscribes with ``ctx.subscribe(type, handler)`` in ``setup``.

The platform writes the event into an outbox table in that same transaction, hands it to a
worker after the commit, and calls each subscribed handler inside the tenant's context, in a
transaction that also records that this handler processed this event: a handler's effect happens
exactly once even when its job runs twice. A handler that raises is retried with backoff and
finally parked, where an admin can see and replay it. Plugins disabled for a tenant receive none
of its events.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import marshmallow as ma

from ccokit_sdk.blobs import Blobs

__all__ = ["Event", "EventType", "Handler", "HandlerContext"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class EventType:
    """A kind of event, e.g. ``EventType("quick_reply.created", QuickReplyEvent, "…")``."""

    name: str
    schema: type[ma.Schema]
    description: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"event type {self.name!r} must look like 'noun.verb' in lowercase")
        if not self.description.strip():
            raise ValueError(f"event type {self.name!r} needs a description")


@dataclass(frozen=True)
class Event:
    """One event as a handler receives it; ``id`` is unique and stable across redeliveries."""

    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    occurred_at: datetime
    payload: Mapping[str, Any]


class HandlerContext(Protocol):
    """The tenant's context a handler runs in; ``session`` commits with the processed record."""

    tenant_id: uuid.UUID
    session: Any

    def publish(self, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        """Publish a follow-up event in the handler's transaction."""

    def settings(self, plugin_name: str) -> Mapping[str, Any]:
        """The tenant's settings of a plugin."""

    @property
    def blobs(self) -> Blobs:
        """The tenant's blob storage of the plugin that subscribed the handler (or registered the
        job), keys relative to its folder (see :mod:`ccokit_sdk.blobs`)."""

    def enqueue(
        self, job: Callable[..., Any] | str, /, *, delay: timedelta | float | None = None, **kwargs: Any
    ) -> uuid.UUID:
        """Enqueue a registered job (see :mod:`ccokit_sdk.jobs`) in the handler's transaction."""


Handler = Callable[[Event, HandlerContext], None]
