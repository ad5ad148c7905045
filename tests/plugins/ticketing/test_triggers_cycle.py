"""The trigger cycle on PostgreSQL, through the core's write path: when triggers fire, in which
order, at most once per write, how a cycle always ends, and what history and events show."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from flask import Flask

from ccokit.plugins.ticketing.services import other_plugins
from ccokit.plugins.ticketing.services.rules import ticket_view
from ccokit.plugins.ticketing.services.rules.triggers import MAX_PASSES
from tests.conftest import TenantInfo
from tests.plugins.ticketing.rules_support import (
    Published,
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


def test_a_trigger_fires_on_create_and_history_names_it(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        trigger = add_trigger(
            session, "After-sales first",
            {"all": [cond("update.type", "is", "created"), cond("category", "is", "after_sales")]},
            [set_("priority", "high"), tags("add_tags", "after_sales_queue")],
        )
        ticket = new_ticket(session, publish, category="after_sales")
        other = new_ticket(session, publish, category="pre_sales")
        assert (ticket.priority, ticket.tags) == ("high", ["after_sales_queue"])
        assert (other.priority, other.tags) == ("normal", [])
        [row] = history_of(session, ticket, "priority")
        assert (row.via, row.actor_kind, row.actor_id, row.old, row.new) == (
            "trigger", "system", trigger.id, "normal", "high",
        )
        updated = publish.of("ticket.updated")
        assert [e["via"] for e in updated] == ["trigger"]
        assert updated[0]["changes"]["priority"] == {"old": "normal", "new": "high"}


def test_a_trigger_fires_on_the_update_that_changes_its_field(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        add_trigger(
            session, "Thank on solve", {"all": [cond("status", "changed_to", "solved")]},
            [{"action": "reply", "value": "工单 #{{ticket.number}}「{{ticket.subject}}」已解决，谢谢 {{requester.name}}"}],
        )
        ticket = new_ticket(session, publish, requester={"name": "王芳"})
        change(session, ticket, publish, status="open")
        assert comments_of(session, ticket) == []
        change(session, ticket, publish, status="solved")
        [reply] = comments_of(session, ticket)
        assert reply.public
        assert reply.author_kind == "system"
        assert reply.body == f"工单 #{ticket.number}「Kettle arrived broken」已解决，谢谢 王芳"
        change(session, ticket, publish, priority="high")  # still solved, but not changed to it now
        assert len(comments_of(session, ticket)) == 1


def test_order_re_evaluation_and_at_most_once(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        early = add_trigger(session, "early", {"all": [cond("tags", "contains", "b")]}, [set_("priority", "low")])
        first = add_trigger(session, "first", {"all": [cond("tags", "contains", "x")]}, [tags("add_tags", "a")])
        second = add_trigger(session, "second", {"all": [cond("tags", "contains", "a")]}, [tags("add_tags", "b")])
        late = add_trigger(session, "late", {"all": [cond("tags", "contains", "b")]}, [set_("priority", "urgent")])
        ticket = new_ticket(session, publish)
        change(session, ticket, publish, add_tags=["x"])
        assert ticket.tags == ["a", "b", "x"]
        # Pass 1: early does not hold yet; first, second and late fire in position order.
        # Pass 2: early holds now and fires last. Nobody fires twice.
        assert ticket.priority == "low"
        fired = [(c.actor_id, c.field, c.new) for c in history_of(session, ticket, "tags")]
        fired += [(c.actor_id, c.field, c.new) for c in history_of(session, ticket, "priority")]
        assert [f[0] for f in fired] == [first.id, second.id, late.id, early.id]


def test_two_triggers_that_undo_each_other_fire_once_each(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        up = add_trigger(session, "up", {"all": [cond("priority", "is", "normal")]}, [set_("priority", "high")])
        down = add_trigger(session, "down", {"all": [cond("priority", "is", "high")]}, [set_("priority", "normal")])
        ticket = new_ticket(session, publish)
        rows = history_of(session, ticket, "priority")
        assert [(r.actor_id, r.old, r.new) for r in rows] == [(up.id, "normal", "high"), (down.id, "high", "normal")]
        assert ticket.priority == "normal"
        assert comments_of(session, ticket) == []  # ended by itself, not by the cap
        # The next write is a new cycle: each fires once again, and again it ends.
        change(session, ticket, publish, subject="Kettle broken (photos)")
        assert len(history_of(session, ticket, "priority")) == 4


def test_a_chain_longer_than_the_cap_stops_with_a_note(
    app: Flask, tenant: TenantInfo, caplog: pytest.LogCaptureFixture
) -> None:
    publish = Published()
    steps = MAX_PASSES + 2
    with workspace(app, tenant.tenant_id) as session:
        # Trigger k needs step k-1 and adds step k; they run in reverse, so each pass fires one.
        for k in range(steps, 0, -1):
            add_trigger(session, f"step {k}", {"all": [cond("tags", "contains", f"s{k - 1}")]}, [tags("add_tags", f"s{k}")])
        with caplog.at_level(logging.WARNING, logger="ccokit.plugins.ticketing.services.rules.triggers"):
            ticket = new_ticket(session, publish, tags=["s0"])
        assert sorted(ticket.tags, key=lambda t: int(t[1:])) == [f"s{k}" for k in range(MAX_PASSES + 1)]
        [note] = comments_of(session, ticket)
        assert not note.public
        assert note.author_kind == "system"
        assert f"{MAX_PASSES} 轮" in note.body
        assert f"after {MAX_PASSES} passes" in note.body
        assert any("triggers stopped" in r.getMessage() for r in caplog.records)


def test_rules_own_writes_start_no_cycle_of_their_own(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        add_trigger(session, "note it", {"all": [cond("status", "changed_to", "open")]}, [{"action": "note", "value": "opened"}])
        # Would hold for the note's own write, if that write ran triggers: it must not.
        echo = add_trigger(session, "echo", {"all": [cond("comment.author_kind", "is", "system")]}, [tags("add_tags", "echo")])
        ticket = new_ticket(session, publish)
        change(session, ticket, publish, status="open")
        assert [c.body for c in comments_of(session, ticket)] == ["opened"]
        assert "echo" not in ticket.tags
        assert all(r.actor_id != echo.id for r in history_of(session, ticket, "tags"))


def test_a_refused_action_skips_that_trigger_only(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        # A solved ticket cannot go on hold: the core refuses, the trigger is undone and skipped.
        add_trigger(
            session, "hold", {"all": [cond("status", "is", "solved")]},
            [tags("add_tags", "held"), set_("status", "on_hold")],
        )
        add_trigger(session, "tag solved", {"all": [cond("status", "is", "solved")]}, [tags("add_tags", "done")])
        ticket = new_ticket(session, publish)
        change(session, ticket, publish, status="solved")
        assert ticket.status == "solved"
        assert ticket.tags == ["done"]  # "held" was rolled back with the refused status


def test_requester_tier_through_the_customers_service(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    tiers = {}

    def lookup(name: str) -> object:
        if name != "customers.tier":
            raise LookupError(name)
        return lambda session, customer_id: tiers.get(customer_id)

    with workspace(app, tenant.tenant_id) as session:
        add_trigger(
            session, "gold first", {"all": [cond("requester.tier", "is", "gold")]}, [set_("priority", "urgent")]
        )
        add_trigger(
            session, "no tier", {"all": [cond("requester.tier", "absent")]}, [tags("add_tags", "no_tier")]
        )
        other_plugins.use_services(lookup)
        try:
            gold = new_ticket(session, publish)
            gold.customer_id = gold.id  # any id the fake service knows
            tiers[gold.id] = SimpleNamespace(key="gold", rank=3)
            change(session, gold, publish, subject="again")
            assert gold.priority == "urgent"
            other_plugins.use_services(lambda name: (_ for _ in ()).throw(LookupError(name)))
            plain = new_ticket(session, publish)
            assert plain.priority == "normal"
            assert plain.tags == ["no_tier"]
        finally:
            other_plugins.use_services(None)


def test_notify_webhook_publishes_rule_notified(app: Flask, tenant: TenantInfo) -> None:
    publish = Published()
    with workspace(app, tenant.tenant_id) as session:
        trigger = add_trigger(
            session, "tell HOMS", {"all": [cond("tags", "contains", "refund_request")]},
            [{"action": "notify_webhook", "value": "refund for #{{ticket.number}}"}],
        )
        ticket = new_ticket(session, publish, tags=["refund_request"])
        [event] = publish.of("ticket.rule_notified")
        assert event["rule"] == {"id": ticket_view.public_rule_id("trigger", trigger.id), "kind": "trigger", "title": "tell HOMS"}
        assert event["ticket"]["number"] == ticket.number
        assert event["ticket"]["tags"] == ["refund_request"]
        assert event["message"] == f"refund for #{ticket.number}"


@pytest.fixture(autouse=True)
def _no_services() -> Iterator[None]:
    other_plugins.use_services(None)
    yield
    other_plugins.use_services(None)
