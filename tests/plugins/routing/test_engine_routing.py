"""The routing engine's decisions, one behaviour at a time: who gets an offer, in what order
customers are served, what overflow, stickiness, wrap-up, transfers and limits do."""

from __future__ import annotations

from typing import Any

import pytest

from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine.invariants import violations
from ccokit.plugins.routing.engine.matching import choose
from ccokit.plugins.routing.engine.model import (
    Agent,
    Conversation,
    ConvState,
    OverflowStage,
    Presence,
    QueuePolicy,
)
from ccokit.plugins.routing.engine.router import Router, RoutingError

T = "shop"


def make(router: Router, *, queue: dict[str, Any] | None = None, agents: dict[str, dict[str, Any]] | None = None,
         now: float = 0.0) -> Router:
    router.put_queue(QueuePolicy(id="q", tenant=T, **(queue or {})), now)
    for agent_id, fields in (agents or {}).items():
        fields = {"capacity": {"chat": 1}, "presence": Presence.ONLINE, **fields}
        router.put_agent(Agent(id=agent_id, tenant=T, **fields), now)
    return router


def arrive(router: Router, conv_id: str, now: float, **fields: Any) -> list[fx.Effect]:
    fields = {"queue": "q", "channel": "chat", **fields}
    out = router.arrive(Conversation(id=conv_id, tenant=T, arrived_at=now, **fields), now)
    assert violations(router, now) == []
    return out


def offers(effects: list[fx.Effect]) -> list[tuple[str, str]]:
    return [(e.conversation, e.agent) for e in effects if isinstance(e, fx.Offered | fx.Assigned)]


def test_an_arrival_rings_a_ready_agent_who_accepts():
    router = make(Router(), agents={"ann": {}})
    out = arrive(router, "c1", 0.0)
    assert out[0] == fx.Admitted("c1", "q", 0, 0.0)
    assert out[1] == fx.Offered("c1", "ann", 20.0)
    assert router.accept(T, "c1", "ann", 3.0) == [fx.Assigned("c1", "ann", 3.0)]
    assert router.conversation(T, "c1").state is ConvState.ASSIGNED


def test_nobody_ready_means_a_place_in_line_and_the_agent_pulls_the_best_when_free():
    router = make(Router(), queue={"aging_per_s": 0.0}, agents={"ann": {"presence": Presence.OFFLINE}})
    arrive(router, "low", 0.0, priority=0)
    arrive(router, "high", 1.0, priority=10)
    out = arrive(router, "low2", 2.0, priority=0)
    assert out[0].position == 3
    assert router.position(T, "high", 2.0)[0] == 1
    assert router.position(T, "low", 2.0)[0] == 2
    out = router.set_presence(T, "ann", Presence.ONLINE, 5.0)
    assert offers(out) == [("high", "ann")]


def test_aging_lets_a_long_wait_overtake_a_higher_priority():
    router = make(Router(), queue={"aging_per_s": 1.0}, agents={"ann": {"presence": Presence.OFFLINE}})
    arrive(router, "old", 0.0, priority=0)
    arrive(router, "vip", 30.0, priority=20)  # at t=40 old is worth 40, vip 30
    out = router.set_presence(T, "ann", Presence.ONLINE, 40.0)
    assert offers(out) == [("old", "ann")]


def test_skills_levels_and_language_decide_who_may_take_it():
    router = make(Router(), queue={"skills": {"refund": 2}}, agents={
        "novice": {"skills": {"refund": 1}},
        "english": {"skills": {"refund": 3}, "languages": frozenset({"en"})},
        "expert": {"skills": {"refund": 3, "vip": 1}, "languages": frozenset({"zh"})},
    })
    assert offers(arrive(router, "c1", 0.0, language="zh")) == [("c1", "expert")]
    out = arrive(router, "c2", 1.0, language="zh", skills={"vip": 1})
    assert offers(out) == []  # only the expert has vip, and they are ringing


def test_capacity_per_channel_is_never_exceeded_and_auto_accept_fills_the_seats():
    router = make(Router(), queue={"auto_accept": True}, agents={"ann": {"capacity": {"chat": 2, "video": 1}}})
    assert offers(arrive(router, "c1", 0.0)) == [("c1", "ann")]
    assert offers(arrive(router, "c2", 1.0)) == [("c2", "ann")]
    assert offers(arrive(router, "c3", 2.0)) == []
    assert offers(arrive(router, "v1", 3.0, channel="video")) == [("v1", "ann")]
    assert router.agent(T, "ann").load == {"chat": 2, "video": 1}
    out = router.complete(T, "c1", 10.0)
    assert fx.Ended("c1", "ann", "completed") in out
    assert offers(out) == [("c3", "ann")]


def test_a_decline_moves_the_offer_on_and_never_back():
    router = make(Router(), agents={"ann": {}, "bob": {}})
    first = offers(arrive(router, "c1", 0.0))[0][1]
    out = router.decline(T, "c1", first, 1.0)
    other = "bob" if first == "ann" else "ann"
    assert fx.Requeued("c1", "q", "declined", first) in out
    assert offers(out) == [("c1", other)]
    out = router.decline(T, "c1", other, 2.0)
    assert offers(out) == []  # both passed: it waits for someone else
    assert router.position(T, "c1", 2.0)[0] == 1


def test_a_missed_offer_sets_the_agent_away_and_rings_the_next():
    router = make(Router(), queue={"ring_s": 15.0}, agents={"ann": {}, "bob": {"presence": Presence.OFFLINE}})
    arrive(router, "c1", 0.0)
    router.set_presence(T, "bob", Presence.ONLINE, 1.0)
    out = router.tick(15.0)
    assert fx.PresenceChanged("ann", "away", "missed_offer") in out
    assert offers(out) == [("c1", "bob")]
    assert router.agent(T, "ann").presence is Presence.AWAY
    assert violations(router, 15.0) == []


def test_an_offer_cannot_be_accepted_after_its_ring_timed_out():
    router = make(Router(), queue={"ring_s": 10.0}, agents={"ann": {}})
    arrive(router, "c1", 0.0)
    with pytest.raises(RoutingError) as caught:
        router.accept(T, "c1", "ann", 10.5)
    assert caught.value.key == "not_offered"


def test_overflow_widens_to_a_second_group_then_to_anyone():
    router = make(Router(), queue={
        "groups": frozenset({"presales"}),
        "overflow": (OverflowStage(60.0, frozenset({"aftersales"})), OverflowStage(180.0, None)),
    }, agents={"pre": {"groups": frozenset({"presales"}), "presence": Presence.BUSY},
               "after": {"groups": frozenset({"aftersales"}), "capacity": {"chat": 1}},
               "other": {"groups": frozenset({"logistics"})}})
    assert offers(arrive(router, "c1", 0.0)) == []
    assert offers(arrive(router, "c2", 1.0)) == []
    out = router.tick(60.0)
    assert fx.Overflowed("c1", 1) in out
    assert offers(out) == [("c1", "after")]
    router.accept(T, "c1", "after", 61.0)  # c2's stage opens at 61, but "after" is full
    out = router.tick(181.0)
    assert offers(out) == [("c2", "other")]
    assert violations(router, 181.0) == []


def test_a_returning_customer_goes_back_to_their_last_agent_within_the_window():
    router = make(Router(), queue={"sticky_s": 600.0, "auto_accept": True, "strategy": "round_robin"},
                  agents={"ann": {}, "bob": {}})
    assert offers(arrive(router, "c1", 0.0, customer="alice")) == [("c1", "ann")]
    router.complete(T, "c1", 10.0)
    assert offers(arrive(router, "c2", 20.0, customer="alice")) == [("c2", "ann")]
    router.complete(T, "c2", 30.0)
    assert offers(arrive(router, "c3", 1000.0, customer="alice")) == [("c3", "bob")]  # window passed


@pytest.mark.parametrize(("strategy", "expected"), [
    ("longest_idle", "carl"),       # idle since 0; ann and bob since 4
    ("least_occupied", "bob"),      # 1 of 4 seats, against ann's 2 of 3 and carl's 1 of 2
    ("best_skill", "ann"),          # refund 3
    ("round_robin", "bob"),         # the next after ann, the last one picked
])
def test_each_strategy_picks_its_agent(strategy, expected):
    agents = [
        Agent(id=agent_id, tenant=T, skills={"refund": level}, capacity={"chat": seats},
              load={"chat": load}, idle_since=idle, presence=Presence.ONLINE)
        for agent_id, seats, load, level, idle in (
            ("carl", 2, 1, 1, 0.0), ("ann", 3, 2, 3, 4.0), ("bob", 4, 1, 2, 4.0),
        )
    ]
    policy = QueuePolicy(id="q", tenant=T, strategy=strategy, skills={"refund": 1})
    conv = Conversation(id="c", tenant=T, queue="q", channel="chat", arrived_at=5.0)
    order = {"carl": 0, "ann": 1, "bob": 2}
    assert choose(agents, policy, conv, order, last_picked="ann").id == expected


def test_round_robin_goes_around_the_team():
    router = make(Router(), queue={"strategy": "round_robin", "auto_accept": True},
                  agents={name: {"capacity": {"chat": 5}} for name in ("ann", "bob", "carl")})
    picked = [offers(arrive(router, f"c{n}", float(n)))[0][1] for n in range(6)]
    assert picked == ["ann", "bob", "carl", "ann", "bob", "carl"]


def test_queue_full_and_closed_refuse_with_a_reason():
    router = make(Router(), queue={"max_length": 1})
    arrive(router, "c1", 0.0)
    out = arrive(router, "c2", 1.0)
    assert out == [fx.Refused("c2", "q", "queue_full")]
    out = router.arrive(Conversation(id="c3", tenant=T, queue="q", channel="chat", arrived_at=2.0), 2.0,
                        open_now=False)
    assert out == [fx.Refused("c3", "q", "closed")]
    assert router.conversation(T, "c2") is None
    stats = router.queue_stats(T, "q", 2.0)
    assert (stats["admitted"], stats["refused"], stats["waiting"]) == (1, 2, 1)


def test_the_maximum_wait_ends_the_wait_with_an_alternative():
    router = make(Router(), queue={"max_wait_s": 120.0})
    arrive(router, "c1", 0.0)
    assert router.tick(119.0) == []
    assert router.tick(120.0) == [fx.Ended("c1", None, "max_wait")]
    assert router.conversation(T, "c1") is None
    assert router.queue_stats(T, "q", 121.0)["ended_max_wait"] == 1


def test_wrap_up_holds_the_seat_and_blocks_offers_until_it_ends():
    router = make(Router(), queue={"wrapup_s": 30.0, "auto_accept": True}, agents={"ann": {"capacity": {"chat": 2}}})
    arrive(router, "c1", 0.0)
    out = router.complete(T, "c1", 10.0)
    assert out == [fx.WrapUp("c1", "ann", 40.0)]
    assert offers(arrive(router, "c2", 11.0)) == []  # a free seat, but wrap-up comes first
    out = router.tick(40.0)
    assert out[0] == fx.Ended("c1", "ann", "completed")
    assert offers(out) == [("c2", "ann")]


def test_transfers_to_a_queue_keep_the_place_and_to_an_agent_fall_back():
    router = Router()
    router.put_queue(QueuePolicy(id="q", tenant=T, auto_accept=True), 0.0)
    router.put_queue(QueuePolicy(id="vip", tenant=T, groups=frozenset({"vip"})), 0.0)
    router.put_agent(Agent(id="ann", tenant=T, capacity={"chat": 1}, presence=Presence.ONLINE), 0.0)
    router.put_agent(Agent(id="bob", tenant=T, capacity={"chat": 1}, groups=frozenset({"vip"})), 0.0)
    router.arrive(Conversation(id="c1", tenant=T, queue="q", channel="chat", arrived_at=0.0), 0.0)
    out = router.transfer(T, "c1", 5.0, to_queue="vip")
    assert out[0] == fx.Requeued("c1", "vip", "transferred", "ann")
    assert router.conversation(T, "c1").state is ConvState.QUEUED
    out = router.set_presence(T, "bob", Presence.ONLINE, 6.0)
    assert offers(out) == [("c1", "bob")]
    router.accept(T, "c1", "bob", 7.0)
    with pytest.raises(RoutingError) as caught:
        router.transfer(T, "c1", 8.0, to_agent="bob")
    assert caught.value.key == "agent_unavailable"
    out = router.transfer(T, "c1", 8.0, to_agent="ann")
    assert offers(out) == [("c1", "ann")]
    out = router.decline(T, "c1", "ann", 9.0)
    assert fx.Requeued("c1", "vip", "transfer_refused", "ann") in out
    assert offers(out) == [("c1", "bob")]
    assert violations(router, 9.0) == []


def test_an_abandoned_ring_frees_the_agent_for_the_next_customer():
    router = make(Router(), agents={"ann": {}})
    arrive(router, "c1", 0.0)
    arrive(router, "c2", 1.0)
    out = router.abandon(T, "c1", 2.0)
    assert out[0] == fx.Abandoned("c1", 2.0)
    assert offers(out) == [("c2", "ann")]
    stats = router.queue_stats(T, "q", 3.0)
    assert stats["abandoned"] == 1


def test_going_away_hands_the_ringing_offer_to_someone_else():
    router = make(Router(), queue={"strategy": "round_robin"}, agents={"ann": {}, "bob": {}})
    assert offers(arrive(router, "c1", 0.0)) == [("c1", "ann")]
    out = router.set_presence(T, "ann", Presence.AWAY, 1.0)
    assert fx.Requeued("c1", "q", "presence", "ann") in out
    assert offers(out) == [("c1", "bob")]


def test_workspaces_never_share_agents_or_queues():
    router = Router()
    for tenant in ("a", "b"):
        router.put_queue(QueuePolicy(id="q", tenant=tenant, auto_accept=True), 0.0)
    router.put_agent(Agent(id="ann", tenant="a", capacity={"chat": 5}, presence=Presence.ONLINE), 0.0)
    out = router.arrive(Conversation(id="c1", tenant="b", queue="q", channel="chat", arrived_at=0.0), 0.0)
    assert offers(out) == []
    assert router.queue_stats("a", "q", 0.0)["waiting"] == 0
    assert router.queue_stats("b", "q", 0.0)["waiting"] == 1
    with pytest.raises(RoutingError):
        router.accept("b", "c1", "ann", 1.0)


def test_estimates_follow_the_queue_pace_and_their_error_is_reported():
    router = make(Router(), queue={"auto_accept": True}, agents={"ann": {"presence": Presence.OFFLINE}})
    router.set_presence(T, "ann", Presence.ONLINE, 0.0)
    # one conversation every 10 s, each handled in 10 s: the queue moves at 0.1 per second
    now = 0.0
    for number in range(30):
        arrive(router, f"w{number}", now)
        now += 10.0
        router.complete(T, f"w{number}", now)
    arrive(router, "x1", now)  # ann takes it
    out = arrive(router, "x2", now + 0.1)
    admitted = out[0]
    assert admitted.position == 1
    assert admitted.estimate_s == pytest.approx(10.0, rel=0.15)
    router.complete(T, "x1", now + 10.0)
    stats = router.queue_stats(T, "q", now + 10.0)
    assert stats["estimate_error"]["samples"] >= 1
    assert stats["answered"] == 32
    assert stats["service_level"] == 1.0


def test_a_free_video_seat_finds_the_video_call_behind_a_long_line_of_chats(monkeypatch):
    """How deep an agent looks is counted per channel: chats an agent has no seat for do not
    hide the video call they could take (the storm found this with 500 chats ahead)."""
    monkeypatch.setattr("ccokit.plugins.routing.engine.router.SCAN_LIMIT", 3)
    router = make(Router(), queue={"auto_accept": True, "aging_per_s": 0.0},
                  agents={"ann": {"capacity": {"chat": 1, "video": 1}, "presence": Presence.OFFLINE}})
    for number in range(6):
        arrive(router, f"chat{number}", float(number))
    arrive(router, "call", 10.0, channel="video")
    out = router.set_presence(T, "ann", Presence.ONLINE, 11.0)
    assert offers(out) == [("chat0", "ann"), ("call", "ann")]
    assert violations(router, 11.0) == []


def test_the_next_deadline_is_a_timer_that_would_still_do_something():
    """Timers are dropped lazily; the deadline the workspace's alarm is set for skips the ones
    whose offer was answered or whose conversation left, so a quiet workspace is not woken for
    nothing."""
    router = make(Router(), queue={"ring_s": 15.0, "wrapup_s": 30.0}, agents={"ann": {}, "bob": {}})
    arrive(router, "c1", 0.0)
    arrive(router, "c2", 1.0)
    assert router.next_deadline() == 15.0  # c1's ring
    router.accept(T, "c1", router.conversation(T, "c1").agent, 2.0)
    assert router.next_deadline() == 16.0  # c2's ring: c1's was answered
    router.abandon(T, "c2", 3.0)
    assert router.next_deadline() is None
    router.complete(T, "c1", 4.0)
    assert router.next_deadline() == 34.0  # the end of c1's wrap-up
    assert [e.conversation for e in router.tick(34.0) if isinstance(e, fx.Ended)] == ["c1"]
    assert router.next_deadline() is None
