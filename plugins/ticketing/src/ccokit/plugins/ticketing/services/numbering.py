"""Per-tenant ticket numbers (#1, #2, …): unique, increasing, never reused.

One ``ticket_counters`` row per tenant holds the last number. Taking the next one is a single
``UPDATE … SET last_number = last_number + 1 RETURNING last_number``; the first ticket of a
tenant inserts the row inside a savepoint (if another transaction inserted it first, the update
runs again).

On PostgreSQL the number is taken in a side transaction of its own
(:func:`ccokit_sdk.models.side_transaction`) that commits at once, so the counter's row lock is
held for about a millisecond. Held until the creating transaction's end instead, it made every
creation of a workspace wait for the previous one's whole write (search terms, SLA clocks,
triggers, events): about 15 ms each, a ceiling near 66 tickets per second for one workspace
however many workers and cores serve it. The price: a creation that fails after taking its
number (invalid input is refused before) leaves that number unused. On SQLite, which has one
writer at a time anyway, the number is taken in the creating transaction and given back if it
rolls back.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import TicketCounter
from ccokit_sdk.models import side_transaction

__all__ = ["next_number"]

SEQUENCE = "tickets"


def next_number(session: Session) -> int:
    """The next ticket number of the session's tenant."""
    if session.get_bind().dialect.name == "postgresql":
        with side_transaction(session) as side:
            return _take(side)
    return _take(session)


def _take(session: Session) -> int:
    bump = (
        update(TicketCounter)
        .where(TicketCounter.name == SEQUENCE)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
        .execution_options(synchronize_session=False)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is not None:
        return int(number)
    try:
        with session.begin_nested():
            session.add(TicketCounter(name=SEQUENCE, last_number=1))
        return 1
    except IntegrityError:
        return int(session.execute(bump).scalar_one())
