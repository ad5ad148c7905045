"""Per-tenant ticket numbers (#1, #2, …): unique, increasing, never reused.

One ``ticket_counters`` row per tenant holds the last number.

On PostgreSQL the number is taken by ``ccokit_next_ticket_number(tenant, name)`` (migration
``tk0007``): one statement, on a pooled connection in autocommit, so it commits at once and the
counter's row lock is held for that statement only. Held until the creating transaction's end
instead, it made every creation of a workspace wait for the previous one's whole write (search
terms, SLA clocks, triggers, events): about 15 ms each, a ceiling near 66 tickets per second for
one workspace however many workers and cores serve it. One statement instead of a side
transaction (``BEGIN``, the tenant setting, ``UPDATE``, ``COMMIT``) also spares three round
trips per ticket. The price: a creation that fails after taking its number (invalid input is
refused before) leaves that number unused.

On SQLite, which has one writer at a time anyway, the number is taken in the creating
transaction (``UPDATE … RETURNING``; the first ticket inserts the row inside a savepoint) and
given back if it rolls back.
"""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import TicketCounter
from ccokit_sdk.models import tenant_of

__all__ = ["next_number"]

SEQUENCE = "tickets"
_NEXT = text("SELECT ccokit_next_ticket_number(:tenant, :name)")


def next_number(session: Session) -> int:
    """The next ticket number of the session's tenant."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return _take(session)
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("ticket numbers need a tenant-scoped session")
    engine = getattr(bind, "engine", bind)  # the session may be bound to a connection (tests)
    with engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        return int(autocommit.execute(_NEXT, {"tenant": tenant_id, "name": SEQUENCE}).scalar_one())


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
