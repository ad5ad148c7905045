"""Results are typed dataclasses that survive a newer (or older) server."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from ccokit_sdk.types import AuditEvent, Event, HandlerState, Member


def test_known_members_are_typed_and_unknown_ones_kept() -> None:
    data = {
        "id": "mem_1", "email": "a@b.example", "display_name": "A", "role": "agent", "status": "active",
        "locale": "en", "created_at": "2030-01-02T03:04:05.000006+00:00", "last_login_at": None,
        "team": "billing", "skills": ["refunds"],
    }
    member = Member.from_api(data)
    assert member.created_at == datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert member.last_login_at is None
    assert member.team == "billing"
    assert member.skills == ["refunds"]
    assert member.extra == {"team": "billing", "skills": ["refunds"]}
    assert member.to_dict() == data
    with pytest.raises(AttributeError, match="no attribute 'nickname'"):
        _ = member.nickname
    with pytest.raises(dataclasses.FrozenInstanceError):
        member.role = "owner"  # type: ignore[misc]


def test_members_an_older_server_does_not_send_are_none() -> None:
    member = Member.from_api({"id": "mem_1", "email": "a@b.example"})
    assert member.role is None
    assert member.created_at is None
    assert member.extra == {}


def test_nested_objects_and_lists_are_built() -> None:
    event = Event.from_api({
        "id": "evt_1", "type": "quick_reply.created", "payload": {"id": "qr_1"},
        "occurred_at": "2030-01-01T00:00:00+00:00", "completed_at": None,
        "handlers": [{"handler": "h", "status": "parked", "attempts": 8, "last_error": "boom",
                      "next_attempt_at": None, "priority": 1}],
    })
    (handler,) = event.handlers or []
    assert isinstance(handler, HandlerState)
    assert handler.status == "parked"
    assert handler.priority == 1
    audit = AuditEvent.from_api({
        "id": "aud_1", "occurred_at": "2030-01-01T00:00:00+00:00", "action": "member.created",
        "actor": {"type": "member", "id": "mem_1", "client_id": "cli_1"},
        "target": {"type": "member", "id": "mem_2"}, "before": None, "after": {"role": "agent"},
    })
    assert audit.actor.id == "mem_1"
    assert audit.target.id == "mem_2"
    assert audit.after == {"role": "agent"}


def test_equality_ignores_unknown_members_and_a_bad_time_stays_text() -> None:
    a = Member.from_api({"id": "mem_1", "created_at": "yesterday"})
    b = Member.from_api({"id": "mem_1", "created_at": "yesterday", "new": 1})
    assert a == b
    assert a.created_at == "yesterday"
