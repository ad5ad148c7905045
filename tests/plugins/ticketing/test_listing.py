"""Ticket lists: every filter, every sort in both directions, and keyset cursors that neither
skip nor repeat a ticket, on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ccokit_sdk.ids import encode_public_id
from tests.plugins.ticketing.conftest import API, Workspace, insert_tickets

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
MEMBER = uuid.UUID(int=7)
CUSTOMER = uuid.UUID(int=9)


def _rows() -> list[dict[str, Any]]:
    """Twelve tickets with ties on every sort key, empty due dates and assorted fields."""
    rows = []
    for n in range(12):
        rows.append({
            "subject": f"t{n}",
            "created_at": T0 + timedelta(hours=n // 3),           # ties in threes
            "updated_at": T0 + timedelta(hours=(11 - n) // 2),    # ties in twos
            "priority": ("low", "normal", "high", "urgent")[n % 4],
            "due_at": None if n % 3 == 0 else T0 + timedelta(days=n % 5),
            "status": ("new", "open", "pending", "solved")[n % 4],
            "category": "logistics" if n < 6 else "after_sales",
            "channel": "chat" if n % 2 else "email",
            "assignee_member_id": MEMBER if n % 3 == 1 else None,
            "customer_id": CUSTOMER if n in (2, 5) else None,
            "tags": ["vip", "refund"] if n in (1, 4) else (["vip"] if n == 7 else []),
        })
    return rows


@pytest.fixture
def listed(workspace: Workspace) -> dict[str, dict[str, Any]]:
    insert_tickets(workspace.app, workspace.tenant, _rows())
    return {t["subject"]: t for t in _all(workspace, "sort=number", limit=100)}


def _all(workspace: Workspace, query: str, limit: int = 5) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        url = f"{API}/tickets?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        resp = workspace.client.get(url, headers=workspace.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        page = resp.get_json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the list never ended")


def _key(ticket: dict[str, Any], sort: str) -> Any:
    return {
        "created_at": lambda t: datetime.fromisoformat(t["created_at"]),
        "updated_at": lambda t: datetime.fromisoformat(t["updated_at"]),
        "priority": lambda t: ("low", "normal", "high", "urgent").index(t["priority"]),
        "number": lambda t: t["number"],
        "due_at": lambda t: datetime.fromisoformat(t["due_at"]) if t["due_at"] else None,
    }[sort](ticket)


def _expected(tickets: list[dict[str, Any]], sort: str) -> list[str]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    have = [t for t in tickets if _key(t, key) is not None]
    empty = sorted((t for t in tickets if _key(t, key) is None), key=lambda t: t["id"], reverse=descending)
    ordered = sorted(have, key=lambda t: (_key(t, key), t["id"]), reverse=descending)
    return [t["subject"] for t in (empty + ordered if descending else ordered + empty)]


@pytest.mark.parametrize("sort", [
    "created_at", "-created_at", "updated_at", "-updated_at", "priority", "-priority",
    "due_at", "-due_at", "number", "-number",
])
def test_every_sort_pages_through_every_ticket_once_in_order(
    workspace: Workspace, listed: dict[str, dict[str, Any]], sort: str
) -> None:
    got = [t["subject"] for t in _all(workspace, f"sort={sort}", limit=5)]
    assert got == _expected(list(listed.values()), sort)
    assert sorted(got) == sorted(listed)


def _subjects(workspace: Workspace, query: str) -> set[str]:
    return {t["subject"] for t in _all(workspace, query, limit=100)}


def test_filters_on_every_standard_field(workspace: Workspace, listed: dict[str, dict[str, Any]]) -> None:
    rows = {r["subject"]: r for r in _rows()}

    def where(test: Any) -> set[str]:
        return {s for s, r in rows.items() if test(r)}

    member, customer = encode_public_id("mem", MEMBER), encode_public_id("cus", CUSTOMER)
    cases = {
        "status=open": where(lambda r: r["status"] == "open"),
        "status=open&status=solved": where(lambda r: r["status"] in ("open", "solved")),
        "priority=urgent": where(lambda r: r["priority"] == "urgent"),
        "category=after_sales&channel=chat": where(lambda r: r["category"] == "after_sales" and r["channel"] == "chat"),
        f"assignee_id={member}": where(lambda r: r["assignee_member_id"] == MEMBER),
        "unassigned=true": where(lambda r: r["assignee_member_id"] is None),
        f"customer_id={customer}": {"t2", "t5"},
        "tag=vip": {"t1", "t4", "t7"},
        "tag=vip&tag=refund": {"t1", "t4"},
        "created_after=2026-11-11T02:00:00Z": where(lambda r: r["created_at"] >= T0 + timedelta(hours=2)),
        "created_before=2026-11-11T01:00:00Z": where(lambda r: r["created_at"] < T0 + timedelta(hours=1)),
        "updated_after=2026-11-11T04:00:00Z&updated_before=2026-11-11T05:00:00Z":
            where(lambda r: T0 + timedelta(hours=4) <= r["updated_at"] < T0 + timedelta(hours=5)),
        "due_before=2026-11-13T00:00:00Z": where(lambda r: r["due_at"] is not None and r["due_at"] < T0 + timedelta(days=2)),
    }
    for query, expected in cases.items():
        assert expected, query  # every case selects something
        assert _subjects(workspace, query) == expected, query
    group = workspace.client.post(f"{API}/groups", json={"name": "VIP desk"}, headers=workspace.auth).get_json()
    workspace.client.patch(f"{API}/tickets/{listed['t3']['id']}", json={"group_id": group["id"]}, headers=workspace.auth)
    assert _subjects(workspace, f"group_id={group['id']}") == {"t3"}


def test_filtered_sorted_pages_follow_the_sort(workspace: Workspace, listed: dict[str, dict[str, Any]]) -> None:
    wanted = [t for t in listed.values() if t["status"] in ("new", "open")]
    got = [t["subject"] for t in _all(workspace, "status=new&status=open&sort=-updated_at", limit=2)]
    assert got == _expected(wanted, "-updated_at")


def test_cursors_are_checked(workspace: Workspace, listed: dict[str, dict[str, Any]]) -> None:
    first = workspace.client.get(f"{API}/tickets?sort=priority&limit=2", headers=workspace.auth).get_json()
    other = workspace.client.get(
        f"{API}/tickets?sort=-number&limit=2&cursor={first['next_cursor']}", headers=workspace.auth
    )
    assert other.status_code == 422
    assert other.get_json()["errors"] == {"cursor": ["This cursor belongs to another sort."]}
    for junk in ("abc", "eyJ4IjoxfQ", "WyJudW1iZXIiLCJ0IiwibmV2ZXIiLCJ4Il0"):
        resp = workspace.client.get(f"{API}/tickets?cursor={junk}", headers={**workspace.auth, "Accept-Language": "zh"})
        assert resp.status_code == 422, junk
        assert resp.get_json()["errors"] == {"cursor": ["不是有效的游标。"]}


def test_bad_filters_are_422(workspace: Workspace) -> None:
    resp = workspace.client.get(f"{API}/tickets?status=lost&sort=size&limit=500&assignee_id=x", headers=workspace.auth)
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"status", "sort", "limit", "assignee_id"}
