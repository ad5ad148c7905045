"""Per-tenant ticket numbers (#1, #2, …) without gaps or duplicates under concurrency.

One ``ticket_counters`` row per tenant holds the last number. Taking the next one is a single
``UPDATE … SET last_number = last_number + 1 RETURNING last_number``: the row lock it takes is
held until the creating transaction ends, so concurrent creations queue on it for the short rest
of their transaction and a rolled-back creation gives its number back. The first ticket of a
tenant inserts the row inside a savepoint; if another transaction inserted it first, the update
runs again.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import TicketCounter

__all__ = ["next_number"]

SEQUENCE = "tickets"


def next_number(session: Session) -> int:
    """The next ticket number of the session's tenant, locked until the transaction ends."""
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
