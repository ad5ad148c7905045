"""``client.tickets`` against the real app (PostgreSQL) in-process: the calls, paging, errors."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from ccokit_sdk import AsyncClient, Client, NotFound, PreconditionFailed, ValidationError
from ccokit_sdk.testing import AsyncWSGITransport
from ccokit_sdk.types import Comment, Requester, Ticket, TicketChange, TicketSearchHit
from tests.conftest import PASSWORD, TenantInfo
from tests.plugins.ticketing.conftest import insert_tickets
from tests.sdk.conftest import FAST_RETRIES, Recorder

TICKETS = "/api/v1/ticketing/tickets"


def test_create_get_with_comments_update_and_history(sdk: Client) -> None:
    due = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    ticket = sdk.tickets.create(
        subject="订单 #8812 还没发货", description="买家催单", priority="high", category="logistics",
        tags=["vip"], requester={"name": "王小明", "email": "wang@buyer.example"}, due_at=due,
    )
    assert isinstance(ticket, Ticket)
    assert ticket.id.startswith("tkt_")
    assert (ticket.number, ticket.status, ticket.priority, ticket.version) == (1, "new", "high", 1)
    assert isinstance(ticket.requester, Requester)
    assert ticket.requester.email == "wang@buyer.example"
    assert ticket.due_at == due
    assert ticket.comments is None  # comments come with get, not with create

    reply = sdk.tickets.comments.add(ticket.id, body="We are checking with the courier.")
    note = sdk.tickets.comments.add(ticket.id, body="Courier says Tuesday", public=False)
    assert isinstance(reply, Comment)
    assert (reply.public, note.public, reply.ticket_id) == (True, False, ticket.id)
    assert reply.author_kind == "agent"

    fetched = sdk.tickets.get(ticket.id)
    assert fetched.comments is not None
    assert [c.id for c in fetched.comments] == [reply.id, note.id]
    assert fetched.comments_next_cursor is None
    first_only = sdk.tickets.get(ticket.id, comments_limit=1)
    assert [c.id for c in first_only.comments or []] == [reply.id]
    assert first_only.comments_next_cursor is not None
    assert [c.body for c in sdk.tickets.comments.list(ticket.id, limit=1)] == [reply.body, note.body]

    agent = sdk.members.create(email="agent@shop.example", display_name="Agent", role="agent", password=PASSWORD)
    assigned = sdk.tickets.update(ticket.id, assignee_id=agent.id, add_tags=["催单"], if_version=fetched.version)
    assert assigned.assignee_id == agent.id
    assert assigned.tags == sorted(["vip", "催单"])
    assert assigned.subject == ticket.subject  # what was not given stays
    assert assigned.version > fetched.version
    unassigned = sdk.tickets.update(ticket.id, clear=["assignee_id", "due_at"])
    assert (unassigned.assignee_id, unassigned.due_at) == (None, None)

    changes = list(sdk.tickets.history(ticket.id, limit=2))
    assert all(isinstance(c, TicketChange) for c in changes)
    assignee_changes = [(c.old, c.new) for c in changes if c.field == "assignee_id"]
    assert assignee_changes == [(None, agent.id), (agent.id, None)]
    assert {c.via for c in changes} == {"api"}


def test_a_stale_version_is_refused_not_overwritten(sdk: Client) -> None:
    ticket = sdk.tickets.create(subject="Refund please")
    sdk.tickets.update(ticket.id, priority="urgent")  # someone else's change
    with pytest.raises(PreconditionFailed) as stale:
        sdk.tickets.update(ticket.id, priority="low", if_version=ticket.version)
    assert stale.value.status == 412
    assert sdk.tickets.get(ticket.id).priority == "urgent"


def test_lists_page_lazily_by_cursor(sdk: Client, app: Flask, tenant: TenantInfo, recorder: Recorder) -> None:
    insert_tickets(app, tenant, [{"subject": f"Parcel {n}", "status": "open"} for n in range(7)])
    insert_tickets(app, tenant, [{"subject": "Solved one", "status": "solved"}])
    pages = recorder.requests("GET", TICKETS)

    pager = sdk.tickets.list(status="open", sort="number", limit=3)
    assert len(pages) == 0  # nothing is fetched before iterating
    first_four = list(itertools.islice(pager, 4))
    assert [t.subject for t in first_four] == [f"Parcel {n}" for n in range(4)]
    assert len(recorder.requests("GET", TICKETS)) == 2  # the third page was not needed

    every = list(sdk.tickets.list(status="open", sort="number", limit=3))
    assert [t.number for t in every] == list(range(1, 8))
    assert len(recorder.requests("GET", TICKETS)) == 2 + 3
    assert [len(p.items) for p in sdk.tickets.list(status=["open", "solved"], limit=3).pages()] == [3, 3, 2]
    newest_first = [t.number for t in sdk.tickets.list(limit=100)]
    assert newest_first == sorted(newest_first, reverse=True)


def test_list_filters(sdk: Client) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    urgent = sdk.tickets.create(subject="Broken item", priority="urgent", tags=["damaged"], due_at=soon)
    normal = sdk.tickets.create(subject="Question", channel="email")
    agent = sdk.members.create(email="a@shop.example", display_name="A", role="agent", password=PASSWORD)
    sdk.tickets.update(normal.id, assignee_id=agent.id)

    assert [t.id for t in sdk.tickets.list(priority="urgent")] == [urgent.id]
    assert [t.id for t in sdk.tickets.list(tag="damaged")] == [urgent.id]
    assert [t.id for t in sdk.tickets.list(channel=["email", "phone"])] == [normal.id]
    assert [t.id for t in sdk.tickets.list(assignee_id=agent.id)] == [normal.id]
    assert [t.id for t in sdk.tickets.list(unassigned=True)] == [urgent.id]
    assert [t.id for t in sdk.tickets.list(due_before=soon + timedelta(minutes=1))] == [urgent.id]
    assert [t.id for t in sdk.tickets.list(sort="-priority")] == [urgent.id, normal.id]
    assert list(sdk.tickets.list(created_after=datetime.now(UTC) + timedelta(days=1))) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        sdk.tickets.list(created_before=datetime.now())


def test_invalid_input_is_a_validation_error_per_field(sdk: Client) -> None:
    with pytest.raises(ValidationError) as invalid:
        sdk.tickets.create(subject="", priority="asap", tags=["two words"])
    assert invalid.value.status == 422
    assert set(invalid.value.errors) == {"subject", "priority", "tags"}
    assert invalid.value.errors["priority"] == ["Must be one of: low, normal, high, urgent."]
    with pytest.raises(ValidationError) as bad_sort:
        sdk.tickets.list(sort="mood").first_page()
    assert "sort" in bad_sort.value.errors
    ticket = sdk.tickets.create(subject="ok")
    with pytest.raises(ValidationError) as bad_status:
        sdk.tickets.update(ticket.id, status="lost")
    assert "status" in bad_status.value.errors


def test_unknown_tickets_are_not_found(sdk: Client) -> None:
    with pytest.raises(NotFound):
        sdk.tickets.get("tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B")
    with pytest.raises(NotFound):
        sdk.tickets.comments.add("tkt_01JD3M6ZK7Q3XG5W2V8N4T9R1B", body="hello")


def test_search_and_merge(sdk: Client) -> None:
    parcel = sdk.tickets.create(subject="My parcel is late", description="Order AB-1234 has not arrived")
    other = sdk.tickets.create(subject="Wrong colour", description="I ordered red")
    sdk.tickets.comments.add(other.id, body="The parcel came, but in blue")
    hits = list(sdk.tickets.search("parcel"))
    assert all(isinstance(h, TicketSearchHit) for h in hits)
    assert [h.id for h in hits] == [other.id, parcel.id]  # newest first
    assert [h.number for h in sdk.tickets.search("AB1234")] == [parcel.number]
    assert list(sdk.tickets.search("parcel", status="solved")) == []
    assert len(list(sdk.tickets.search("parcel", limit=1))) == 2
    with pytest.raises(ValidationError) as nothing:
        sdk.tickets.search("!!!").first_page()
    assert "q" in nothing.value.errors

    merged = sdk.tickets.merge(parcel.id, [other.id])
    assert merged.id == parcel.id
    assert sdk.tickets.get(other.id).merged_into_id == parcel.id


def test_the_async_namespace(recorder: Recorder, tenant: TenantInfo) -> None:
    async def scenario() -> None:
        async with AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                               transport=AsyncWSGITransport(recorder), retry=FAST_RETRIES) as aio:
            created = [await aio.tickets.create(subject=f"Parcel {n}", status="open") for n in range(3)]
            listed = [t.id async for t in aio.tickets.list(status="open", sort="number", limit=2)]
            assert listed == [t.id for t in created]
            comment = await aio.tickets.comments.add(created[0].id, body="On its way", public=False)
            assert [c.id async for c in aio.tickets.comments.list(created[0].id)] == [comment.id]
            detail = await aio.tickets.get(created[0].id)
            assert [c.body for c in detail.comments or []] == ["On its way"]
            solved = await aio.tickets.update(created[0].id, status="solved", if_version=detail.version)
            assert solved.status == "solved"
            with pytest.raises(PreconditionFailed):
                await aio.tickets.update(created[0].id, priority="low", if_version=detail.version)
            changes = [(c.field, c.old, c.new) async for c in aio.tickets.history(created[0].id, limit=2)]
            assert changes[-1] == ("status", "open", "solved")
            assert [h.id async for h in aio.tickets.search("parcel", status="solved")] == [created[0].id]
            merged = await aio.tickets.merge(created[1].id, [created[2].id])
            assert merged.id == created[1].id
            with pytest.raises(ValidationError):
                await aio.tickets.create(subject="x" * 301)

    asyncio.run(scenario())
