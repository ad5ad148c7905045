"""The SDK's helpers for plugin code: refusals in every language, field errors in Chinese, and
finding other plugins' services."""

from __future__ import annotations

import re
import uuid

import marshmallow as ma
import pytest

from ccokit_sdk.blueprints import LocalizedParser, translate_messages
from ccokit_sdk.other_plugins import OtherPlugins
from ccokit_sdk.refusals import Catalogue, Invalid, Message
from ccokit_sdk.schemas import PublicIdField


def test_a_catalogue_renders_nested_errors_and_falls_back_to_english():
    catalogue = Catalogue({
        "unknown": {"en": "No queue {id}.", "zh": "没有队列 {id}。"},
        "english_only": {"en": "Only English."},
    })
    errors = Invalid({"queue_id": [Message("unknown", {"id": "que_1"})],
                      "overflow": {"0": [Message("english_only")]}}).errors
    assert catalogue.render(errors, "zh") == {"queue_id": ["没有队列 que_1。"], "overflow": {"0": ["Only English."]}}
    assert catalogue.render(errors, "en")["queue_id"] == ["No queue que_1."]
    with pytest.raises(ValueError, match="without English"):
        Catalogue({"x": {"zh": "只有中文"}})


def test_standard_and_plugin_messages_are_translated():
    messages = {"name": ["Missing data for required field."], "strategy": ["Must be one of: a, b."],
                "skills": {"refund": {"value": ["Must be greater than or equal to 1 and less than or equal to 5."]}}}
    assert translate_messages(messages, "zh") == {
        "name": ["缺少必填字段。"], "strategy": ["必须是以下之一：a, b。"],
        "skills": {"refund": {"value": ["必须大于等于 1 且小于等于 5。"]}},
    }
    assert translate_messages(messages, "en") is messages
    parser = LocalizedParser({"Unknown skill.": "未知技能。", "Unknown field.": "没有这个字段。"},
                             [(re.compile(r"^Seat (\d+)\.$"), "座席 {0}。")])
    assert parser.translate(["Unknown skill.", "Unknown field.", "Seat 3.", "Not a valid string."], "zh") == [
        "未知技能。", "没有这个字段。", "座席 3。", "不是有效的字符串。"]


def test_other_plugins_are_found_by_name_or_are_none():
    peers = OtherPlugins()
    assert peers.get("members.get") is None  # before setup
    offered = {"members.get": len}

    def lookup(name: str) -> object:
        if name not in offered:
            raise LookupError(name)
        return offered[name]

    peers.use(lookup)
    assert peers.get("members.get") is len
    assert peers.get("customers.tier") is None


def test_a_public_id_field_shows_uuid_strings_kept_in_json_too():
    value = uuid.UUID("0190d3a4-0000-7000-8000-000000000001")

    class Schema(ma.Schema):
        ids = ma.fields.List(PublicIdField("rgrp"))

    dumped = Schema().dump({"ids": [value, str(value)]})["ids"]
    assert dumped[0] == dumped[1]
    assert dumped[0].startswith("rgrp_")
    assert Schema().load({"ids": dumped})["ids"] == [value, value]
