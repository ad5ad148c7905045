"""Check a pooled PostgreSQL connection before use only when it has been idle for a while.

SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout, which is one round trip more
for every request and two for a ticket creation (its number comes from a second connection).
Under traffic a connection goes back to the pool and out again within milliseconds, and one that
was fine a millisecond ago is almost always fine now; what a ping catches is a connection that
sat unused while the server restarted, failed over or closed it for idleness. So a connection is
pinged when it has been idle longer than ``after`` seconds, and not otherwise.

A connection that fails its ping is thrown away and the pool hands out another (SQLAlchemy
retries a checkout refused with :class:`~sqlalchemy.exc.DisconnectionError`). A connection that
broke within the last ``after`` seconds is found by its first statement instead: that request
fails, SQLAlchemy invalidates every connection the pool opened before, and later requests get
fresh ones. The pool hands out the most recently returned connection first (LIFO), so a quiet
process keeps a few warm connections and lets the others idle, to be pinged when needed again.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

__all__ = ["LAST_USED", "ping_when_idle"]

#: Where a pool entry keeps the monotonic time it was last returned (or opened).
LAST_USED = "ccokit_last_used"


def ping_when_idle(engine: Engine, after: float) -> None:
    """Ping ``engine``'s connections on checkout when idle for more than ``after`` seconds."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        if time.monotonic() - record.info.get(LAST_USED, 0.0) <= after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver says, this connection cannot be trusted
            raise DisconnectionError(f"connection idle for over {after:g} s failed its ping") from exc
