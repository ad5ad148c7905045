"""Every event type the platform and its plugins declare, and who subscribes to which."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ccokit_sdk.events import EventType, Handler

__all__ = ["ALL_EVENTS", "EventRegistry", "Subscription", "UnknownEventType"]

#: Subscribe to this to receive every declared event type (the platform's webhook fan-out does).
ALL_EVENTS = "*"


class UnknownEventType(LookupError):
    """An event type nobody declared was published or subscribed to."""


@dataclass(frozen=True)
class Subscription:
    plugin: str
    name: str
    handler: Handler


@dataclass
class EventRegistry:
    types: dict[str, EventType] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)

    def declare(self, owner: str, event_types: Iterable[EventType]) -> None:
        for event_type in event_types:
            if event_type.name in self.types:
                first = self.owners[event_type.name]
                raise ValueError(f"event type {event_type.name!r} is declared by {first!r} and {owner!r}")
            self.types[event_type.name] = event_type
            self.owners[event_type.name] = owner

    def get(self, name: str) -> EventType:
        try:
            return self.types[name]
        except KeyError:
            raise UnknownEventType(name) from None

    def subscribe(self, plugin: str, event_type: str, handler: Handler, name: str | None = None) -> None:
        if event_type != ALL_EVENTS:
            self.get(event_type)
        handler_name = f"{plugin}:{name or getattr(handler, '__qualname__', repr(handler))}"
        subs = self.subscriptions.setdefault(event_type, [])
        if any(s.name == handler_name for s in subs):
            raise ValueError(f"{handler_name} subscribes to {event_type!r} twice")
        subs.append(Subscription(plugin, handler_name, handler))

    def subscribers(self, event_type: str) -> list[Subscription]:
        """Handlers of ``event_type``: its own subscribers, then those of every event type."""
        own = self.subscriptions.get(event_type, [])
        if event_type not in self.types:
            return list(own)
        return [*own, *self.subscriptions.get(ALL_EVENTS, ())]
