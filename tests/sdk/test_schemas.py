"""``AttributeSchema`` dumps exactly what marshmallow's ``Schema`` dumps, by its shorter path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import marshmallow as ma

from ccokit_sdk.schemas import AttributeSchema, PublicIdField

WHEN = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def _fields() -> dict[str, Any]:
    """A field of every kind the path treats apart: plain, renamed, dotted, keyed, defaulted,
    computed, nested, and one whose get_value is its own."""

    class Upper(ma.fields.String):
        def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
            return str(getattr(obj, attr, "")).upper()

    class Child(AttributeSchema):
        name = ma.fields.String()

    return {
        "id": PublicIdField("tkt"),
        "subject": ma.fields.String(),
        "assignee_id": PublicIdField("mem", attribute="assignee_member_id", allow_none=True),
        "city": ma.fields.String(attribute="address.city"),
        "outer": ma.fields.Integer(data_key="outerKey"),
        "missing_with_default": ma.fields.String(dump_default="none"),
        "missing_plain": ma.fields.String(),
        "when": ma.fields.AwareDateTime(),
        "tags": ma.fields.List(ma.fields.String()),
        "computed": ma.fields.Function(lambda o: f"#{o['outer'] if isinstance(o, dict) else o.outer}"),
        "child": ma.fields.Nested(Child),
        "children": ma.fields.List(ma.fields.Nested(Child)),
        "shout": Upper(),
    }


@dataclass
class Thing:
    id: uuid.UUID
    subject: str
    assignee_member_id: uuid.UUID | None
    address: Any
    outer: int
    when: datetime
    tags: list[str]
    child: Any
    children: list[Any] = field(default_factory=list)
    shout: str = "hey"


def _things() -> list[Thing]:
    return [
        Thing(uuid.uuid4(), "快递没到", uuid.uuid4(), SimpleNamespace(city="杭州"), 3, WHEN, ["vip"],
              SimpleNamespace(name="a"), [SimpleNamespace(name="b")]),
        Thing(uuid.uuid4(), "refund", None, SimpleNamespace(city="Paris"), 0, WHEN, [],
              None, []),
    ]


def test_the_output_is_marshmallows_for_objects_and_mappings() -> None:
    fast = AttributeSchema.from_dict(_fields())()
    plain = ma.Schema.from_dict(_fields())()
    things = _things()
    assert fast.dump(things, many=True) == plain.dump(things, many=True)
    assert fast.dump(things[1]) == plain.dump(things[1])
    as_dicts = [dict(vars(t), address={"city": t.address.city}) for t in things]
    assert fast.dump(as_dicts, many=True) == plain.dump(as_dicts, many=True)
    dumped = fast.dump(things[0])
    assert dumped["assignee_id"].startswith("mem_")
    assert dumped["city"] == "杭州"
    assert (dumped["outerKey"], dumped["missing_with_default"]) == (3, "none")
    assert "missing_plain" not in dumped
    assert (dumped["computed"], dumped["shout"]) == ("#3", "HEY")
    assert dumped["when"] == "2026-11-23T08:30:00+00:00"
    assert dumped["children"] == [{"name": "b"}]


def test_a_schema_with_its_own_get_attribute_keeps_it() -> None:
    class Prefixed(AttributeSchema):
        subject = ma.fields.String()

        def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
            return "re: " + getattr(obj, attr)

    assert Prefixed().dump(SimpleNamespace(subject="hi")) == {"subject": "re: hi"}


def test_only_and_exclude_are_honoured() -> None:
    thing = _things()[0]
    fast = AttributeSchema.from_dict(_fields())
    assert set(fast(only=("subject", "outer")).dump(thing)) == {"subject", "outerKey"}
    assert "subject" not in fast(exclude=("subject",)).dump(thing)
