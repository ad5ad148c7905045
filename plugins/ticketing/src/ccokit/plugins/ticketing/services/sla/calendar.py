"""Business-time arithmetic: when does a promise of "4 business hours" fall due, and how much
business time passed between two moments.

A :class:`BusinessCalendar` is a merchant's working week in its own time zone (several intervals
per weekday, e.g. 09:00-12:00 and 13:30-18:00), minus holidays (国庆 Oct 1-7) plus extra working
days (调休: a Saturday or Sunday worked to make up for a holiday, with the hours of a normal
weekday unless given). :data:`CALENDAR_TIME` measures plain elapsed time instead, for targets a
merchant counts in calendar hours; both answer the same two questions (:class:`Measure`).

Business time is real elapsed time inside the working intervals: each local interval is turned
into UTC with the zone's rules of that very day, so on the day New York springs forward an
interval 00:00-04:00 lasts three hours, and on the day it falls back four hours plus one. The
walk jumps from interval to interval (never minute by minute) and stops after
:data:`HORIZON_DAYS`; a question it cannot answer within that horizon raises
:class:`CalendarHorizonExceeded` rather than looping for ever over a calendar with almost no
working time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ccokit.plugins.ticketing.schemas.sla import WEEKDAYS, minute_of_day

__all__ = [
    "CALENDAR_TIME",
    "HORIZON_DAYS",
    "BusinessCalendar",
    "CalendarHorizonExceeded",
    "CalendarTime",
    "Interval",
    "Measure",
    "add_business_minutes",
    "business_minutes_between",
]

#: How far ahead (in days) a due time is searched for, and how long a span is measured.
HORIZON_DAYS = 731
MINUTES_PER_DAY = 24 * 60
ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)

#: Minutes from local midnight, ``start < end <= 1440``.
Interval = tuple[int, int]


class CalendarHorizonExceeded(ValueError):
    """The answer lies more than :data:`HORIZON_DAYS` days away from the starting point."""


class Measure(Protocol):
    """How a target's time is counted: business time of a calendar, or calendar time."""

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment ``amount`` of counted time after ``start``."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Counted time from ``a`` to ``b``; negative when ``b`` is before ``a``."""


@dataclass(frozen=True)
class CalendarTime:
    """Every minute counts: targets measured in calendar hours."""

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return _utc(start) + amount

    def between(self, a: datetime, b: datetime) -> timedelta:
        return _utc(b) - _utc(a)


CALENDAR_TIME = CalendarTime()


@dataclass(frozen=True)
class BusinessCalendar:
    """A working week in ``zone`` with holidays and extra working days.

    ``weekly[i]`` holds the intervals of weekday ``i`` (Monday is 0), sorted and not overlapping.
    A holiday has no working time whatever its weekday; an extra working day has the intervals
    given for it. Build one from API-shaped data with :meth:`from_spec`.
    """

    zone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    working_days: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven entries, Monday first")

    @classmethod
    def from_spec(
        cls,
        time_zone: str,
        weekly_hours: Mapping[str, Sequence[Mapping[str, str]]],
        holidays: Sequence[Mapping[str, str]] = (),
        working_days: Sequence[Mapping[str, object]] = (),
    ) -> BusinessCalendar:
        """A calendar from the shape the API speaks (already validated by the schema).

        ``weekly_hours`` maps weekday names to ``[{"start": "09:00", "end": "12:00"}, …]``;
        ``holidays`` are ``{"start": date, "end": date}`` ranges (``end`` inclusive, optional);
        ``working_days`` are ``{"date": date, "hours": [...]}`` whose hours default to the
        :meth:`standard_day` of the week.
        """
        weekly = tuple(_intervals(weekly_hours.get(name) or ()) for name in WEEKDAYS)
        off: set[date] = set()
        for holiday in holidays:
            first = _as_date(holiday["start"])
            last = _as_date(holiday.get("end") or holiday["start"])
            day = first
            while day <= last:
                off.add(day)
                day += ONE_DAY
        standard = _standard_day(weekly)
        extra: dict[date, tuple[Interval, ...]] = {}
        for entry in working_days:
            hours = entry.get("hours")
            extra[_as_date(entry["date"])] = _intervals(hours) if hours else standard  # type: ignore[arg-type]
        return cls(ZoneInfo(time_zone), weekly, frozenset(off), extra)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of a local date (an extra working day wins over a holiday)."""
        if day in self.working_days:
            return self.working_days[day]
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def has_working_time(self) -> bool:
        return any(self.weekly) or any(self.working_days.values())

    def intervals(self, start: datetime, days: int = HORIZON_DAYS) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC that end after ``start``, clipped to begin no earlier than it,
        in order, for ``days`` local days from ``start``'s own."""
        start = _utc(start)
        day = start.astimezone(self.zone).date()
        for _ in range(days):
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            for first, last in self.hours_on(day):
                # Aware arithmetic with one tzinfo is wall-clock arithmetic: 09:00 stays 09:00 on
                # a DST day, and the offset of that wall time is applied by astimezone().
                a = (midnight + timedelta(minutes=first)).astimezone(UTC)
                b = _wall(day, last, self.zone)
                if b <= start or b <= a:
                    continue
                yield max(a, start), b
            day += ONE_DAY

    def add(self, start: datetime, amount: timedelta) -> datetime:
        if amount < ZERO:
            raise ValueError("cannot add negative business time")
        start = _utc(start)
        if amount == ZERO:
            return start
        left = amount
        for a, b in self.intervals(start):
            if left <= b - a:
                return a + left
            left -= b - a
        raise CalendarHorizonExceeded(
            f"{amount} of business time does not fit in the {HORIZON_DAYS} days after {start.isoformat()}"
        )

    def between(self, a: datetime, b: datetime) -> timedelta:
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.between(b, a)
        if b - a > timedelta(days=HORIZON_DAYS * 5):
            raise CalendarHorizonExceeded(f"a span of {b - a} is too long to measure in business time")
        total = ZERO
        for first, last in self.intervals(a, days=(b - a).days + 2):
            if first >= b:
                break
            total += min(last, b) - first
        return total


def add_business_minutes(calendar: Measure, start: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of business time after ``start`` (UTC); ``start`` outside working
    hours counts from the next working interval."""
    return calendar.add(start, timedelta(minutes=minutes))


def business_minutes_between(calendar: Measure, a: datetime, b: datetime) -> float:
    """Business minutes from ``a`` to ``b`` (negative when ``b`` is earlier), fractions kept."""
    return calendar.between(a, b) / timedelta(minutes=1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: business time needs aware datetimes")
    return moment.astimezone(UTC)


def _wall(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local wall time ``minute`` minutes after ``day``'s midnight, in UTC (1440 is the next
    midnight, whatever the day's length)."""
    if minute >= MINUTES_PER_DAY:
        day += ONE_DAY
        minute -= MINUTES_PER_DAY
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return (midnight + timedelta(minutes=minute)).astimezone(UTC)


def _intervals(items: Sequence[Mapping[str, str]]) -> tuple[Interval, ...]:
    spans = sorted((minute_of_day(i["start"]), minute_of_day(i["end"])) for i in items)
    merged: list[list[int]] = []
    for first, last in spans:
        if last <= first:
            raise ValueError(f"interval ends before it starts: {first}-{last}")
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((a, b) for a, b in merged)


def _standard_day(weekly: tuple[tuple[Interval, ...], ...]) -> tuple[Interval, ...]:
    """The hours of a make-up working day: those of the first weekday (Monday on) with any."""
    return next((hours for hours in weekly if hours), ())


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
