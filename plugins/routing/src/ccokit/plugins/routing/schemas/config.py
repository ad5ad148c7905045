"""Transport schemas of routing's configuration: groups, queues (with their policy and business
hours) and agents (skills, languages, seats, groups)."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.routing.engine.model import CHANNELS, STRATEGIES
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import AttributeSchema, PublicIdField

__all__ = [
    "AGENT_AUDIT",
    "GROUP_AUDIT",
    "MESSAGES_ZH",
    "QUEUE_AUDIT",
    "RoutingAgentPageSchema",
    "RoutingAgentPatchSchema",
    "RoutingAgentSchema",
    "RoutingGroupPageSchema",
    "RoutingGroupPatchSchema",
    "RoutingGroupSchema",
    "RoutingHoursSchema",
    "RoutingListArgsSchema",
    "RoutingQueueListArgsSchema",
    "RoutingQueuePageSchema",
    "RoutingQueuePatchSchema",
    "RoutingQueueSchema",
]

SKILL = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")

#: This module's own messages in Chinese (the SDK's blueprint translates the standard ones).
MESSAGES_ZH = {
    "A skill: 1-40 lowercase letters, digits or _, starting with a letter.":
        "技能名：1-40 个小写字母、数字或 _，以字母开头。",
    "A language code such as zh, en or zh-Hant.": "语言代码，如 zh、en 或 zh-Hant。",
    "Not a channel of routing.": "不是排队分流支持的渠道。",
    "An unknown time zone.": "未知的时区。",
    "A time of day as HH:MM.": "时间须为 HH:MM。",
    "Each period must end after it starts.": "每个时段的结束时间必须晚于开始时间。",
    "Overflow stages must wait longer one after the other.": "溢出阶段的等待时间必须逐级递增。",
    "At most 20 skills.": "最多 20 项技能。",
    "A date as YYYY-MM-DD.": "日期须为 YYYY-MM-DD。",
}


class Skills(fields.Dict):
    """``{"refund": 2}``: skill names and levels 1-5 (at most 20)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(validate=validate.Regexp(
                SKILL, error="A skill: 1-40 lowercase letters, digits or _, starting with a letter.")),
            values=fields.Integer(strict=True, validate=validate.Range(1, 5)),
            validate=validate.Length(max=20, error="At most 20 skills."),
            **kwargs,
        )


def _channel_key() -> fields.String:
    return fields.String(validate=validate.OneOf(CHANNELS, error="Not a channel of routing."))


#: The columns the audit log records of each kind of configuration.
GROUP_AUDIT = ("name", "supervisors")
QUEUE_AUDIT = (
    "name", "groups", "skills", "strategy", "aging_per_min", "channel_weights", "value_weight",
    "overflow", "sticky_s", "max_length", "max_wait_s", "ring_s", "wrapup_s", "auto_accept",
    "service_level_s", "hours",
)
AGENT_AUDIT = ("skills", "languages", "capacity", "groups")


class RoutingListArgsSchema(CursorArgsSchema):
    pass


class RoutingQueueListArgsSchema(CursorArgsSchema):
    archived = fields.Boolean(load_default=False)


class RoutingGroupSchema(AttributeSchema):
    id = PublicIdField("rgrp", dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    supervisor_ids = fields.List(PublicIdField("mem"), attribute="supervisors", load_default=list,
                                 validate=validate.Length(max=50))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class RoutingGroupPatchSchema(ma.Schema):
    name = fields.String(validate=validate.Length(1, 100))
    supervisor_ids = fields.List(PublicIdField("mem"), attribute="supervisors",
                                 validate=validate.Length(max=50))


class RoutingGroupPageSchema(ma.Schema):
    items = fields.List(fields.Nested(RoutingGroupSchema))
    next_cursor = fields.String(allow_none=True)


class _Period(fields.List):
    """``["09:00", "21:00"]``: one opening period of a day."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.Regexp(_TIME, error="A time of day as HH:MM.")),
                         validate=validate.Length(2, 2), **kwargs)


class RoutingHoursSchema(ma.Schema):
    """Business hours: open periods by weekday in a time zone, and whole dates closed."""

    timezone = fields.String(required=True, validate=validate.Length(1, 64))
    weekly = fields.Dict(keys=fields.String(validate=validate.OneOf(DAYS)),
                         values=fields.List(_Period(), validate=validate.Length(max=6)), load_default=dict)
    closed_dates = fields.List(fields.String(), load_default=list, validate=validate.Length(max=400))

    @ma.validates("timezone")
    def _zone(self, value: str, **_: Any) -> None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ma.ValidationError("An unknown time zone.") from exc

    @ma.validates("weekly")
    def _periods(self, value: dict[str, list[list[str]]], **_: Any) -> None:
        if any(start >= end for periods in value.values() for start, end in periods):
            raise ma.ValidationError("Each period must end after it starts.")

    @ma.validates("closed_dates")
    def _dates(self, value: list[str], **_: Any) -> None:
        for text in value:
            try:
                date.fromisoformat(text)
            except ValueError as exc:
                raise ma.ValidationError("A date as YYYY-MM-DD.") from exc


class RoutingOverflowSchema(ma.Schema):
    after_s = fields.Integer(required=True, strict=True, validate=validate.Range(1, 86400))
    #: Groups that may take the conversation from then on; null: any agent of the workspace.
    group_ids = fields.List(PublicIdField("rgrp"), attribute="groups", allow_none=True, load_default=None,
                            validate=validate.Length(max=20))
    keep_skills = fields.Boolean(load_default=True)


class _QueueFields(ma.Schema):
    """Every field of a queue's policy; required and default only on creation."""

    name = fields.String(validate=validate.Length(1, 100))
    group_ids = fields.List(PublicIdField("rgrp"), attribute="groups", validate=validate.Length(max=20))
    skills = Skills()
    strategy = fields.String(validate=validate.OneOf(STRATEGIES))
    aging_per_min = fields.Float(validate=validate.Range(0, 1000))
    channel_weights = fields.Dict(keys=_channel_key(),
                                  values=fields.Integer(strict=True, validate=validate.Range(0, 100)))
    value_weight = fields.Float(validate=validate.Range(0, 1000))
    overflow = fields.List(fields.Nested(RoutingOverflowSchema), validate=validate.Length(max=5))
    sticky_s = fields.Integer(strict=True, validate=validate.Range(0, 30 * 86400))
    max_length = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100_000))
    max_wait_s = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 86400))
    ring_s = fields.Integer(strict=True, validate=validate.Range(5, 300))
    wrapup_s = fields.Integer(strict=True, validate=validate.Range(0, 3600))
    auto_accept = fields.Boolean()
    service_level_s = fields.Integer(strict=True, validate=validate.Range(1, 3600))
    hours = fields.Nested(RoutingHoursSchema, allow_none=True)

    @ma.validates_schema(skip_on_field_errors=True)
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        waits = [stage["after_s"] for stage in data.get("overflow") or ()]
        if any(b <= a for a, b in itertools.pairwise(waits)):
            raise ma.ValidationError("Overflow stages must wait longer one after the other.", "overflow")


class RoutingQueuePatchSchema(_QueueFields):
    pass


class RoutingQueueSchema(_QueueFields, AttributeSchema):
    id = PublicIdField("que", dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    group_ids = fields.List(PublicIdField("rgrp"), attribute="groups", load_default=list,
                            validate=validate.Length(max=20))
    skills = Skills(load_default=dict)
    strategy = fields.String(load_default="longest_idle", validate=validate.OneOf(STRATEGIES))
    aging_per_min = fields.Float(load_default=1.0, validate=validate.Range(0, 1000))
    channel_weights = fields.Dict(keys=_channel_key(), load_default=dict,
                                  values=fields.Integer(strict=True, validate=validate.Range(0, 100)))
    value_weight = fields.Float(load_default=0.0, validate=validate.Range(0, 1000))
    overflow = fields.List(fields.Nested(RoutingOverflowSchema), load_default=list,
                           validate=validate.Length(max=5))
    sticky_s = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 30 * 86400))
    max_length = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(1, 100_000))
    max_wait_s = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(1, 86400))
    ring_s = fields.Integer(strict=True, load_default=20, validate=validate.Range(5, 300))
    wrapup_s = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 3600))
    auto_accept = fields.Boolean(load_default=False)
    service_level_s = fields.Integer(strict=True, load_default=20, validate=validate.Range(1, 3600))
    hours = fields.Nested(RoutingHoursSchema, allow_none=True, load_default=None)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class RoutingQueuePageSchema(ma.Schema):
    items = fields.List(fields.Nested(RoutingQueueSchema))
    next_cursor = fields.String(allow_none=True)


class _AgentFields(ma.Schema):
    skills = Skills()
    languages = fields.List(fields.String(validate=validate.Regexp(
        LANGUAGE, error="A language code such as zh, en or zh-Hant.")), validate=validate.Length(max=10))
    capacity = fields.Dict(keys=_channel_key(),
                           values=fields.Integer(strict=True, validate=validate.Range(0, 100)))
    group_ids = fields.List(PublicIdField("rgrp"), attribute="groups", validate=validate.Length(max=20))


class RoutingAgentPatchSchema(_AgentFields):
    pass


class RoutingAgentSchema(_AgentFields, AttributeSchema):
    """An agent is a member of the workspace who takes conversations; ``id`` is the member's."""

    id = PublicIdField("mem", attribute="member_id", required=True)
    skills = Skills(load_default=dict)
    languages = fields.List(fields.String(validate=validate.Regexp(
        LANGUAGE, error="A language code such as zh, en or zh-Hant.")), load_default=list,
        validate=validate.Length(max=10))
    capacity = fields.Dict(keys=_channel_key(), load_default=lambda: {"chat": 5},
                           values=fields.Integer(strict=True, validate=validate.Range(0, 100)))
    group_ids = fields.List(PublicIdField("rgrp"), attribute="groups", load_default=list,
                            validate=validate.Length(max=20))
    presence = fields.String(dump_only=True)
    presence_at = fields.AwareDateTime(dump_only=True)
    presence_reason = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class RoutingAgentPageSchema(ma.Schema):
    items = fields.List(fields.Nested(RoutingAgentSchema))
    next_cursor = fields.String(allow_none=True)
