"""Transport schemas of calendars, SLA policies and a ticket's SLA clocks, and what they say to
people in English and Chinese.

A calendar is checked whole here (times of day, intervals that end before they start or overlap,
IANA time zones, holidays against extra working days), because none of that depends on the
workspace. A policy's conditions and targets are checked against the ticket vocabulary by the
SLA service, which reports in the same nested shape (``targets.2.metric``). The messages here
are in the caller's language; marshmallow's own are translated by the blueprint's parser.
"""

from __future__ import annotations

import functools
import itertools
import re
import zoneinfo
from datetime import date, timedelta
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.plugin import current
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "CALENDAR",
    "CLOCK",
    "POLICY",
    "WEEKDAYS",
    "CalendarPageSchema",
    "CalendarPatchSchema",
    "CalendarSchema",
    "Errors",
    "SlaBreachedEventSchema",
    "SlaPolicyPageSchema",
    "SlaPolicyPatchSchema",
    "SlaPolicySchema",
    "TicketSlaSchema",
    "TicketSlaSummarySchema",
    "request_locale",
    "sla_text",
]

CALENDAR, POLICY, CLOCK = "cal", "slap", "slac"
#: For the API documentation; the SLA service checks targets against the models' ``METRICS``.
METRIC_NAMES = ("first_reply", "next_reply", "resolution")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_INTERVALS = 10
MAX_DATES = 200
MAX_HOLIDAY_DAYS = 366
#: A target longer than a year of calendar time is a mistake, not a promise.
MAX_TARGET_MINUTES = 366 * 24 * 60

SLA_TEXT: dict[str, dict[str, str]] = {
    "time_of_day": {
        "en": "A time of day, HH:MM (00:00-24:00).", "zh": "应为 HH:MM 格式的时间（00:00-24:00）。"
    },
    "ends_before_start": {
        "en": "Ends at or before it starts ({start}).",
        "zh": "结束时间不晚于开始时间（{start}）。",
    },
    "overlaps": {"en": "Overlaps {other}.", "zh": "与 {other} 重叠。"},
    "unknown_zone": {
        "en": "Unknown time zone; use an IANA name such as Asia/Shanghai.",
        "zh": "未知的时区；请使用 IANA 时区名，如 Asia/Shanghai。",
    },
    "last_before_first": {"en": "The last day comes before the first.", "zh": "结束日期早于开始日期。"},
    "holiday_too_long": {"en": "A holiday lasts at most {days} days.", "zh": "一个假日最长 {days} 天。"},
    "also_holiday": {
        "en": "This date is also a holiday ({name}); keep one of them.",
        "zh": "该日期同时是假日（{name}）；请只保留其一。",
    },
    "listed_twice": {"en": "This date is listed twice.", "zh": "该日期重复列出。"},
    "no_working_time": {
        "en": "A calendar needs working hours on at least one weekday.",
        "zh": "日历至少需要一个工作日有工作时间。",
    },
    "name_taken": {"en": "Another calendar has this name.", "zh": "已有同名的日历。"},
    "key_taken": {"en": "Another policy has this key.", "zh": "已有使用该键的策略。"},
    "policy_key": {
        "en": "1-60 lowercase letters, digits, ., - or _, starting with a letter.",
        "zh": "1-60 个小写字母、数字、.、- 或 _，以字母开头。",
    },
    "unknown_calendar": {"en": "No calendar has this id.", "zh": "没有此编号的日历。"},
    "not_one_of": {"en": "Must be one of: {choices}.", "zh": "必须是以下之一：{choices}。"},
    "target_twice": {
        "en": "A target for {priority} {metric} is already given above.",
        "zh": "{priority} 的 {metric} 目标已在前面给出。",
    },
    "beyond_horizon": {
        "en": "{minutes} business minutes do not fit in two years of this calendar.",
        "zh": "{minutes} 个工作分钟超出了该日历两年内的工作时间。",
    },
    "calendar_in_use": {
        "en": "SLA policies use this calendar: {keys}. Give them another calendar first.",
        "zh": "以下 SLA 策略正在使用该日历：{keys}。请先为它们换用其他日历。",
    },
    "default_calendar": {
        "en": "The default calendar cannot be removed; make another calendar the default first.",
        "zh": "不能删除默认日历；请先将其他日历设为默认。",
    },
    "default_required": {
        "en": "A workspace keeps one default calendar; make another calendar the default instead.",
        "zh": "商家空间必须保留一个默认日历；请改为将其他日历设为默认。",
    },
    "too_many": {"en": "At most {limit}.", "zh": "最多 {limit} 个。"},
    "default_calendar_name": {"en": "Business hours", "zh": "工作时间"},
}

def request_locale() -> str:
    """``en`` or ``zh``: the current request's, English outside a request."""
    try:
        return current().locale
    except RuntimeError:
        return "en"


def sla_text(key: str, locale: str | None = None, /, **values: Any) -> str:
    """The message ``key`` in ``locale`` (the request's by default), filled in."""
    entry = SLA_TEXT[key]
    template = entry.get(locale or request_locale()) or entry["en"]
    return template.format(**values) if values else template


class Errors:
    """Field messages collected at nested paths, in marshmallow's shape (``{"a": {"0": [...]}}``)."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale or request_locale()
        self.messages: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], key: str, /, **values: Any) -> None:
        node = self.messages
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
        node.setdefault(str(path[-1]), []).append(sla_text(key, self.locale, **values))

    def __bool__(self) -> bool:
        return bool(self.messages)


# -- calendars -------------------------------------------------------------------------------

_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def minute_of_day(text: str) -> int:
    """``"13:30"`` as minutes after midnight (``"24:00"`` is 1440)."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _time_of_day(value: str) -> None:
    if not _CLOCK.match(value):
        raise ma.ValidationError(sla_text("time_of_day"))


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> None:
    if value not in _zones():
        raise ma.ValidationError(sla_text("unknown_zone"))


class CalendarIntervalSchema(ma.Schema):
    start = fields.String(required=True, validate=_time_of_day, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=_time_of_day, metadata={"example": "18:00"})


def _intervals_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.Nested(CalendarIntervalSchema), validate=validate.Length(max=MAX_INTERVALS), **kwargs
    )


class StoredDate(fields.Date):
    """A date that reads ``YYYY-MM-DD`` and writes it back whether it holds a date or, as
    calendars store their holidays in JSON, the text already."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class CalendarWeekSchema(ma.Schema):
    """Working intervals per weekday; a day left out (or empty) is closed."""

    monday = _intervals_field()
    tuesday = _intervals_field()
    wednesday = _intervals_field()
    thursday = _intervals_field()
    friday = _intervals_field()
    saturday = _intervals_field()
    sunday = _intervals_field()


class CalendarHolidaySchema(ma.Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "国庆节"})
    start = StoredDate(required=True, metadata={"example": "2026-10-01"})
    end = StoredDate(
        metadata={"description": "Last day off, inclusive (default: start).", "example": "2026-10-07"}
    )


class CalendarWorkingDaySchema(ma.Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "国庆调休"})
    date = StoredDate(required=True, metadata={"example": "2026-09-27"})
    hours = _intervals_field(
        metadata={"description": "Default: the hours of the first weekday that has any."}
    )


def check_intervals(items: list[dict[str, str]], path: tuple[str | int, ...], errors: Errors) -> None:
    """Each interval must end after it starts, and none may overlap another of the same day."""
    spans = []
    for index, item in enumerate(items):
        first, last = minute_of_day(item["start"]), minute_of_day(item["end"])
        if last <= first:
            errors.add((*path, index, "end"), "ends_before_start", start=item["start"])
        else:
            spans.append((first, last, index))
    spans.sort()
    for (_, last, before), (first, _, index) in itertools.pairwise(spans):
        if first < last:
            other = items[before]
            errors.add((*path, index, "start"), "overlaps", other=f"{other['start']}-{other['end']}")


class CalendarSchema(ma.Schema):
    """A business-hours calendar: its zone, working week, holidays and extra working days."""

    id = PublicIdField(CALENDAR, dump_only=True)
    name = fields.String(
        required=True, validate=validate.Length(1, 100), metadata={"example": "上海客服中心"}
    )
    time_zone = fields.String(
        required=True, validate=[validate.Length(1, 64), _time_zone],
        metadata={"description": "IANA time zone.", "example": "Asia/Shanghai"},
    )
    weekly_hours = fields.Nested(
        CalendarWeekSchema, required=True,
        metadata={"example": {d: [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}]
                              for d in WEEKDAYS[:5]}},
    )
    holidays = fields.List(
        fields.Nested(CalendarHolidaySchema), load_default=list, validate=validate.Length(max=MAX_DATES)
    )
    working_days = fields.List(
        fields.Nested(CalendarWorkingDaySchema), load_default=list, validate=validate.Length(max=MAX_DATES),
        metadata={"description": "Extra working days (调休), e.g. a Sunday worked to make up for a holiday."},
    )
    is_default = fields.Boolean(
        load_default=False,
        metadata={"description": "Used by policies without a calendar of their own; one per workspace."},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)

    @ma.validates_schema(skip_on_field_errors=True)
    def _check_calendar(self, data: dict[str, Any], **_: Any) -> None:
        errors = Errors()
        if "weekly_hours" in data:
            week = data["weekly_hours"]
            for day in WEEKDAYS:
                check_intervals(week.get(day) or [], ("weekly_hours", day), errors)
            if not any(week.get(day) for day in WEEKDAYS):
                errors.add(("weekly_hours",), "no_working_time")
        off: dict[date, str] = {}
        for index, holiday in enumerate(data.get("holidays") or []):
            first, last = holiday["start"], holiday.get("end") or holiday["start"]
            if last < first:
                errors.add(("holidays", index, "end"), "last_before_first")
            elif (last - first).days >= MAX_HOLIDAY_DAYS:
                errors.add(("holidays", index, "end"), "holiday_too_long", days=MAX_HOLIDAY_DAYS)
            else:
                for offset in range((last - first).days + 1):
                    off.setdefault(first + timedelta(days=offset), holiday.get("name") or str(first))
        seen: set[date] = set()
        for index, day in enumerate(data.get("working_days") or []):
            if day["date"] in seen:
                errors.add(("working_days", index, "date"), "listed_twice")
            elif day["date"] in off:
                errors.add(("working_days", index, "date"), "also_holiday", name=off[day["date"]])
            seen.add(day["date"])
            check_intervals(day.get("hours") or [], ("working_days", index, "hours"), errors)
        if errors:
            raise ma.ValidationError(errors.messages)


class CalendarPatchSchema(CalendarSchema):
    """A change to a calendar: any of its fields; the result is checked whole."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class CalendarPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CalendarSchema))
    next_cursor = fields.String(allow_none=True)


# -- policies --------------------------------------------------------------------------------

#: The shape of a key a member tier's ``sla_policy`` may name (the customers plugin's rule).
_POLICY_KEY = re.compile(r"^[a-z][a-z0-9_.\-]{0,59}$")


def _policy_key(value: str) -> None:
    if not _POLICY_KEY.match(value):
        raise ma.ValidationError(sla_text("policy_key"))


def _names(description: str) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=50),
        metadata={"description": description},
    )


class SlaConditionsSchema(ma.Schema):
    """Which tickets a policy covers: each list allows any of its values; absent or empty is any."""

    priority = _names("Ticket priorities: low, normal, high, urgent.")
    tier = _names("Member tier keys of the ticket's customer (customers plugin).")
    channel = _names("Channels the ticket came through.")
    category = _names("Ticket categories.")


class SlaTargetSchema(ma.Schema):
    """A promise for tickets of one priority: reply or resolve within ``minutes``."""

    priority = fields.String(required=True, metadata={"example": "urgent"})
    metric = fields.String(required=True, metadata={"example": "first_reply", "enum": list(METRIC_NAMES)})
    minutes = fields.Integer(
        required=True, validate=validate.Range(1, MAX_TARGET_MINUTES), metadata={"example": 30}
    )
    business_hours = fields.Boolean(
        load_default=True,
        metadata={"description": "Count only the calendar's working time (true) or every minute (false)."},
    )


class SlaPolicySchema(ma.Schema):
    """An SLA policy: the tickets it covers and the targets it sets for them."""

    id = PublicIdField(POLICY, dump_only=True)
    key = fields.String(
        required=True, validate=_policy_key,
        metadata={"description": "What a member tier's sla_policy names.", "example": "vip"},
    )
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    position = fields.Integer(
        validate=validate.Range(0, 100_000),
        metadata={"description": "Match order, lowest first; new policies go last."},
    )
    active = fields.Boolean(load_default=True)
    calendar_id = PublicIdField(
        CALENDAR, allow_none=True, load_default=None,
        metadata={"description": "Business hours of this policy's targets (default: the default calendar)."},
    )
    conditions = fields.Nested(SlaConditionsSchema, load_default=dict)
    targets = fields.List(fields.Nested(SlaTargetSchema), required=True, validate=validate.Length(1, 12))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class SlaPolicyPatchSchema(SlaPolicySchema):
    """A change to a policy: any of its fields; the result is checked whole."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class SlaPolicyPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SlaPolicySchema))
    next_cursor = fields.String(allow_none=True)


class SlaPolicyQuerySchema(CursorArgsSchema):
    active = fields.Boolean()


# -- clocks ----------------------------------------------------------------------------------


class SlaClockSchema(ma.Schema):
    """How one promise on a ticket stands right now."""

    id = PublicIdField(CLOCK)
    metric = fields.String(metadata={"enum": list(METRIC_NAMES)})
    policy_id = PublicIdField(POLICY, allow_none=True)
    target_minutes = fields.Integer()
    business_hours = fields.Boolean()
    started_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "Empty while paused."})
    status = fields.String(metadata={"enum": ["running", "paused", "fulfilled", "breached"]})
    paused = fields.Boolean()
    fulfilled = fields.Boolean()
    fulfilled_at = fields.AwareDateTime(allow_none=True)
    breached = fields.Boolean()
    breached_at = fields.AwareDateTime(allow_none=True)
    remaining_minutes = fields.Integer(
        allow_none=True, metadata={"description": "Minutes (in the target's measure) left; none once over."},
    )
    overdue_minutes = fields.Integer(
        allow_none=True, metadata={"description": "Minutes (in the target's measure) past due; none before."},
    )


class TicketSlaSchema(ma.Schema):
    """A ticket's SLA: the policy that applies and every clock it started, oldest first."""

    ticket_id = fields.String(metadata={"description": "Public id, tkt_…"})
    policy_id = PublicIdField(POLICY, allow_none=True)
    clocks = fields.List(fields.Nested(SlaClockSchema))


class SlaSummaryClockSchema(ma.Schema):
    metric = fields.String(metadata={"enum": list(METRIC_NAMES)})
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "Empty while paused."})
    paused = fields.Boolean()
    breached = fields.Boolean()


class TicketSlaSummarySchema(ma.Schema):
    """A ticket's unfinished SLA clocks in brief, for nesting in the ticket itself (one query:
    ``services.sla.clocks.sla_summary``); ``GET /tickets/{id}/sla`` has the whole story."""

    next_due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "The soonest due time."})
    clocks = fields.List(fields.Nested(SlaSummaryClockSchema))


class SlaBreachedEventSchema(ma.Schema):
    """Payload of ``sla.breached``."""

    ticket_id = fields.String(required=True, metadata={"description": "Public id, tkt_…"})
    ticket_number = fields.Integer(required=True, metadata={"description": "The workspace's ticket number."})
    priority = fields.String(required=True, metadata={"description": "The ticket's priority at the breach."})
    clock_id = fields.String(required=True, metadata={"description": "Public id, slac_…"})
    metric = fields.String(required=True, metadata={"enum": list(METRIC_NAMES)})
    policy_id = fields.String(allow_none=True, metadata={"description": "Public id, slap_…"})
    target_minutes = fields.Integer(required=True)
    business_hours = fields.Boolean(required=True)
    due_at = fields.String(required=True, metadata={"description": "ISO 8601, when the target fell due."})
    breached_at = fields.String(required=True, metadata={"description": "ISO 8601, when ccokit noticed."})

