"""SLA clocks through a ticket's life, policy matching (tier first), and the breach sweep.

Tickets are written through ticketing's own write path (``create_ticket``, ``add_comment``,
``update_ticket``) so the clocks move exactly as they do behind the API; the write path's clock
is replaced by a fake one, so every step happens at an explicit time and nothing sleeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.events.outbox import enqueue
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.plugins.ticketing.models.sla import SlaClock, SlaPolicy
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.schemas.sla import TicketSlaSummarySchema
from ccokit.plugins.ticketing.services import changes, other_plugins
from ccokit.plugins.ticketing.services import comments as comment_service
from ccokit.plugins.ticketing.services import tickets as ticket_service
from ccokit.plugins.ticketing.services.changes import Actor
from ccokit.plugins.ticketing.services.sla import calendars, clocks, policies
from ccokit.plugins.ticketing.services.sla.breaches import sweep_breaches
from ccokit.tenants.database import TenantSession
from tests.conftest import TenantInfo, signup
from tests.plugins.ticketing.rules_support import Published

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = Actor("agent", uuid.uuid4(), "Agent Li")
CUSTOMER = Actor("customer", None, "Customer Wang")
OFFICE = {
    day: [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}
URGENT = [
    {"priority": "urgent", "metric": "first_reply", "minutes": 60, "business_hours": True},
    {"priority": "urgent", "metric": "next_reply", "minutes": 30, "business_hours": True},
    {"priority": "urgent", "metric": "resolution", "minutes": 480, "business_hours": True},
]


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026, Shanghai time (Monday is March 2)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: sh(2, 9))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(ticket_service, "utcnow", clock)
    monkeypatch.setattr(comment_service, "utcnow", clock)
    return clock


@pytest.fixture
def kernel(app: Flask) -> Kernel:
    return current_kernel(app)


@pytest.fixture
def shop(app: Flask) -> TenantInfo:
    return signup(app.test_client(), locale="zh")


@pytest.fixture
def tx(kernel: Kernel, shop: TenantInfo) -> Callable[[], Any]:
    """``with tx() as session:``: one committed transaction of the shop."""
    return lambda: kernel.db.transaction(shop.tenant_id)


def _setup_office(session: TenantSession, targets: list[dict[str, Any]] = URGENT, **policy: Any) -> SlaPolicy:
    office = calendars.default_calendar(session)
    calendars.update_calendar(session, office, {"time_zone": "Asia/Shanghai", "weekly_hours": OFFICE})
    return policies.create_policy(session, session.tenant_id, {
        "key": policy.pop("key", "standard"), "title": "Standard", "targets": targets, **policy,
    })


def _clocks(session: TenantSession, ticket: Ticket) -> dict[str, list[SlaClock]]:
    found: dict[str, list[SlaClock]] = {}
    for clock in session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id)
                                 .order_by(SlaClock.started_at, SlaClock.id)):
        found.setdefault(clock.metric, []).append(clock)
    return found


class Desk:
    """One ticket's life at explicit times, each step its own transaction like a request."""

    def __init__(self, tx: Callable[[], Any], clock: FakeClock, published: Published) -> None:
        self.tx, self.clock, self.published = tx, clock, published
        self.ticket_id: uuid.UUID | None = None

    def _ticket(self, session: TenantSession) -> Ticket:
        ticket = session.get(Ticket, (session.tenant_id, self.ticket_id))
        assert ticket is not None
        return ticket

    def create(self, at: datetime, **data: Any) -> None:
        self.clock.now = at
        with self.tx() as session:
            ticket = ticket_service.create_ticket(
                session, {"subject": "水壶坏了 / broken kettle", "priority": "urgent", **data},
                actor=AGENT, via="api", publish=self.published,
            )
            self.ticket_id = ticket.id

    def comment(self, at: datetime, author: str, public: bool = True) -> None:
        self.clock.now = at
        with self.tx() as session:
            comment_service.add_comment(
                session, self._ticket(session), {"body": f"{author} writes", "author_kind": author, "public": public},
                actor=AGENT if author == "agent" else CUSTOMER, via="api", publish=self.published,
            )

    def update(self, at: datetime, **changes: Any) -> None:
        self.clock.now = at
        with self.tx() as session:
            ticket_service.update_ticket(
                session, self._ticket(session), changes, actor=AGENT, via="api", publish=self.published
            )

    def sla(self, at: datetime) -> dict[str, dict[str, Any]]:
        with self.tx() as session:
            state = clocks.ticket_sla(session, self._ticket(session), at)
        return {f"{c['metric']}#{i}": c for i, c in enumerate(state["clocks"])}

    def sweep(self, at: datetime) -> int:
        with self.tx() as session:
            return sweep_breaches(session, self.published, at)

    def clocks(self) -> dict[str, list[SlaClock]]:
        with self.tx() as session:
            found = _clocks(session, self._ticket(session))
            session.expunge_all()
        return found


@pytest.fixture
def desk(tx: Callable[[], Any], fake_clock: FakeClock) -> Desk:
    return Desk(tx, fake_clock, Published())


def test_a_ticket_life_moves_its_clocks(tx: Callable[[], Any], desk: Desk) -> None:
    with tx() as session:
        _setup_office(session)

    desk.create(sh(2, 9, 0))  # Monday 09:00
    c = desk.clocks()
    assert c["first_reply"][0].due_at == sh(2, 10, 0)
    # 480 business minutes: Monday has 450 (09:00-12:00, 13:30-18:00), 30 more on Tuesday.
    assert c["resolution"][0].due_at == sh(3, 9, 30)

    desk.comment(sh(2, 9, 20), "agent")  # first reply, in time
    desk.comment(sh(2, 9, 40), "customer")  # starts next_reply
    c = desk.clocks()
    assert c["first_reply"][0].fulfilled_at == sh(2, 9, 20)
    assert c["first_reply"][0].breached_at is None
    assert c["next_reply"][0].started_at == sh(2, 9, 40)
    assert c["next_reply"][0].due_at == sh(2, 10, 10)

    desk.comment(sh(2, 9, 50), "customer")  # a second customer comment does not start another
    desk.comment(sh(2, 10, 0), "agent")
    desk.update(sh(2, 10, 0), status="pending")  # waiting for the customer: every clock pauses
    c = desk.clocks()
    assert len(c["next_reply"]) == 1
    assert c["next_reply"][0].fulfilled_at == sh(2, 10, 0)
    assert c["resolution"][0].paused_since == sh(2, 10, 0)
    assert c["resolution"][0].due_at is None
    paused = desk.sla(sh(2, 11, 0))["resolution#1"]
    assert paused["status"] == "paused"
    assert paused["paused"] is True
    # 60 minutes ran (09:00-10:00) before the pause; an hour later it still has 420 left.
    assert paused["remaining_minutes"] == 420
    assert paused["due_at"] is None

    desk.comment(sh(2, 12, 0), "customer")  # two hours later the customer answers: open again
    c = desk.clocks()
    resolution = c["resolution"][0]
    assert resolution.paused_since is None
    assert resolution.paused_seconds == 120 * 60
    assert resolution.due_at == sh(3, 11, 30)  # moved on by the two paused business hours
    # The new next_reply starts in the lunch break and counts from 13:30.
    assert c["next_reply"][1].started_at == sh(2, 12, 0)
    assert c["next_reply"][1].due_at == sh(2, 14, 0)

    desk.comment(sh(2, 13, 0), "agent", public=False)  # an internal note is no reply
    assert desk.clocks()["next_reply"][1].fulfilled_at is None
    desk.comment(sh(2, 13, 10), "agent")
    desk.update(sh(2, 14, 0), status="solved")
    c = desk.clocks()
    assert c["resolution"][0].fulfilled_at == sh(2, 14, 0)
    solved = desk.sla(sh(2, 15, 0))["resolution#1"]
    # 09:00-12:00 and 13:30-14:00 less the two paused hours: 90 minutes counted, 390 to spare.
    assert solved["status"] == "fulfilled"
    assert solved["remaining_minutes"] == 390

    desk.comment(sh(3, 9, 0), "customer")  # Tuesday: the customer reopens it
    c = desk.clocks()
    resolution = c["resolution"][0]
    assert resolution.fulfilled_at is None
    # The solved time (Monday 14:00-18:00, 240 business minutes) counts as paused; the promise
    # continues with its 390 minutes: Tuesday 09:00-12:00 and 13:30-17:00.
    assert resolution.paused_seconds == (120 + 240) * 60
    assert resolution.due_at == sh(3, 17, 0)
    assert c["next_reply"][2].due_at == sh(3, 9, 30)

    state = desk.sla(sh(3, 10, 0))
    late = state["next_reply#4"]
    assert late["status"] == "breached"
    assert late["overdue_minutes"] == 30
    assert late["breached_at"] is None
    assert state["resolution#1"]["remaining_minutes"] == 330

    assert desk.sweep(sh(3, 10, 0)) == 1
    assert desk.sweep(sh(3, 10, 1)) == 0  # the sweep running twice marks nothing twice
    desk.comment(sh(3, 10, 5), "agent")
    desk.update(sh(3, 10, 5), status="solved")

    breaches = desk.published.of("sla.breached")
    assert len(breaches) == 1
    assert breaches[0]["metric"] == "next_reply"
    assert breaches[0]["due_at"] == sh(3, 9, 30).isoformat() == breaches[0]["breached_at"]
    assert breaches[0]["ticket_id"].startswith("tkt_")
    assert breaches[0]["clock_id"].startswith("slac_")
    final = desk.clocks()
    assert all(clock.fulfilled_at is not None for group in final.values() for clock in group)
    assert [clock.breached_at is not None for clock in final["next_reply"]] == [False, False, True]
    assert final["resolution"][0].breached_at is None


def test_a_clock_paused_or_met_after_its_due_time_is_breached_then_and_once(
    tx: Callable[[], Any], desk: Desk
) -> None:
    with tx() as session:
        _setup_office(session)
    desk.create(sh(2, 9, 0))
    # Nobody answers for two hours and no sweep ran; putting the ticket on hold breaches the
    # first reply clock on the spot (a paused clock has no due time the sweep could find).
    desk.update(sh(2, 11, 0), status="on_hold")
    assert [b["metric"] for b in desk.published.of("sla.breached")] == ["first_reply"]
    desk.update(sh(2, 11, 30), status="open")
    desk.comment(sh(2, 11, 40), "agent")  # met late: already breached, no second event
    assert len(desk.published.of("sla.breached")) == 1
    first = desk.clocks()["first_reply"][0]
    assert first.breached_at == sh(2, 10, 0)
    assert first.fulfilled_at == sh(2, 11, 40)


def test_changing_priority_retargets_running_clocks(tx: Callable[[], Any], desk: Desk) -> None:
    with tx() as session:
        _setup_office(session, targets=[
            *URGENT,
            {"priority": "low", "metric": "resolution", "minutes": 3 * 24 * 60, "business_hours": False},
        ])
    desk.create(sh(2, 9, 0), priority="low")
    c = desk.clocks()
    assert set(c) == {"resolution"}  # low tickets get no reply target here
    assert c["resolution"][0].business_hours is False
    assert c["resolution"][0].due_at == sh(5, 9, 0)

    desk.update(sh(2, 9, 30), priority="urgent")
    c = desk.clocks()
    # Resolution keeps its start and takes the urgent target; first reply starts from creation.
    assert c["resolution"][0].target_minutes == 480
    assert c["resolution"][0].business_hours is True
    assert c["resolution"][0].due_at == sh(3, 9, 30)
    assert c["first_reply"][0].started_at == sh(2, 9, 0)
    assert c["first_reply"][0].due_at == sh(2, 10, 0)

    desk.update(sh(2, 9, 45), priority="normal")  # no targets for normal: running clocks go
    assert desk.clocks() == {}


def test_the_tier_policy_applies_first_and_changes_with_the_customer(
    tx: Callable[[], Any], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dataclass(frozen=True)
    class Tier:
        key: str
        sla_policy: str | None

    tiers = {uuid.UUID(int=1): Tier("gold", "gold-sla"), uuid.UUID(int=2): Tier("silver", None)}

    def lookup(name: str) -> Any:
        assert name == "customers.tier"
        return lambda session, customer_id: tiers.get(customer_id)

    monkeypatch.setattr(other_plugins.SERVICES, "_lookup", lookup)
    with tx() as session:
        _setup_office(session, key="everyone")
        policies.create_policy(session, session.tenant_id, {
            "key": "silver-chat", "title": "Silver on chat", "position": 50,
            "conditions": {"tier": ["silver"], "channel": ["chat"]},
            "targets": [{"priority": "urgent", "metric": "first_reply", "minutes": 20, "business_hours": True}],
        })
        policies.create_policy(session, session.tenant_id, {
            "key": "gold-sla", "title": "Gold", "position": 100,
            "targets": [{"priority": "urgent", "metric": "first_reply", "minutes": 10, "business_hours": False}],
        })

    def facts(**kw: Any) -> policies.TicketFacts:
        return policies.TicketFacts(**{"priority": "urgent", "channel": "chat", "category": "other", **kw})

    with tx() as session:
        assert policies.policy_for(session, facts()).key == "everyone"  # type: ignore[union-attr]
        # The gold tier names gold-sla: it comes first although it is last in order.
        assert policies.policy_for(session, facts(tier="gold", tier_policy="gold-sla")).key == "gold-sla"  # type: ignore[union-attr]
        # A named policy that is unknown falls back to the order.
        assert policies.policy_for(session, facts(tier="gold", tier_policy="nope")).key == "everyone"  # type: ignore[union-attr]
        # Policies are tried in position order: "everyone" (0) matches before "silver-chat" (50).
        session.execute(SlaPolicy.__table__.update().where(SlaPolicy.key == "silver-chat").values(position=-1))
        assert policies.policy_for(session, facts(tier="silver")).key == "silver-chat"  # type: ignore[union-attr]
        assert policies.policy_for(session, facts(tier="silver", channel="email")).key == "everyone"  # type: ignore[union-attr]
        session.execute(SlaPolicy.__table__.update().where(SlaPolicy.key == "everyone").values(active=False))
        # gold-sla has no conditions: once "everyone" is off, it catches every other ticket.
        assert policies.policy_for(session, facts()).key == "gold-sla"  # type: ignore[union-attr]
        session.execute(SlaPolicy.__table__.update().where(SlaPolicy.key == "gold-sla").values(active=False))
        assert policies.policy_for(session, facts(tier="gold", tier_policy="gold-sla")) is None

    with tx() as session:
        session.execute(SlaPolicy.__table__.update().values(active=True))
    desk.create(sh(2, 9, 0))
    assert desk.clocks()["first_reply"][0].target_minutes == 60
    with tx() as session:  # the requester turns out to be a gold member
        ticket_service.write_fields(
            session, desk._ticket(session), {"customer_id": uuid.UUID(int=1)},
            actor=AGENT, via="api", publish=desk.published,
        )
    first = desk.clocks()["first_reply"][0]
    assert first.target_minutes == 10
    assert first.business_hours is False
    assert first.due_at == sh(2, 9, 10)


def test_the_sweep_job_publishes_one_breach_per_clock_however_often_it_runs(
    kernel: Kernel, shop: TenantInfo, tx: Callable[[], Any], desk: Desk
) -> None:
    assert any(s.job_type == "job:ticketing.sla_breaches" and s.interval == timedelta(minutes=1)
               for s in kernel.events.schedules)
    with tx() as session:
        _setup_office(session)
    # Two tickets from March 2026 (long past): each has a first reply and a resolution overdue.
    desk.create(sh(2, 9, 0))
    desk.create(sh(2, 9, 30))
    for _ in range(2):
        with tx() as session:
            enqueue(session, kernel.events, "ticketing.sla_breaches", {})
        run_pending(kernel, tenant_id=shop.tenant_id)
    with tx() as session:
        events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.type == "sla.breached")))
        breached = session.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.breached_at.is_not(None)))
    assert breached == 4
    assert len(events) == 4
    assert len({e.payload["clock_id"] for e in events}) == 4
    assert {e.payload["metric"] for e in events} == {"first_reply", "resolution"}


def test_the_sweep_takes_a_batch_at_a_time_and_skips_paused_clocks(tx: Callable[[], Any], desk: Desk) -> None:
    with tx() as session:
        _setup_office(session)
    desk.create(sh(2, 9, 0))
    desk.create(sh(2, 9, 0))
    desk.update(sh(2, 9, 30), status="pending")  # the second ticket waits for its customer
    assert desk.sweep(sh(9, 9, 0)) == 2  # the first ticket's two clocks
    assert desk.sweep(sh(9, 9, 0)) == 0
    for _ in range(3):  # more tickets, a smaller batch
        desk.create(sh(2, 9, 0))
    with tx() as session:
        assert sweep_breaches(session, desk.published, sh(9, 9, 0), batch=4) == 4
        assert sweep_breaches(session, desk.published, sh(9, 9, 0), batch=4) == 2
    assert len(desk.published.of("sla.breached")) == 8


def test_clocks_belong_to_their_workspace(app: Flask, kernel: Kernel, tx: Callable[[], Any], desk: Desk) -> None:
    with tx() as session:
        _setup_office(session)
    desk.create(sh(2, 9, 0))
    other = signup(app.test_client())
    with kernel.db.transaction(other.tenant_id) as session:
        assert session.scalar(select(func.count()).select_from(SlaClock)) == 0
        assert sweep_breaches(session, desk.published, sh(9, 9, 0)) == 0
    assert desk.published.of("sla.breached") == []


def test_the_summary_for_the_ticket_itself_takes_one_query(
    kernel: Kernel, tx: Callable[[], Any], desk: Desk
) -> None:
    with tx() as session:
        _setup_office(session)
    desk.create(sh(2, 9, 0))
    desk.update(sh(2, 9, 30), status="on_hold")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with tx() as session:
        session.execute(select(1))  # the transaction (and its tenant setting) is under way
        event.listen(kernel.db.engine, "before_cursor_execute", count)
        try:
            summary = clocks.sla_summary(session, desk.ticket_id, sh(2, 10, 0))  # type: ignore[arg-type]
        finally:
            event.remove(kernel.db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert TicketSlaSummarySchema().dump(summary) == {
        "next_due_at": None,
        "clocks": [{"metric": "first_reply", "due_at": None, "paused": True, "breached": False},
                   {"metric": "resolution", "due_at": None, "paused": True, "breached": False}],
    }


def test_a_listener_that_changes_the_new_ticket_first_leaves_one_clock_per_metric(
    tx: Callable[[], Any], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger runs before the SLA listener and raises the new ticket's priority in a nested
    write: the clocks follow the nested write, and the creation then starts nothing twice."""
    with tx() as session:
        _setup_office(session)

    def escalate(write: changes.TicketWrite) -> None:
        if write.created:
            ticket_service.update_ticket(write.session, write.ticket, {"priority": "urgent"},
                                         actor=AGENT, via="trigger", publish=write.publish)

    monkeypatch.setattr(changes, "on_ticket_changed", [escalate, *changes.on_ticket_changed])
    desk.create(sh(2, 9, 0), priority="low")
    found = desk.clocks()
    assert {metric: len(group) for metric, group in found.items()} == {"first_reply": 1, "resolution": 1}
    assert found["first_reply"][0].due_at == sh(2, 10, 0)
