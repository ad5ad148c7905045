"""A test-only plugin that publishes ``test.pinged`` and whose handler writes one row per event.

The handler's effect is a quick reply with the shortcut ``/p<n>``: shortcuts are unique per
tenant, so a duplicated effect cannot hide, and counting them counts effects.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from sqlalchemy import func, select

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.events.outbox import publish
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit.plugins.quick_replies.models import QuickReply
from ccokit_sdk.events import Event, EventType, HandlerContext
from ccokit_sdk.plugin import Plugin, PluginContext
from tests.conftest import TenantInfo, signup


class PingSchema(ma.Schema):
    n = ma.fields.Integer(required=True)


@dataclass
class Pinger:
    """The behaviour of the test plugin's handler, switchable per test."""

    calls: list[uuid.UUID] = field(default_factory=list)
    failures_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: Event, ctx: HandlerContext) -> None:
        with self.lock:
            self.calls.append(event.id)
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("order system down")
        n = event.payload["n"]
        ctx.session.add(QuickReply(shortcut=f"/p{n}", title=f"ping {n}", body="pong", language="en", tags=[]))

    def plugin(self) -> Plugin:
        def setup(ctx: PluginContext) -> None:
            ctx.subscribe("test.pinged", self.handle, name="record")

        return Plugin(
            name="pinger", version="1", title={"en": "Pinger"}, setup=setup,
            events=(EventType("test.pinged", PingSchema, "Sent by the event tests."),),
        )


@pytest.fixture
def pinger() -> Pinger:
    return Pinger()


def build(settings: Settings, pinger: Pinger) -> Flask:
    return create_app(settings, plugins=[*discover_plugins(), pinger.plugin()])


@pytest.fixture
def events_app(pg_settings: Settings, pinger: Pinger) -> Iterator[Flask]:
    app = build(pg_settings.with_overrides(event_retry_base=0.01, event_retry_cap=0.01, event_max_attempts=3), pinger)
    yield app
    current_kernel(app).db.dispose()


@pytest.fixture
def kernel(events_app: Flask) -> Kernel:
    return current_kernel(events_app)


@pytest.fixture
def shop(events_app: Flask) -> TenantInfo:
    return signup(events_app.test_client())


def ping(kernel: Kernel, tenant: TenantInfo, *numbers: int) -> list[uuid.UUID]:
    """Publish one event per number in one committed transaction."""
    with kernel.db.transaction(tenant.tenant_id) as session:
        return [publish(session, kernel.events, "test.pinged", {"n": n}) for n in numbers]


def effects(kernel: Kernel, tenant: TenantInfo) -> int:
    with kernel.db.transaction(tenant.tenant_id) as session:
        stmt = select(func.count()).select_from(QuickReply).where(QuickReply.shortcut.like("/p%"))
        return int(session.scalar(stmt) or 0)


@pytest.fixture
def count_effects(kernel: Kernel) -> Callable[[TenantInfo], int]:
    return lambda tenant: effects(kernel, tenant)


def outbox_state(kernel: Kernel, tenant: TenantInfo) -> dict[str, Any]:
    from ccokit.platform.events.models import EventDelivery, OutboxEvent

    with kernel.db.transaction(tenant.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent)).all()
        deliveries = session.scalars(select(EventDelivery)).all()
        return {
            "events": len(rows),
            "completed": sum(1 for r in rows if r.completed_at is not None),
            "parked": sum(1 for d in deliveries if d.status == "parked"),
            "retrying": sum(1 for d in deliveries if d.status == "retrying"),
        }
