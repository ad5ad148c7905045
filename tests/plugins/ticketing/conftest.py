"""Fixtures of the ticketing tests: a tenant's token and small helpers to make tickets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ccokit.platform.events.models import JobSchedule, OutboxEvent
from ccokit.platform.events.relay import run_pending
from ccokit.platform.events.scheduler import run_due_schedules
from ccokit.platform.kernel import current_kernel
from tests.conftest import TenantInfo, bearer, issue_token, signup

API = "/api/v1/ticketing"


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return bearer(token)


@pytest.fixture
def new_ticket(client: FlaskClient, auth: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create a ticket through the API (``subject`` defaults) and return its body."""

    def make(**fields: Any) -> dict[str, Any]:
        resp = client.post(f"{API}/tickets", json={"subject": "Where is my parcel?", **fields}, headers=auth)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return dict(resp.get_json())

    return make


def events_of(app: Flask, tenant: TenantInfo, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """The tenant's published events (type, payload), oldest first."""
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [(r.type, dict(r.payload)) for r in rows if r.type.startswith(prefix)]


@dataclass
class Workspace:
    """A tenant on one of the databases, with a client and its token's headers."""

    app: Flask
    client: FlaskClient
    tenant: TenantInfo
    auth: dict[str, str]

    def ticket(self, **fields: Any) -> dict[str, Any]:
        resp = self.client.post(f"{API}/tickets", json={"subject": "Parcel late", **fields}, headers=self.auth)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return dict(resp.get_json())


@pytest.fixture
def workspace(any_app: Flask) -> Workspace:
    """A fresh tenant on PostgreSQL and on SQLite (the embedded default)."""
    client = any_app.test_client()
    tenant = signup(client)
    return Workspace(any_app, client, tenant, bearer(issue_token(client, tenant)))


def insert_tickets(app: Flask, tenant: TenantInfo, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Write tickets straight into the tenant's tables (fast, for lists and exports); each row
    gives Ticket attributes, numbers are taken from the tenant's counter. Returns their ids."""
    from ccokit.plugins.ticketing.models.tickets import Ticket, TicketCounter
    from ccokit.plugins.ticketing.services.numbering import next_number

    now = datetime.now(UTC)
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        first = next_number(session)
        session.execute(
            update(TicketCounter).values(last_number=first + len(rows) - 1)
            .execution_options(synchronize_session=False)
        )
        tickets = []
        for offset, row in enumerate(rows):
            values: dict[str, Any] = {
                "subject": f"Ticket {offset}", "status": "open", "channel": "chat", "category": "other",
                "priority": "normal", "created_at": now, "updated_at": now, "status_changed_at": now,
                "tags": [], "followers": [], "custom_fields": {}, "description": "",
            }
            values.update(row)
            tickets.append(Ticket(number=first + offset, **values))
        session.add_all(tickets)
        session.flush()
        return [t.id for t in tickets]


def run_ticketing_schedules(app: Flask, tenant_id: uuid.UUID) -> None:
    """Run ticketing's periodic jobs (automations, the SLA sweep, the attachment purge) for
    ``tenant_id`` now, as the scheduler and a worker would.

    The schedule rows are shared by every test on the same database, and another test may have
    moved them into its own future (``run_due_schedules(now=…)``); they are made due first, so
    the result does not depend on which tests ran before.
    """
    kernel = current_kernel(app)
    table = JobSchedule.__table__
    with kernel.db.engine.begin() as conn:
        conn.execute(update(table).where(table.c.job_type.like("job:ticketing.%"))
                     .values(next_run_at=datetime.now(UTC) - timedelta(seconds=1)))
    run_due_schedules(kernel)
    run_pending(kernel, tenant_id=tenant_id)
