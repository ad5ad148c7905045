"""Business-time arithmetic: weekends, the lunch gap, holidays, 调休 make-up days, DST, and the
horizon past which a calendar gives up instead of searching for ever."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ccokit.plugins.ticketing.services.sla.calendar import (
    CALENDAR_TIME,
    BusinessCalendar,
    CalendarHorizonExceeded,
    add_business_minutes,
    business_minutes_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WORKDAY = [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def shanghai_office(**extra: object) -> BusinessCalendar:
    """Mon-Fri 09:00-12:00 and 13:30-18:00 (7.5 hours a day), Shanghai time."""
    return BusinessCalendar.from_spec("Asia/Shanghai", {d: WORKDAY for d in WEEKDAYS}, **extra)  # type: ignore[arg-type]


def national_day_2025() -> BusinessCalendar:
    """国庆 and 中秋 2025: Oct 1-8 off, Sunday Sep 28 and Saturday Oct 11 worked (调休)."""
    return shanghai_office(
        holidays=[{"name": "国庆节、中秋节", "start": "2025-10-01", "end": "2025-10-08"}],
        working_days=[{"name": "调休", "date": "2025-09-28"}, {"name": "调休", "date": "2025-10-11"}],
    )


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


def test_time_inside_one_interval_is_plain_addition() -> None:
    due = add_business_minutes(shanghai_office(), sh(2026, 3, 2, 9, 15), 90)
    assert due == sh(2026, 3, 2, 10, 45)
    assert due.tzinfo is UTC


def test_the_lunch_gap_does_not_count() -> None:
    cal = shanghai_office()
    assert add_business_minutes(cal, sh(2026, 3, 2, 11, 30), 60) == sh(2026, 3, 2, 14, 0)
    assert business_minutes_between(cal, sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 14, 0)) == 90


def test_friday_evening_rolls_over_the_weekend_to_monday() -> None:
    cal = shanghai_office()
    # Friday 17:00 + 2 hours: one hour on Friday, one on Monday morning.
    assert add_business_minutes(cal, sh(2026, 3, 6, 17, 0), 120) == sh(2026, 3, 9, 10, 0)
    assert business_minutes_between(cal, sh(2026, 3, 6, 17, 0), sh(2026, 3, 9, 10, 0)) == 120


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (sh(2026, 3, 7, 10, 0), sh(2026, 3, 9, 9, 30)),  # Saturday: counts from Monday 09:00
        (sh(2026, 3, 9, 7, 0), sh(2026, 3, 9, 9, 30)),  # before opening
        (sh(2026, 3, 9, 12, 40), sh(2026, 3, 9, 14, 0)),  # during lunch
        (sh(2026, 3, 9, 19, 0), sh(2026, 3, 10, 9, 30)),  # after closing
    ],
)
def test_a_start_outside_hours_counts_from_the_next_opening(start: datetime, due: datetime) -> None:
    assert add_business_minutes(shanghai_office(), start, 30) == due


def test_no_time_to_add_is_no_time_at_all() -> None:
    start = sh(2026, 3, 7, 10, 0)
    assert add_business_minutes(shanghai_office(), start, 0) == start
    assert business_minutes_between(shanghai_office(), start, sh(2026, 3, 8, 23, 0)) == 0


def test_national_day_holidays_are_skipped() -> None:
    cal = national_day_2025()
    # Tuesday Sep 30 17:00 + 2 hours: one hour that day, the rest on Thursday Oct 9.
    assert add_business_minutes(cal, sh(2025, 9, 30, 17, 0), 120) == sh(2025, 10, 9, 10, 0)
    assert business_minutes_between(cal, sh(2025, 10, 1, 0, 0), sh(2025, 10, 9, 0, 0)) == 0


def test_a_make_up_working_day_on_a_weekend_counts() -> None:
    cal = national_day_2025()
    # Saturday Sep 27 is off, Sunday Sep 28 is a working day with the normal hours.
    assert add_business_minutes(cal, sh(2025, 9, 27, 10, 0), 60) == sh(2025, 9, 28, 10, 0)
    assert business_minutes_between(cal, sh(2025, 9, 26, 18, 0), sh(2025, 9, 29, 9, 0)) == 450
    # Without the make-up day the same weekend has no working time.
    assert business_minutes_between(shanghai_office(), sh(2025, 9, 26, 18, 0), sh(2025, 9, 29, 9, 0)) == 0
    # Saturday Oct 11 too.
    assert add_business_minutes(cal, sh(2025, 10, 10, 17, 30), 60) == sh(2025, 10, 11, 9, 30)


def test_a_make_up_day_may_have_hours_of_its_own() -> None:
    cal = shanghai_office(working_days=[{"date": "2025-09-28", "hours": [{"start": "10:00", "end": "11:00"}]}])
    assert business_minutes_between(cal, sh(2025, 9, 28, 0, 0), sh(2025, 9, 29, 0, 0)) == 60


def test_business_hours_follow_new_york_across_spring_forward() -> None:
    cal = BusinessCalendar.from_spec("America/New_York", {d: [{"start": "09:00", "end": "17:00"}] for d in WEEKDAYS})
    # Friday Mar 6 2026 16:00 EST + 2 hours = Monday Mar 9 10:00 EDT (14:00 UTC, not 15:00).
    due = add_business_minutes(cal, ny(2026, 3, 6, 16, 0), 120)
    assert due == ny(2026, 3, 9, 10, 0)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    # And back in November: Friday Oct 30 16:00 EDT + 2 hours = Monday Nov 2 10:00 EST.
    assert add_business_minutes(cal, ny(2026, 10, 30, 16, 0), 120) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_a_dst_day_has_the_real_length_of_its_wall_clock_hours() -> None:
    nights = {d: [{"start": "00:00", "end": "04:00"}] for d in ("sunday",)}
    cal = BusinessCalendar.from_spec("America/New_York", nights)
    # 00:00-04:00 lasts three real hours when the clocks spring forward, five when they fall back.
    assert business_minutes_between(cal, ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)) == 180
    assert business_minutes_between(cal, ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) == 300
    assert business_minutes_between(cal, ny(2026, 3, 15, 0, 0), ny(2026, 3, 16, 0, 0)) == 240


def test_around_the_clock_in_new_york_is_real_elapsed_time() -> None:
    always = BusinessCalendar.from_spec(
        "America/New_York",
        {d: [{"start": "00:00", "end": "24:00"}] for d in (*WEEKDAYS, "saturday", "sunday")},
    )
    start = ny(2026, 3, 7, 12, 0)
    # 24 real hours later; the wall clock says 13:00 because that Sunday has 23 hours.
    assert add_business_minutes(always, start, 24 * 60) == start.astimezone(UTC) + timedelta(hours=24)
    assert add_business_minutes(always, start, 24 * 60) == ny(2026, 3, 8, 13, 0)
    assert business_minutes_between(always, ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) == 25 * 60


def test_calendar_time_counts_every_minute() -> None:
    start = sh(2026, 3, 7, 10, 0)
    assert add_business_minutes(CALENDAR_TIME, start, 90) == start + timedelta(minutes=90)
    assert business_minutes_between(CALENDAR_TIME, start, start - timedelta(hours=1)) == -60


def test_between_is_negative_when_the_end_comes_first() -> None:
    cal = shanghai_office()
    assert business_minutes_between(cal, sh(2026, 3, 9, 14, 0), sh(2026, 3, 9, 11, 0)) == -90


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"])
def test_adding_then_measuring_gives_back_the_same_minutes(zone: str) -> None:
    """Across a year of starts, holidays and DST changes, between(start, add(start, m)) == m."""
    cal = BusinessCalendar.from_spec(
        zone,
        {**{d: WORKDAY for d in WEEKDAYS}, "sunday": [{"start": "01:00", "end": "03:30"}]},
        holidays=[{"start": "2026-10-01", "end": "2026-10-07"}],
        working_days=[{"date": "2026-10-10"}],
    )
    rng = random.Random(zone)
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = origin + timedelta(minutes=rng.randrange(365 * 24 * 60))
        minutes = rng.randrange(1, 6000)
        due = add_business_minutes(cal, start, minutes)
        assert due > start
        assert business_minutes_between(cal, start, due) == pytest.approx(minutes)
        assert business_minutes_between(cal, start, due - timedelta(seconds=1)) < minutes


def test_a_long_target_jumps_interval_by_interval() -> None:
    # A year of business time (about 250 working days of 7.5 hours) is found in one walk.
    cal = shanghai_office()
    start = sh(2026, 1, 5, 9, 0)
    due = add_business_minutes(cal, start, 250 * 450)
    assert sh(2026, 12, 1) < due < sh(2027, 2, 1)
    assert business_minutes_between(cal, start, due) == 250 * 450


def test_the_search_stops_at_the_horizon_with_a_clear_error() -> None:
    sparse = BusinessCalendar.from_spec("Asia/Shanghai", {"monday": [{"start": "09:00", "end": "09:01"}]})
    with pytest.raises(CalendarHorizonExceeded, match="does not fit"):
        add_business_minutes(sparse, sh(2026, 1, 1), 1000)
    closed = BusinessCalendar.from_spec("Asia/Shanghai", {})
    assert not closed.has_working_time()
    with pytest.raises(CalendarHorizonExceeded):
        add_business_minutes(closed, sh(2026, 1, 1), 1)
    with pytest.raises(CalendarHorizonExceeded, match="too long"):
        business_minutes_between(sparse, sh(2000, 1, 1), sh(2030, 1, 1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_business_minutes(shanghai_office(), datetime(2026, 3, 2, 9, 0), 10)


def test_calendars_work_on_a_machine_without_system_time_zone_data() -> None:
    """An empty ``PYTHONTZPATH`` hides /usr/share/zoneinfo: zones then come from the ``tzdata``
    package the plugin depends on, for the arithmetic and for the schema's list of zones."""
    script = (
        "import zoneinfo\n"
        "assert zoneinfo.TZPATH == ()\n"
        "from ccokit.plugins.ticketing.schemas.sla import _zones\n"
        "from ccokit.plugins.ticketing.services.sla.calendar import BusinessCalendar\n"
        "assert 'Asia/Shanghai' in _zones()\n"
        "cal = BusinessCalendar.from_spec('Asia/Shanghai', {'monday': [{'start': '09:00', 'end': '18:00'}]})\n"
        "print(cal.zone.key)\n"
    )
    env = {**os.environ, "PYTHONTZPATH": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Asia/Shanghai"
