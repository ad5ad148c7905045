"""The events benchmark's own plugin, built only on the SDK: one event type, one handler, one row.

``bench.pinged`` carries the round, the part of the round (phase) and the event's number. Its
handler adds one row to ``bench_event_effects`` in the handler's transaction (the one that also
records the processed event), stamped with the time the handler ran. The table has no unique key
on the event id on purpose: a second effect of the same event would be stored, not refused, so
the benchmark can count duplicates instead of having them hidden by a constraint.

The plugin has no entry point (it must never be installed into a real deployment); the benchmark
builds its processes' apps with it added, and creates its table itself before ``ccokit migrate``
gives it row-level security and the application role's grants.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import marshmallow as ma
from sqlalchemy import Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.events import Event, EventType, HandlerContext
from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata, new_id, utcnow
from ccokit_sdk.plugin import Plugin, PluginContext

__all__ = ["EVENT_TYPE", "PHASES", "TABLE", "Effect", "plugin"]

EVENT_TYPE = "bench.pinged"
TABLE = "bench_event_effects"
#: A round's parts: delivered before timing, published while delivery runs, committed up front.
PHASES = ("warmup", "live", "backlog")


class Base(DeclarativeBase):
    metadata = make_metadata()


class Effect(TenantScoped, Base):
    """One handler run that committed: which event, and when the handler ran."""

    __tablename__ = TABLE

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PingSchema(ma.Schema):
    round = ma.fields.Integer(required=True)
    phase = ma.fields.String(required=True, validate=ma.validate.OneOf(PHASES))
    n = ma.fields.Integer(required=True)


def record(event: Event, ctx: HandlerContext) -> None:
    ctx.session.add(Effect(event_id=event.id, handled_at=utcnow()))


def setup(ctx: PluginContext) -> None:
    ctx.subscribe(EVENT_TYPE, record, name="record")


plugin = Plugin(
    name="bench_sink", version="1", title={"en": "Events benchmark sink"}, setup=setup,
    metadata=Base.metadata,
    events=(EventType(EVENT_TYPE, PingSchema, "Published by bench/events.py; never in production."),),
)
