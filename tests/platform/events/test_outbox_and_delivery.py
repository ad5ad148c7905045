"""The outbox and delivery: in the transaction, exactly once, only to enabled plugins, retried."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text, update

from ccokit.platform.events.delivery import deliver, deliver_many, replay
from ccokit.platform.events.models import EventDelivery, OutboxEvent
from ccokit.platform.events.outbox import InvalidEventPayload, publish
from ccokit.platform.events.relay import claim, run_pending
from ccokit.platform.kernel import Kernel
from ccokit.tenants.database import make_engine
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.platform.events.conftest import Pinger, outbox_state, ping

#: A claim batch larger than the whole outbox: the test database's outbox also holds events that
#: other tests published and never delivered (thousands, after the API sweeps), and a batch of
#: 1,000 taken oldest first might not reach this test's own.
EVERY = 1_000_000


def test_an_event_exists_only_if_its_transaction_commits(kernel: Kernel, shop: TenantInfo) -> None:
    def change_that_fails() -> None:
        with kernel.db.transaction(shop.tenant_id) as session:
            publish(session, kernel.events, "test.pinged", {"n": 1})
            raise RuntimeError("abort the change")

    with pytest.raises(RuntimeError, match="abort"):
        change_that_fails()
    assert outbox_state(kernel, shop)["events"] == 0
    ping(kernel, shop, 2)
    assert outbox_state(kernel, shop)["events"] == 1


def test_savepoints_keep_or_drop_their_events_and_all_are_written_at_commit(kernel: Kernel, shop: TenantInfo) -> None:
    """Events wait in the session until the commit writes them together; one published in a
    savepoint that rolls back is dropped, one in a savepoint that is released stays, and a
    transaction that rolls back leaves nothing for the session's next one."""
    with kernel.db.transaction(shop.tenant_id) as session:
        publish(session, kernel.events, "test.pinged", {"n": 1})
        with session.begin_nested():
            publish(session, kernel.events, "test.pinged", {"n": 2})
        try:
            with session.begin_nested():
                publish(session, kernel.events, "test.pinged", {"n": 3})
                with session.begin_nested():
                    publish(session, kernel.events, "test.pinged", {"n": 4})
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            pass
        session.flush()
        # Not written yet: the commit writes them all.
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        publish(session, kernel.events, "test.pinged", {"n": 5})
    with kernel.db.transaction(shop.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        assert [row.payload["n"] for row in rows] == [1, 2, 5]

    session = kernel.db.session(shop.tenant_id)
    try:
        publish(session, kernel.events, "test.pinged", {"n": 6})
        session.rollback()
        publish(session, kernel.events, "test.pinged", {"n": 7})
        session.commit()
    finally:
        session.close()
    with kernel.db.transaction(shop.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        assert [row.payload["n"] for row in rows] == [1, 2, 5, 7]


def test_payloads_are_checked_against_the_declared_schema(kernel: Kernel, shop: TenantInfo) -> None:
    with kernel.db.transaction(shop.tenant_id) as session:
        with pytest.raises(InvalidEventPayload):
            publish(session, kernel.events, "test.pinged", {"n": "many"})
        with pytest.raises(LookupError):
            publish(session, kernel.events, "test.undeclared", {})


def test_each_handler_effect_happens_once_even_when_delivered_twice(
    kernel: Kernel, shop: TenantInfo, pinger: Pinger, count_effects: Callable[[TenantInfo], int]
) -> None:
    (event_id,) = ping(kernel, shop, 1)
    assert run_pending(kernel, tenant_id=shop.tenant_id) == 1
    assert count_effects(shop) == 1
    # The job runs again (a worker died after committing, the relay handed it out again).
    with kernel.db.transaction(shop.tenant_id) as session:
        session.execute(update(OutboxEvent).values(completed_at=None).execution_options(synchronize_session=False))
    assert deliver(kernel, shop.tenant_id, event_id) == "completed"
    assert count_effects(shop) == 1
    assert pinger.calls == [event_id]


def test_concurrent_deliveries_of_one_event_have_one_effect(
    kernel: Kernel, shop: TenantInfo, count_effects: Callable[[TenantInfo], int]
) -> None:
    event_ids = ping(kernel, shop, *range(20))
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        for event_id in event_ids:
            deliver(kernel, shop.tenant_id, event_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count_effects(shop) == 20
    assert outbox_state(kernel, shop)["completed"] == 20


def test_a_tenant_with_the_plugin_disabled_receives_none_of_its_events(
    kernel: Kernel, shop: TenantInfo, pinger: Pinger, events_app: object
) -> None:
    client = events_app.test_client()  # type: ignore[attr-defined]
    token = issue_token(client, shop)
    assert client.post("/api/v1/plugins/pinger/disable", headers=bearer(token)).status_code == 200
    ping(kernel, shop, 1)
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert pinger.calls == []
    assert outbox_state(kernel, shop)["completed"] == 1


def test_a_failing_handler_is_retried_then_succeeds(
    kernel: Kernel, shop: TenantInfo, pinger: Pinger, count_effects: Callable[[TenantInfo], int]
) -> None:
    pinger.failures_left = 2
    (event_id,) = ping(kernel, shop, 1)
    for _ in range(10):
        if deliver(kernel, shop.tenant_id, event_id, now=None) == "completed":
            break
        with kernel.db.transaction(shop.tenant_id) as session:  # let the (tiny) backoff pass
            session.execute(update(EventDelivery).values(next_attempt_at=None).execution_options(synchronize_session=False))
    assert count_effects(shop) == 1
    assert len(pinger.calls) == 3
    assert outbox_state(kernel, shop) == {"events": 1, "completed": 1, "parked": 0, "retrying": 1}


def test_after_the_last_try_the_event_is_parked_and_can_be_replayed(
    kernel: Kernel, shop: TenantInfo, pinger: Pinger, count_effects: Callable[[TenantInfo], int]
) -> None:
    pinger.failures_left = 3  # event_max_attempts is 3 in these tests
    (event_id,) = ping(kernel, shop, 1)
    for _ in range(3):
        deliver(kernel, shop.tenant_id, event_id)
        with kernel.db.transaction(shop.tenant_id) as session:
            session.execute(
                update(EventDelivery)
                .where(EventDelivery.status == "retrying")
                .values(next_attempt_at=None)
                .execution_options(synchronize_session=False)
            )
    state = outbox_state(kernel, shop)
    assert (state["parked"], state["completed"]) == (1, 1)
    with kernel.db.transaction(shop.tenant_id) as session:
        parked = session.scalars(select(EventDelivery)).one()
    assert parked.last_error == "RuntimeError: order system down"
    assert replay(kernel, shop.tenant_id, event_id, parked.handler)
    run_pending(kernel, tenant_id=shop.tenant_id)
    assert count_effects(shop) == 1
    assert outbox_state(kernel, shop)["parked"] == 0


def test_the_relay_claims_every_tenant_but_the_app_role_reads_only_its_own(
    kernel: Kernel, events_app: object, pg_settings: object
) -> None:
    client = events_app.test_client()  # type: ignore[attr-defined]
    a, b = signup(client), signup(client)
    ids = set(ping(kernel, a, 1, 2) + ping(kernel, b, 3))
    claimed = claim(kernel, EVERY, 30.0)
    assert ids <= {e for _, e in claimed}
    assert claim(kernel, EVERY, 30.0) == []  # dispatched, not yet stale: not handed out twice
    engine = make_engine(pg_settings.database_url)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_events")).scalar() == 0
    engine.dispose()
    for tenant in (a, b):
        run_pending(kernel, tenant_id=tenant.tenant_id)


def test_a_lost_dispatch_is_handed_out_again_after_the_redelivery_interval(
    kernel: Kernel, shop: TenantInfo, count_effects: Callable[[TenantInfo], int]
) -> None:
    (event_id,) = ping(kernel, shop, 1)
    first = [e for _, e in claim(kernel, EVERY, 30.0)]
    assert event_id in first  # ... and the job is lost (worker killed, Redis flushed)
    again = [e for _, e in claim(kernel, EVERY, 0.0)]
    assert event_id in again
    deliver(kernel, shop.tenant_id, event_id)
    assert count_effects(shop) == 1


def test_one_failing_handler_in_a_batch_costs_only_its_own_retry(
    kernel: Kernel, shop: TenantInfo, pinger: Pinger, count_effects: Callable[[TenantInfo], int]
) -> None:
    event_ids = ping(kernel, shop, *range(10))
    pinger.failures_left = 1  # the first handler call of the batch raises
    outcome = deliver_many(kernel, shop.tenant_id, event_ids)
    assert sorted(outcome.values()) == ["completed"] * 9 + ["pending"]
    assert outcome[event_ids[0]] == "pending"
    assert count_effects(shop) == 9
    # Each handler ran once: the failed one is not run again in the same delivery.
    assert sorted(pinger.calls) == sorted(event_ids)
    assert outbox_state(kernel, shop) == {"events": 10, "completed": 9, "parked": 0, "retrying": 1}


def test_concurrent_batches_of_the_same_events_have_one_effect_each(
    kernel: Kernel, shop: TenantInfo, count_effects: Callable[[TenantInfo], int]
) -> None:
    event_ids = ping(kernel, shop, *range(50))
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        deliver_many(kernel, shop.tenant_id, event_ids)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count_effects(shop) == 50
    assert outbox_state(kernel, shop)["completed"] == 50
