"""Business-hours calendars of a workspace: keeping them, the default one, and turning a stored
calendar into the arithmetic of :mod:`.calendar`.

Every workspace has exactly one default calendar (policies without a calendar of their own count
their business hours on it). It is seeded when the workspace signs up, Monday to Friday 09:00-18:00
(Asia/Shanghai for a Chinese-speaking owner, UTC otherwise), or created the same way the first
time it is needed in a workspace that predates it. The default cannot be removed, only replaced
by making another calendar the default; a calendar that a policy names cannot be removed either.

Functions flush but never commit: the view (or job) owns the transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.sla import Calendar, SlaPolicy
from ccokit.plugins.ticketing.schemas.sla import WEEKDAYS, CalendarSchema, Errors, sla_text
from ccokit.plugins.ticketing.services.sla.calendar import CALENDAR_TIME, BusinessCalendar, Measure
from ccokit_sdk.models import cached_configuration

__all__ = [
    "SlaConflict",
    "SlaInvalid",
    "calendar_record",
    "create_calendar",
    "default_calendar",
    "default_calendar_id",
    "delete_calendar",
    "get_calendar",
    "list_query",
    "measure_of",
    "seed_default_calendar",
    "update_calendar",
]

log = logging.getLogger(__name__)

STANDARD_WEEK = {day: [{"start": "09:00", "end": "18:00"}] for day in WEEKDAYS[:5]}
ZONE_BY_LOCALE = {"zh": "Asia/Shanghai"}


class SlaInvalid(ValueError):
    """A calendar or policy was refused; ``errors`` are field messages (answered as 422)."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)


class SlaConflict(SlaInvalid):
    """The change collides with another object (a name taken, a calendar in use): 409."""


def list_query() -> Select[Any]:
    return select(Calendar)


def get_calendar(session: Session, tenant_id: uuid.UUID, calendar_id: uuid.UUID) -> Calendar | None:
    return session.get(Calendar, (tenant_id, calendar_id))


def calendar_record(calendar: Calendar) -> dict[str, Any]:
    """A stored calendar in the API's shape (JSON values), as it would be written back."""
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "weekly_hours": calendar.weekly_hours,
        "holidays": calendar.holidays,
        "working_days": calendar.working_days,
        "is_default": calendar.is_default,
    }


def _checked(record: Mapping[str, Any]) -> dict[str, Any]:
    """Load ``record`` through the full schema: every rule, on the calendar as a whole."""
    schema = CalendarSchema()
    try:
        loaded = schema.load(dict(record))
    except ma.ValidationError as exc:
        raise SlaInvalid(exc.messages_dict) from None
    stored = schema.dump(loaded)
    return {key: stored[key] for key in ("name", "time_zone", "weekly_hours", "holidays", "working_days")}


def _name_taken(session: Session, name: str, other_than: uuid.UUID | None = None) -> bool:
    stmt = select(Calendar.id).where(Calendar.name == name)
    if other_than is not None:
        stmt = stmt.where(Calendar.id != other_than)
    return session.scalar(stmt.limit(1)) is not None


def _refuse_taken_name() -> None:
    errors = Errors()
    errors.add(("name",), "name_taken")
    raise SlaConflict(errors.messages)


def _clear_default(session: Session) -> None:
    session.execute(update(Calendar).where(Calendar.is_default).values(is_default=False))


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        _refuse_taken_name()


def create_calendar(session: Session, data: Mapping[str, Any]) -> Calendar:
    """A new calendar from the create schema's output; the first one becomes the default."""
    values = _checked(CalendarSchema().dump(data))
    if _name_taken(session, values["name"]):
        _refuse_taken_name()
    has_default = session.scalar(select(Calendar.id).where(Calendar.is_default).limit(1)) is not None
    make_default = bool(data.get("is_default")) or not has_default
    if make_default and has_default:
        _clear_default(session)
    calendar = Calendar(**values, is_default=make_default)
    session.add(calendar)
    _flush(session)
    return calendar


def update_calendar(session: Session, calendar: Calendar, changes: Mapping[str, Any]) -> Calendar:
    """Apply a partial change; the calendar that results is checked whole."""
    merged = {**calendar_record(calendar), **CalendarSchema(partial=True).dump(changes)}
    values = _checked(merged)
    if values["name"] != calendar.name and _name_taken(session, values["name"], calendar.id):
        _refuse_taken_name()
    if "is_default" in changes and changes["is_default"] != calendar.is_default:
        if not changes["is_default"]:
            errors = Errors()
            errors.add(("is_default",), "default_required")
            raise SlaInvalid(errors.messages)
        _clear_default(session)
        calendar.is_default = True
    for key, value in values.items():
        setattr(calendar, key, value)
    _flush(session)
    return calendar


def delete_calendar(session: Session, calendar: Calendar) -> None:
    """Remove a calendar no policy uses; clocks that counted on it move to the default."""
    if calendar.is_default:
        raise SlaConflict({"id": [sla_text("default_calendar")]})
    keys = list(session.scalars(
        select(SlaPolicy.key).where(SlaPolicy.calendar_id == calendar.id).order_by(SlaPolicy.key)
    ))
    if keys:
        raise SlaConflict({"id": [sla_text("calendar_in_use", keys=", ".join(keys))]})
    session.delete(calendar)
    session.flush()


def seed_default_calendar(session: Session, locale: str) -> Calendar:
    """The workspace's first default calendar: Monday to Friday, 09:00-18:00."""
    calendar = Calendar(
        name=sla_text("default_calendar_name", locale),
        time_zone=ZONE_BY_LOCALE.get(locale, "UTC"),
        weekly_hours=STANDARD_WEEK,
        holidays=[],
        working_days=[],
        is_default=True,
    )
    session.add(calendar)
    return calendar


def default_calendar(session: Session, locale: str = "en") -> Calendar:
    """The workspace's default calendar, created on first use where sign-up did not seed one.

    A workspace without a default has no calendar at all (the first calendar becomes the default
    and the default cannot be removed), so the seeded name is free; a concurrent first use is the
    only way to collide, and then the other transaction's calendar is the answer.
    """
    found = session.scalar(select(Calendar).where(Calendar.is_default).limit(1))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            calendar = seed_default_calendar(session, locale)
            session.flush()
    except IntegrityError:
        calendar = session.scalars(select(Calendar).where(Calendar.is_default).limit(1)).one()
    return calendar


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The arithmetic of a stored calendar."""
    return BusinessCalendar.from_spec(
        calendar.time_zone, calendar.weekly_hours, calendar.holidays, calendar.working_days
    )


def default_calendar_id(session: Session) -> uuid.UUID:
    """The id of the workspace's default calendar (cached; created on first use, as above)."""
    known = cached_configuration(session, "ticketing.default_calendar", _load_default)
    return known[0] if known is not None else default_calendar(session).id


def _load_default(session: Session) -> tuple[uuid.UUID, BusinessCalendar] | None:
    found = session.scalar(select(Calendar).where(Calendar.is_default).limit(1))
    return (found.id, business_calendar(found)) if found is not None else None


def _load_calendar(tenant_id: uuid.UUID, calendar_id: uuid.UUID) -> Any:
    def load(session: Session) -> BusinessCalendar | None:
        stored = session.get(Calendar, (tenant_id, calendar_id))
        return business_calendar(stored) if stored is not None else None
    return load


def measure_of(
    session: Session, tenant_id: uuid.UUID, business_hours: bool, calendar_id: uuid.UUID | None,
    cache: dict[uuid.UUID | None, Measure] | None = None,
) -> Measure:
    """How a target counts time: every minute, or the working time of ``calendar_id`` (the
    default calendar when it is gone). Built calendars come from the configuration cache;
    ``cache`` keeps them within one operation."""
    if not business_hours:
        return CALENDAR_TIME
    cache = {} if cache is None else cache
    if calendar_id in cache:
        return cache[calendar_id]
    built = None
    if calendar_id is not None:
        load = _load_calendar(tenant_id, calendar_id)
        built = cached_configuration(session, f"ticketing.calendar.{calendar_id}", load)
    if built is None:
        default = cached_configuration(session, "ticketing.default_calendar", _load_default)
        built = default[1] if default is not None else business_calendar(default_calendar(session))
    cache[calendar_id] = built
    return cache[calendar_id]
    stored = session.get(Calendar, (tenant_id, calendar_id)) if calendar_id is not None else None
    if stored is None:
        stored = default_calendar(session)
    cache[calendar_id] = business_calendar(stored)
    return cache[calendar_id]
