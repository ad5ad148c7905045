"""Tables of the event machinery; all are tenant tables (row-level security applies)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata, new_id, utcnow

__all__ = ["Base", "EventDelivery", "JobSchedule", "OutboxEvent", "ProcessedEvent"]


class Base(DeclarativeBase):
    metadata = make_metadata()


class OutboxEvent(TenantScoped, Base):
    """An event written in the transaction of the change that caused it.

    ``dispatched_at`` is when the relay last handed it to a worker; ``completed_at`` when every
    subscribed handler has processed it (or been parked). An event dispatched but not completed
    after the redelivery interval is handed out again, which is what makes a killed worker, a
    killed relay or a flushed Redis lose nothing.
    """

    __tablename__ = "outbox_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: A delayed job is not handed out before this time.
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessedEvent(TenantScoped, Base):
    """That ``handler`` has processed ``event_id``: written in the handler's own transaction."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventDelivery(TenantScoped, Base):
    """A handler that failed on an event: when to try again, or ``parked`` after the last try."""

    __tablename__ = "event_deliveries"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="retrying")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JobSchedule(Base):
    """When a periodic job runs next; one row per job, shared by every scheduler process.

    A platform table (not a tenant's): the scheduler that moves ``next_run_at`` forward with a
    conditional UPDATE is the one that fans the run out to the tenants, so two schedulers (or
    two web processes of the embedded default) never run a period twice.
    """

    __tablename__ = "job_schedules"

    job_type: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fan_out: Mapped[int] = mapped_column(Integer, default=0)
