"""Every event type the platform and its plugins declare, and who subscribes to which."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ccokit_sdk.events import Event, EventType, Handler, HandlerContext
from ccokit_sdk.jobs import JobFunction, job_name_of

__all__ = [
    "ALL_EVENTS",
    "JOB_PREFIX",
    "EventRegistry",
    "Maintenance",
    "Schedule",
    "Subscription",
    "UnknownEventType",
]

#: Jobs travel the outbox as events of type ``job:<plugin>.<name>``; they are not event types.
JOB_PREFIX = "job:"
MIN_INTERVAL = timedelta(minutes=1)

#: Subscribe to this to receive every declared event type (the platform's webhook fan-out does).
ALL_EVENTS = "*"


class UnknownEventType(LookupError):
    """An event type nobody declared was published or subscribed to."""


@dataclass(frozen=True)
class Subscription:
    plugin: str
    name: str
    handler: Handler


@dataclass(frozen=True)
class Schedule:
    """A periodic job: ``job_type`` runs every ``interval`` for each tenant with ``plugin`` on."""

    plugin: str
    job_type: str
    interval: timedelta


@dataclass(frozen=True)
class Maintenance:
    """Platform housekeeping across all tenants: ``run(kernel)`` every ``interval``."""

    name: str
    run: Callable[[Any], object]
    interval: timedelta


def _job_adapter(fn: JobFunction) -> Handler:
    def run_job(event: Event, ctx: HandlerContext) -> None:
        fn(ctx, **event.payload)

    return run_job


@dataclass
class EventRegistry:
    types: dict[str, EventType] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)
    #: job type -> the subscription that runs it; function -> its job type
    jobs: dict[str, Subscription] = field(default_factory=dict)
    job_types: dict[Any, str] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    maintenance: list[Maintenance] = field(default_factory=list)

    def declare(self, owner: str, event_types: Iterable[EventType]) -> None:
        for event_type in event_types:
            if event_type.name in self.types:
                first = self.owners[event_type.name]
                raise ValueError(f"event type {event_type.name!r} is declared by {first!r} and {owner!r}")
            self.types[event_type.name] = event_type
            self.owners[event_type.name] = owner

    def get(self, name: str) -> EventType:
        if name.startswith(JOB_PREFIX):
            raise UnknownEventType(f"{name} is a job, not an event type")
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

    def register_job(self, plugin: str, fn: JobFunction, name: str | None = None) -> str:
        """Register ``fn`` as the job ``plugin.name``; returns its job type."""
        job_name = job_name_of(fn, name)
        job_type = f"{JOB_PREFIX}{plugin}.{job_name}"
        if job_type in self.jobs:
            raise ValueError(f"job {plugin}.{job_name} is registered twice")
        self.jobs[job_type] = Subscription(plugin, f"{plugin}:job:{job_name}", _job_adapter(fn))
        self.job_types[fn] = job_type
        return job_type

    def schedule(self, plugin: str, fn: JobFunction, interval: timedelta, name: str | None = None) -> str:
        """Register ``fn`` and run it every ``interval`` for every tenant with ``plugin`` on."""
        if interval < MIN_INTERVAL:
            raise ValueError(f"a periodic job runs at most once a minute, not every {interval}")
        job_type = self.register_job(plugin, fn, name)
        self.schedules.append(Schedule(plugin, job_type, interval))
        return job_type

    def maintain(self, name: str, run: Callable[[Any], object], interval: timedelta) -> None:
        """Run platform housekeeping ``run(kernel)`` every ``interval`` in the scheduler."""
        if any(m.name == name for m in self.maintenance):
            raise ValueError(f"maintenance task {name!r} is registered twice")
        self.maintenance.append(Maintenance(name, run, interval))

    def job_type(self, job: JobFunction | str) -> str:
        """The job type of a registered function or of ``"plugin.name"``."""
        job_type = f"{JOB_PREFIX}{job}" if isinstance(job, str) else self.job_types.get(job, "")
        if job_type not in self.jobs:
            raise UnknownEventType(f"{job!r} is not a registered job (register it with ctx.job in setup)")
        return job_type

    def subscribers(self, event_type: str) -> list[Subscription]:
        """Handlers of ``event_type``: its own subscribers, then those of every event type."""
        if event_type.startswith(JOB_PREFIX):
            job = self.jobs.get(event_type)
            return [job] if job is not None else []
        own = self.subscriptions.get(event_type, [])
        if event_type not in self.types:
            return list(own)
        return [*own, *self.subscriptions.get(ALL_EVENTS, ())]
