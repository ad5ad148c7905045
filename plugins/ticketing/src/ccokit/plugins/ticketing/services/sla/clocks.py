"""SLA clocks: the promises running on each ticket, kept in step with every ticket write.

:func:`track_write` is a listener of :mod:`ccokit.plugins.ticketing.services.changes`: it runs at
the end of every ticket create, update and comment, in the same transaction, and takes the
moment of the write from the ticket (``updated_at``). What moves the clocks:

- **first_reply** starts when the ticket is created and is fulfilled by the first public agent
  comment.
- **next_reply** starts at a customer comment once an agent has replied (a customer writing
  twice does not start a second one) and is fulfilled by the next public agent comment.
- **resolution** starts when the ticket is created and is fulfilled when it is solved.
  Reopening *continues* it: the time the ticket spent solved counts as paused, so the customer's
  original promise still stands and is not renewed by a premature "solved".
- Solving or closing also fulfils the reply clocks still running (nothing is left to reply to).
- **pending** and **on_hold** pause every running clock; the business time spent paused moves
  the due time on by as much when the ticket comes back. A paused clock has no ``due_at``.
- A change of priority, category, channel or customer picks the policy again: running clocks
  take the new targets (from the same start), clocks the new targets drop are removed unless
  already breached, and a first_reply or resolution target that was missing starts from the
  ticket's creation (earlier pauses of such a late clock are not known and do not count).

Breaches: a clock whose due time passes is marked by the sweep (:mod:`.breaches`); a clock that is
paused or fulfilled after its due time is marked right then, in the write. Either way
``breached_at`` is the due time and ``sla.breached`` is published exactly once per clock.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.sla import SlaClock
from ccokit.plugins.ticketing.models.tickets import Comment, Ticket
from ccokit.plugins.ticketing.schemas.sla import CLOCK, POLICY
from ccokit.plugins.ticketing.services.changes import TicketWrite
from ccokit.plugins.ticketing.services.payloads import public
from ccokit.plugins.ticketing.services.requesters import KNOWN_TIER
from ccokit.plugins.ticketing.services.sla import policies
from ccokit.plugins.ticketing.services.sla.calendar import CalendarHorizonExceeded, Measure
from ccokit.plugins.ticketing.services.sla.calendars import default_calendar_id, measure_of
from ccokit_sdk.events import Event, HandlerContext
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id
from ccokit_sdk.models import utcnow

__all__ = [
    "DONE",
    "PAUSING",
    "REEVALUATE",
    "breach",
    "clock_state",
    "on_customer_tier_changed",
    "sla_summary",
    "ticket_sla",
    "track",
    "track_write",
]

log = logging.getLogger(__name__)

PAUSING = frozenset({"pending", "on_hold"})
DONE = frozenset({"solved", "closed"})
#: Ticket fields whose change may select another policy.
REEVALUATE = frozenset({"priority", "category", "channel", "customer_id"})
REPLY_METRICS = ("first_reply", "next_reply")
#: Open tickets of one customer re-evaluated when the customer's tier changes.
TIER_TICKETS = 500

Publish = Callable[[str, Mapping[str, Any]], Any]


@dataclass
class _Run:
    """One write's view: the session, when it happened, how to announce, calendars built."""

    session: Session
    ticket: Ticket
    now: datetime
    publish: Publish
    measures: dict[uuid.UUID | None, Measure] = field(default_factory=dict)
    #: The customer's member tier, if the write knew it (else ``policies.LOOK_UP``).
    tier: Any = policies.LOOK_UP

    def measure(self, clock: SlaClock) -> Measure:
        return measure_of(
            self.session, self.ticket.tenant_id, clock.business_hours, clock.calendar_id, self.measures
        )


def track_write(write: TicketWrite) -> None:
    """The listener: bring the ticket's clocks up to date with ``write``."""
    status = write.changes.get("status")
    track(
        write.session,
        write.ticket,
        created=write.created,
        old_status=None if write.created else (status[0] if status else write.ticket.status),
        changed=frozenset(write.changes),
        comment=write.comment,
        now=write.ticket.updated_at or utcnow(),
        publish=write.publish,
        tier=write.extra.get(KNOWN_TIER, policies.LOOK_UP),
    )


def track(
    session: Session,
    ticket: Ticket,
    *,
    created: bool,
    old_status: str | None,
    changed: Iterable[str],
    comment: Comment | None,
    now: datetime,
    publish: Publish,
    tier: Any = policies.LOOK_UP,
) -> None:
    """Start, pause, resume, retarget and fulfil ``ticket``'s clocks for one write at ``now``
    (``tier``: the customer's member tier, when the caller knows it)."""
    reevaluate = not created and bool(REEVALUATE & set(changed))
    if not (created or reevaluate or comment is not None or old_status != ticket.status):
        return  # tags, assignee, subject…: nothing a clock depends on
    run = _Run(session, ticket, now, publish, tier=tier)
    if created and ticket.version == 1:
        clocks = []  # a ticket nothing has changed since its insert has no clocks yet
    else:
        clocks = list(session.scalars(
            select(SlaClock).where(SlaClock.ticket_id == ticket.id)
            .order_by(SlaClock.started_at, SlaClock.id).with_for_update()
        ))
    if created or reevaluate:
        # A new ticket starts the clocks its targets call for, the same way a retargeted one
        # starts those it lacks; and a listener that ran before this one may already have
        # changed the ticket in a nested write (a trigger), whose clocks are then kept.
        clocks = _reevaluate(run, clocks)
    if old_status != ticket.status:
        _on_status(run, clocks, old_status)
    if comment is not None:
        _on_comment(run, clocks, comment)


def on_customer_tier_changed(event: Event, ctx: HandlerContext) -> None:
    """A customer moved to another member tier: their unsolved tickets pick their policy again.

    At most :data:`TIER_TICKETS` tickets (the most recently updated) are re-evaluated per event;
    the others take the new tier at their next write.
    """
    try:
        customer_id = decode_public_id("cus", str(event.payload.get("customer_id")))
    except InvalidPublicId:
        return
    tickets = list(ctx.session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.not_in(DONE))
        .order_by(Ticket.updated_at.desc())
        .limit(TIER_TICKETS)
    ))
    now = utcnow()
    for ticket in tickets:
        track(ctx.session, ticket, created=False, old_status=ticket.status, changed={"customer_id"},
              comment=None, now=now, publish=ctx.publish)


# -- what moves a clock ------------------------------------------------------------------------


def _targets(run: _Run) -> dict[str, policies.Target]:
    facts = policies.facts_of(run.session, run.ticket, run.tier)
    policy = policies.policy_for(run.session, facts)
    if policy is None:
        return {}
    default_id = None if policy.calendar_id else default_calendar_id(run.session)
    return policies.targets_of(policy, run.ticket.priority, default_id)


def _start(run: _Run, target: policies.Target, started_at: datetime) -> SlaClock:
    clock = SlaClock(
        id=new_id(), ticket_id=run.ticket.id, metric=target.metric, policy_id=target.policy_id,
        target_minutes=target.minutes, business_hours=target.business_hours,
        calendar_id=target.calendar_id, started_at=started_at, paused_seconds=0, pauses=[],
    )
    run.session.add(clock)
    clock.due_at = _due(run, clock)
    if run.ticket.status in PAUSING:
        _pause(run, clock)
    elif run.ticket.status in DONE:
        _fulfil(run, clock)
    else:
        _breach_if_due(run, clock)
    return clock


def _due(run: _Run, clock: SlaClock) -> datetime | None:
    """When a running clock falls due: its target plus every pause, counted in its measure."""
    amount = timedelta(minutes=clock.target_minutes, seconds=clock.paused_seconds)
    try:
        return run.measure(clock).add(clock.started_at, amount)
    except CalendarHorizonExceeded:
        log.warning("SLA clock %s: no due time within the calendar's horizon; it cannot breach", clock.id)
        return None


def _breach_if_due(run: _Run, clock: SlaClock) -> None:
    if clock.breached_at is None and clock.due_at is not None and clock.due_at <= run.now:
        breach(clock, run.ticket, run.publish)


def breach(clock: SlaClock, ticket: Ticket, publish: Publish) -> None:
    """Mark ``clock`` breached at its due time and announce it (once: callers check first)."""
    assert clock.due_at is not None
    clock.breached_at = clock.due_at
    publish("sla.breached", {
        "ticket_id": public("ticket", ticket.id),
        "ticket_number": ticket.number,
        "priority": ticket.priority,
        "clock_id": encode_public_id(CLOCK, clock.id),
        "metric": clock.metric,
        "policy_id": encode_public_id(POLICY, clock.policy_id) if clock.policy_id else None,
        "target_minutes": clock.target_minutes,
        "business_hours": clock.business_hours,
        "due_at": clock.due_at.isoformat(),
        "breached_at": clock.breached_at.isoformat(),
    })


def _pause(run: _Run, clock: SlaClock) -> None:
    if clock.fulfilled_at is not None or clock.paused_since is not None:
        return
    _breach_if_due(run, clock)
    clock.paused_since = run.now
    clock.due_at = None


def _add_pause(run: _Run, clock: SlaClock, since: datetime) -> None:
    if run.now > since:
        clock.pauses = [*clock.pauses, [since.isoformat(), run.now.isoformat()]]
        counted = run.measure(clock).between(since, run.now)
        clock.paused_seconds += int(counted.total_seconds())


def _resume(run: _Run, clock: SlaClock) -> None:
    if clock.fulfilled_at is not None or clock.paused_since is None:
        return
    _add_pause(run, clock, clock.paused_since)
    clock.paused_since = None
    clock.due_at = _due(run, clock)
    _breach_if_due(run, clock)


def _fulfil(run: _Run, clock: SlaClock) -> None:
    if clock.fulfilled_at is not None:
        return
    _resume(run, clock)
    _breach_if_due(run, clock)
    clock.fulfilled_at = run.now


def _reopen(run: _Run, clock: SlaClock) -> None:
    """A solved ticket came back: its resolution clock runs on; the solved time was a pause."""
    if clock.fulfilled_at is None:
        return
    _add_pause(run, clock, clock.fulfilled_at)
    clock.fulfilled_at = None
    clock.due_at = _due(run, clock)
    _breach_if_due(run, clock)


def _on_status(run: _Run, clocks: list[SlaClock], old_status: str | None) -> None:
    status = run.ticket.status
    if status in DONE:
        for clock in clocks:
            _fulfil(run, clock)
        return
    if old_status in DONE:
        resolution = [c for c in clocks if c.metric == "resolution"]
        if resolution:
            _reopen(run, resolution[-1])
    for clock in clocks:
        if status in PAUSING:
            _pause(run, clock)
        else:
            _resume(run, clock)


def _on_comment(run: _Run, clocks: list[SlaClock], comment: Comment) -> None:
    if comment.author_kind == "agent" and comment.public:
        for clock in clocks:
            if clock.metric in REPLY_METRICS:
                _fulfil(run, clock)
        return
    if comment.author_kind != "customer" or run.ticket.status in DONE:
        return
    if run.ticket.first_replied_at is None:
        return  # still waiting for the first reply: first_reply covers it
    if any(c.metric == "next_reply" and c.fulfilled_at is None for c in clocks):
        return
    target = _targets(run).get("next_reply")
    if target is not None:
        clocks.append(_start(run, target, run.now))


def _reevaluate(run: _Run, clocks: list[SlaClock]) -> list[SlaClock]:
    targets = _targets(run)
    kept = []
    for clock in clocks:
        if clock.fulfilled_at is not None:
            kept.append(clock)
            continue
        target = targets.get(clock.metric)
        if target is None:
            if clock.breached_at is None:
                run.session.delete(clock)
                continue
        else:
            _retarget(run, clock, target)
        kept.append(clock)
    metrics = {c.metric for c in kept}
    ticket = run.ticket
    if "first_reply" not in metrics and ticket.first_replied_at is None and "first_reply" in targets:
        kept.append(_start(run, targets["first_reply"], ticket.created_at))
    if "resolution" not in metrics and ticket.status not in DONE and "resolution" in targets:
        kept.append(_start(run, targets["resolution"], ticket.created_at))
    return kept


def _retarget(run: _Run, clock: SlaClock, target: policies.Target) -> None:
    remeasure = (clock.business_hours, clock.calendar_id) != (target.business_hours, target.calendar_id)
    clock.policy_id = target.policy_id
    clock.target_minutes = target.minutes
    clock.business_hours = target.business_hours
    clock.calendar_id = target.calendar_id
    if remeasure:
        measure = run.measure(clock)
        clock.paused_seconds = int(sum(
            (measure.between(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in clock.pauses),
            timedelta(),
        ).total_seconds())
    if clock.paused_since is None:
        clock.due_at = _due(run, clock)
        _breach_if_due(run, clock)


# -- how the clocks stand ----------------------------------------------------------------------


def clock_state(clock: SlaClock, measure: Measure, now: datetime) -> dict[str, Any]:
    """One clock as the API shows it at ``now``; minutes are in the clock's own measure."""
    if clock.fulfilled_at is not None:
        status = "fulfilled"
    elif clock.paused_since is not None:
        status = "paused"
    elif clock.breached_at is not None or (clock.due_at is not None and clock.due_at <= now):
        status = "breached"
    else:
        status = "running"
    left = _seconds_left(clock, measure, now)
    return {
        "id": clock.id,
        "metric": clock.metric,
        "policy_id": clock.policy_id,
        "target_minutes": clock.target_minutes,
        "business_hours": clock.business_hours,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "status": status,
        "paused": clock.paused_since is not None,
        "fulfilled": clock.fulfilled_at is not None,
        "fulfilled_at": clock.fulfilled_at,
        "breached": clock.breached_at is not None or status == "breached",
        "breached_at": clock.breached_at,
        "remaining_minutes": None if left is None or left < 0 else math.ceil(left / 60),
        "overdue_minutes": None if left is None or left >= 0 else math.floor(-left / 60),
    }


def _seconds_left(clock: SlaClock, measure: Measure, now: datetime) -> float | None:
    """Counted seconds before the due time (negative past it); ``None`` if it cannot be told."""
    try:
        if clock.fulfilled_at is None and clock.paused_since is None:
            if clock.due_at is None:
                return None
            return measure.between(now, clock.due_at).total_seconds()
        until = clock.fulfilled_at or clock.paused_since
        assert until is not None
        elapsed = measure.between(clock.started_at, until).total_seconds() - clock.paused_seconds
        return clock.target_minutes * 60 - elapsed
    except CalendarHorizonExceeded:
        return None


def ticket_sla(session: Session, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """Every clock of ``ticket`` (oldest first) and the policy of the latest, at ``now``."""
    now = now or utcnow()
    run = _Run(session, ticket, now, publish=lambda *_: None)
    clocks = list(session.scalars(
        select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.started_at, SlaClock.id)
    ))
    return {
        "ticket_id": public("ticket", ticket.id),
        "policy_id": clocks[-1].policy_id if clocks else None,
        "clocks": [clock_state(c, run.measure(c), now) for c in clocks],
    }


def sla_summary(session: Session, ticket_id: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
    """A ticket's open clocks in brief, in one query (for the single-ticket GET): the metric, due
    time and whether each is paused or breached, and the soonest due time."""
    now = now or utcnow()
    clocks = list(session.scalars(
        select(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.fulfilled_at.is_(None))
        .order_by(SlaClock.started_at, SlaClock.id)
    ))
    running = [
        {
            "metric": c.metric,
            "due_at": c.due_at,
            "paused": c.paused_since is not None,
            "breached": c.breached_at is not None or (c.due_at is not None and c.due_at <= now),
        }
        for c in clocks
    ]
    dues = [c.due_at for c in clocks if c.due_at is not None]
    return {"next_due_at": min(dues) if dues else None, "clocks": running}

