"""``client.events``: the workspace's event log, and replaying what a handler could not process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path

__all__ = ["AsyncEventService", "Event", "EventService", "HandlerState"]

URL = "/api/v1/events"
ONE = "/api/v1/events/{}"


@dataclass(frozen=True, kw_only=True)
class HandlerState(APIObject):
    """How one handler fared with an event: ``status`` is processed, retrying or parked."""

    handler: str
    status: str
    attempts: int | None
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Event(APIObject):
    """An event (``evt_…``); ``handlers`` comes with ``get`` and ``replay``, not in lists (``None``)."""

    id: str
    type: str
    payload: dict[str, Any]
    occurred_at: datetime
    completed_at: datetime | None
    handlers: list[HandlerState] | None


class EventService(Namespace):
    def list(
        self, *, status: str | None = None, type: str | None = None, limit: int | None = None
    ) -> Pager[Event]:
        """Events oldest first; ``status`` is pending, completed or parked (scope ``tenant:admin``)."""
        return self._list(Event, URL, fields(status=status, type=type), limit)

    def get(self, event_id: str) -> Event:
        """One event with the state of every handler that saw it."""
        return self._call(Event, "GET", path(ONE, event_id))

    def replay(self, event_id: str) -> Event:
        """Give every parked handler of the event a fresh set of tries (409 if none is parked)."""
        return self._call(Event, "POST", path(ONE + "/replay", event_id))


class AsyncEventService(AsyncNamespace):
    def list(
        self, *, status: str | None = None, type: str | None = None, limit: int | None = None
    ) -> AsyncPager[Event]:
        """Events oldest first; ``status`` is pending, completed or parked (scope ``tenant:admin``)."""
        return self._list(Event, URL, fields(status=status, type=type), limit)

    async def get(self, event_id: str) -> Event:
        """One event with the state of every handler that saw it."""
        return await self._call(Event, "GET", path(ONE, event_id))

    async def replay(self, event_id: str) -> Event:
        """Give every parked handler of the event a fresh set of tries (409 if none is parked)."""
        return await self._call(Event, "POST", path(ONE + "/replay", event_id))
