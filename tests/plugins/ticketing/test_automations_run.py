"""Automations on PostgreSQL: the default closes solved tickets after 4 days, once; firings are
forgotten when the ticket changes; an automation that could fire forever is refused; the
periodic job runs them for each workspace. Time is passed in, nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.models.rules import Automation, AutomationFiring
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services.rules.automations import run_automations
from ccokit_sdk.ids import decode_public_id
from ccokit_sdk.models import utcnow
from tests.conftest import TenantInfo
from tests.plugins.ticketing.conftest import API, run_ticketing_schedules
from tests.plugins.ticketing.rules_support import (
    Published,
    add_automation,
    add_trigger,
    change,
    comments_of,
    cond,
    history_of,
    new_ticket,
    set_,
    tags,
    workspace,
)

FOUR_DAYS = timedelta(hours=96)


def test_new_workspaces_get_the_close_solved_automation(client: FlaskClient, auth: dict[str, str]) -> None:
    [seeded] = client.get(f"{API}/automations", headers=auth).get_json()["items"]
    assert seeded["active"] is True
    assert seeded["conditions"]["all"] == [
        {"field": "status", "operator": "is", "value": "solved"},
        {"field": "hours_since.solved", "operator": "gt", "value": 96},
    ]
    assert seeded["actions"] == [{"action": "set", "field": "status", "value": "closed"}]
    # No refund_amount field at sign-up: the refund example is not seeded (see defaults.py).
    assert client.get(f"{API}/triggers", headers=auth).get_json()["items"] == []


def test_solved_tickets_close_after_four_days_and_only_once(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        solved = new_ticket(session, publish)
        change(session, solved, publish, status="solved")
        still_open = new_ticket(session, publish)
        solved_at = solved.solved_at
        assert solved_at is not None

        assert run_automations(session, now=solved_at + FOUR_DAYS - timedelta(minutes=1), publish=publish) == 0
        assert solved.status == "solved"

        later = solved_at + FOUR_DAYS + timedelta(minutes=1)
        assert run_automations(session, now=later, publish=publish) == 1
        assert solved.status == "closed"
        assert still_open.status == "new"
        [row] = history_of(session, solved, "status", via="automation")
        automation = session.scalars(select(Automation)).one()
        assert (row.old, row.new, row.actor_kind, row.actor_id) == ("solved", "closed", "system", automation.id)
        assert [e["via"] for e in publish.of("ticket.closed")] == ["automation"]
        assert run_automations(session, now=later + timedelta(days=30), publish=publish) == 0


def test_an_automation_fires_once_per_ticket_until_it_changes(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        # Pending for a day: remind once. The reminder tag makes it stop by itself; the firing
        # record stops it even after an agent removes the tag, until the ticket changes.
        add_automation(
            session, "remind",
            {"all": [cond("status", "is", "pending"), cond("hours_since.updated", "gte", 24),
                     cond("tags", "not_contains", ["reminded"])]},
            [tags("add_tags", "reminded"), {"action": "reply", "value": "还需要帮助吗？"}],
        )
        ticket = new_ticket(session, publish)
        change(session, ticket, publish, status="pending")
        now = ticket.updated_at + timedelta(hours=25)
        assert run_automations(session, now=now, publish=publish) == 1
        assert "reminded" in ticket.tags
        assert [c.body for c in comments_of(session, ticket)] == ["还需要帮助吗？"]
        assert session.scalars(select(AutomationFiring)).all() != []

        # An automation's own write keeps the record; an agent's write forgets it.
        assert run_automations(session, now=now + timedelta(days=2), publish=publish) == 0
        change(session, ticket, publish, remove_tags=["reminded"])
        assert session.scalars(select(AutomationFiring)).all() == []
        assert run_automations(session, now=ticket.updated_at + timedelta(hours=25), publish=publish) == 1
        assert len(comments_of(session, ticket)) == 2


def test_an_automation_write_runs_the_triggers_once(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        automation = add_automation(
            session, "wake up", {"all": [cond("status", "is", "pending"), cond("hours_since.status_changed", "gt", 48)]},
            [set_("status", "open"), tags("add_tags", "woken")],
        )
        trigger = add_trigger(
            session, "woken is urgent",
            {"all": [cond("update.via", "is", "automation"), cond("status", "changed_to", "open")]},
            [set_("priority", "high")],
        )
        ticket = new_ticket(session, publish)
        change(session, ticket, publish, status="pending")
        assert run_automations(session, now=ticket.status_changed_at + timedelta(hours=49), publish=publish) == 1
        assert (ticket.status, ticket.priority, ticket.tags) == ("open", "high", ["woken"])
        assert [r.actor_id for r in history_of(session, ticket, "status", via="automation")] == [automation.id]
        assert [r.actor_id for r in history_of(session, ticket, "priority")] == [trigger.id]


def test_candidates_respect_batches_and_skip_what_sql_can_rule_out(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        tickets_ = [new_ticket(session, publish) for _ in range(5)]
        for ticket in tickets_:
            change(session, ticket, publish, status="solved")
        change(session, tickets_[0], publish, status="open")  # reopened: no longer a candidate
        closed = run_automations(session, now=utcnow() + FOUR_DAYS + timedelta(hours=1), publish=publish)
        assert closed == 4
        assert [t.status for t in tickets_] == ["open", "closed", "closed", "closed", "closed"]


def test_an_automation_that_could_fire_forever_is_refused(client: FlaskClient, auth: dict[str, str]) -> None:
    base = {"title": "Nag"}
    no_time = {**base, "conditions": {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
               "actions": [{"action": "set", "field": "status", "value": "open"}]}
    resp = client.post(f"{API}/automations", json=no_time, headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "conditions.all": ["An automation needs at least one hours_since.* condition under all."],
    }
    forever = {**base, "conditions": {"all": [
        {"field": "status", "operator": "is", "value": "pending"},
        {"field": "hours_since.updated", "operator": "gt", "value": 48},
    ]}, "actions": [{"action": "notify_webhook", "value": "still pending"}]}
    resp = client.post(f"{API}/automations", json=forever, headers={**auth, "Accept-Language": "zh"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["actions"][0].startswith("该自动化可能反复执行")
    fixed = {**forever, "actions": [*forever["actions"], {"action": "set", "field": "status", "value": "open"}]}
    resp = client.post(f"{API}/automations", json=fixed, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    # A change is checked again as a whole.
    resp = client.patch(
        f"{API}/automations/{resp.get_json()['id']}", json={"actions": forever["actions"]}, headers=auth
    )
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["actions"]


def test_the_periodic_job_runs_automations_per_workspace(
    app: Flask, tenant: TenantInfo, new_ticket: Callable[..., dict[str, Any]], client: FlaskClient,
    auth: dict[str, str],
) -> None:
    ticket = new_ticket()
    client.patch(f"{API}/tickets/{ticket['id']}", json={"status": "solved"}, headers=auth)
    kernel = current_kernel(app)
    with kernel.db.transaction(tenant.tenant_id) as session:
        row = session.get(Ticket, (tenant.tenant_id, decode_public_id("tkt", ticket["id"])))
        assert row is not None
        row.solved_at = utcnow() - FOUR_DAYS - timedelta(hours=1)  # as if solved 4 days ago
    run_ticketing_schedules(app, tenant.tenant_id)
    assert client.get(f"{API}/tickets/{ticket['id']}", headers=auth).get_json()["status"] == "closed"
