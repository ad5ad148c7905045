"""``client.routing`` against the real app (PostgreSQL) in-process: configuration, a conversation
from arrival to completion, declines, stale accepts, transfers, abandonment, paging, presence,
figures, the async client and errors.

The SDK's token is an API client's (it acts for no member), so agents' actions name the agent
with ``agent_id``, as an agent desk's back end does.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import httpx
import pytest

from ccokit_sdk import AsyncClient, Client, Conflict, NotFound, PermissionDenied, ValidationError
from ccokit_sdk.objects import APIObject
from ccokit_sdk.testing import AsyncWSGITransport
from ccokit_sdk.types import (
    AgentWork,
    BusinessHours,
    Conversation,
    EstimateError,
    Handed,
    OverflowStage,
    QueueStats,
    RoutingAgent,
    RoutingGroup,
    RoutingQueue,
    RoutingStats,
    WorkspaceStats,
)
from tests.conftest import PASSWORD, TenantInfo
from tests.sdk.conftest import FAST_RETRIES, Recorder

CONVERSATIONS = "/api/v1/routing/conversations"
UNKNOWN = "01JD3M6ZK7Q3XG5W2V8N4T9R1B"


def exactly_typed(obj: APIObject) -> None:
    """Every member the API sent is a typed field and every typed field was sent: a field the SDK
    misspells (read as ``None``) or one the API added that the SDK lacks (only in ``extra``) fails."""
    typed = {f.name for f in dataclasses.fields(obj) if f.name not in ("extra", "_raw")}
    assert set(obj.to_dict()) == typed, type(obj).__name__
    assert dict(obj.extra) == {}


def make_agent(sdk: Client, name: str, **config: object) -> RoutingAgent:
    """A member of the workspace made an agent (the free plan allows five members)."""
    member = sdk.members.create(email=f"{name}@shop.example", display_name=name.title(), role="agent",
                                password=PASSWORD)
    return sdk.routing.agents.create(member_id=member.id, **config)  # type: ignore[arg-type]


def test_configuration_round_trips_typed(sdk: Client) -> None:
    supervisor = sdk.members.create(email="lead@shop.example", display_name="Lead", role="supervisor",
                                    password=PASSWORD)
    presales = sdk.routing.groups.create(name="售前", supervisor_ids=[supervisor.id])
    aftersales = sdk.routing.groups.create(name="售后")
    assert isinstance(presales, RoutingGroup)
    assert presales.id.startswith("rgrp_")
    assert presales.supervisor_ids == [supervisor.id]
    exactly_typed(presales)

    queue = sdk.routing.queues.create(
        name="店铺咨询", group_ids=[presales.id], skills={"presales": 2}, strategy="best_skill",
        aging_per_min=2.5, channel_weights={"video": 10}, value_weight=0.5, sticky_s=1800, max_length=500,
        max_wait_s=600, ring_s=15, wrapup_s=30, auto_accept=True, service_level_s=30,
        overflow=[{"after_s": 60, "group_ids": [aftersales.id]},
                  {"after_s": 180, "group_ids": None, "keep_skills": False}],
        hours={"timezone": "Asia/Shanghai", "weekly": {"mon": [["09:00", "21:00"]]},
               "closed_dates": ["2026-02-17"]},
    )
    assert isinstance(queue, RoutingQueue)
    exactly_typed(queue)
    assert queue.id.startswith("que_")
    assert (queue.strategy, queue.aging_per_min, queue.ring_s, queue.auto_accept) == ("best_skill", 2.5, 15, True)
    assert queue.overflow == [
        OverflowStage(after_s=60, group_ids=[aftersales.id], keep_skills=True),
        OverflowStage(after_s=180, group_ids=None, keep_skills=False),
    ]
    assert isinstance(queue.hours, BusinessHours)
    assert (queue.hours.timezone, queue.hours.weekly, queue.hours.closed_dates) == (
        "Asia/Shanghai", {"mon": [["09:00", "21:00"]]}, ["2026-02-17"])
    assert isinstance(queue.created_at, datetime)
    assert queue.created_at.tzinfo is not None
    assert sdk.routing.queues.get(queue.id) == queue

    changed = sdk.routing.queues.update(queue.id, strategy="round_robin", clear=["hours", "max_length"])
    assert (changed.strategy, changed.hours, changed.max_length) == ("round_robin", None, None)
    assert (changed.max_wait_s, changed.ring_s, changed.name) == (600, 15, "店铺咨询")  # not given: kept

    agent = make_agent(sdk, "ann", skills={"presales": 3}, languages=["zh", "en"],
                       capacity={"chat": 3, "video": 1}, group_ids=[presales.id])
    assert isinstance(agent, RoutingAgent)
    exactly_typed(agent)
    assert agent.id.startswith("mem_")
    assert (agent.skills, agent.languages, agent.capacity, agent.group_ids) == (
        {"presales": 3}, ["zh", "en"], {"chat": 3, "video": 1}, [presales.id])
    assert agent.presence == "offline"  # no offers until online
    moved = sdk.routing.agents.update(agent.id, capacity={"chat": 5}, group_ids=[aftersales.id])
    assert (moved.capacity, moved.group_ids, moved.skills) == ({"chat": 5}, [aftersales.id], {"presales": 3})

    renamed = sdk.routing.groups.update(presales.id, name="售前咨询")
    assert (renamed.name, renamed.supervisor_ids) == ("售前咨询", [supervisor.id])  # not given: kept
    assert [g.name for g in sdk.routing.groups.list(limit=1)] == ["售前咨询", "售后"]
    assert [q.id for q in sdk.routing.queues.list()] == [queue.id]
    assert [a.id for a in sdk.routing.agents.list()] == [agent.id]

    with pytest.raises(Conflict):  # the queue still names the group
        sdk.routing.groups.delete(presales.id)
    sdk.routing.agents.delete(agent.id)
    sdk.routing.queues.delete(queue.id)
    sdk.routing.groups.delete(presales.id)
    for gone in (lambda: sdk.routing.agents.get(agent.id), lambda: sdk.routing.queues.get(queue.id),
                 lambda: sdk.routing.groups.get(presales.id)):
        with pytest.raises(NotFound):
            gone()
    assert sdk.members.get(agent.id).email == "ann@shop.example"  # the member stays
    assert [g.id for g in sdk.routing.groups.list()] == [aftersales.id]


def test_a_groups_supervisors_can_be_changed(sdk: Client) -> None:
    lead = sdk.members.create(email="lead@shop.example", display_name="Lead", role="supervisor",
                              password=PASSWORD)
    group = sdk.routing.groups.create(name="售前")
    assert sdk.routing.groups.update(group.id, supervisor_ids=[lead.id]).supervisor_ids == [lead.id]


def test_a_conversation_is_offered_accepted_and_completed(sdk: Client) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    ann = make_agent(sdk, "ann", capacity={"chat": 2})
    gold = sdk.customers.create(name="王小明", tier="gold")
    online = sdk.routing.agents.set_presence(ann.id, "online")
    assert isinstance(online, AgentWork)
    assert (online.presence, online.offer, online.holding) == ("online", None, [])

    conv = sdk.routing.conversations.create(queue_id=queue.id, channel="chat", customer_id=gold.id,
                                            language="zh", external_ref="chat-42", value=99.5)
    assert isinstance(conv, Conversation)
    exactly_typed(conv)
    assert conv.id.startswith("conv_")
    assert (conv.state, conv.agent_id, conv.position, conv.external_ref) == ("offered", ann.id, 0, "chat-42")
    assert (conv.customer_id, conv.tier, conv.value, conv.language) == (gold.id, "gold", 99.5, "zh")
    assert conv.priority > 0  # the gold tier's boost
    assert isinstance(conv.offer_expires_at, datetime)
    assert conv.handed == [Handed(conversation_id=conv.id, agent_id=ann.id, state="offered", channel="chat",
                                  offer_expires_at=conv.offer_expires_at)]
    exactly_typed(conv.handed[0])

    work = sdk.routing.agents.work(ann.id)
    assert work.offer is not None
    assert (work.offer.id, work.holding) == (conv.id, [])

    taken = sdk.routing.conversations.accept(conv.id, agent_id=ann.id)
    assert (taken.state, taken.agent_id) == ("assigned", ann.id)
    assert taken.handed == [Handed(conversation_id=conv.id, agent_id=ann.id, state="assigned", channel="chat",
                                   offer_expires_at=None)]
    assert taken.waited_s is not None
    assert isinstance(taken.assigned_at, datetime)
    assert [c.id for c in sdk.routing.agents.work(ann.id).holding] == [conv.id]

    done = sdk.routing.conversations.complete(conv.id, agent_id=ann.id)
    assert (done.state, done.end_reason) == ("ended", "completed")
    assert isinstance(done.ended_at, datetime)
    fetched = sdk.routing.conversations.get(conv.id)
    assert (fetched.state, fetched.position, fetched.handed) == ("ended", None, [])
    assert sdk.routing.agents.work(ann.id).holding == []


def test_a_completion_with_wrap_up_hands_the_agent_their_next(sdk: Client) -> None:
    queue = sdk.routing.queues.create(name="售后", wrapup_s=600, auto_accept=True)
    ann = make_agent(sdk, "ann", capacity={"chat": 1})
    sdk.routing.agents.set_presence(ann.id, "online")
    first = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    second = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    assert (first.state, second.state, second.position) == ("assigned", "queued", 1)

    wrapping = sdk.routing.conversations.complete(first.id, agent_id=ann.id)
    assert wrapping.state == "wrap_up"
    assert isinstance(wrapping.wrapup_until, datetime)
    assert wrapping.handed == []  # the seat stays taken through wrap-up
    ready = sdk.routing.conversations.end_wrapup(first.id, agent_id=ann.id)
    assert (ready.state, ready.end_reason) == ("ended", "completed")
    assert [(h.conversation_id, h.agent_id, h.state) for h in ready.handed] == [(second.id, ann.id, "assigned")]


def test_a_decline_moves_the_offer_and_a_stale_accept_is_a_conflict(sdk: Client, recorder: Recorder) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    ann, bob = make_agent(sdk, "ann"), make_agent(sdk, "bob")
    for agent in (ann, bob):
        sdk.routing.agents.set_presence(agent.id, "online")
    conv = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    first = conv.agent_id
    assert first in (ann.id, bob.id)
    other = bob.id if first == ann.id else ann.id

    moved = sdk.routing.conversations.decline(conv.id, agent_id=first)
    assert (moved.state, moved.agent_id) == ("offered", other)
    assert [(h.conversation_id, h.agent_id, h.state) for h in moved.handed] == [(conv.id, other, "offered")]

    accepts = f"{CONVERSATIONS}/{conv.id}/accept"
    with pytest.raises(Conflict) as stale:
        sdk.routing.conversations.accept(conv.id, agent_id=first)
    assert stale.value.status == 409
    assert "not ringing this agent" in (stale.value.detail or "")
    assert [s.status for s in recorder.requests("POST", accepts)] == [409]  # final: not tried again
    assert sdk.routing.conversations.get(conv.id).agent_id == other  # nothing changed

    assert sdk.routing.conversations.accept(conv.id, agent_id=other).state == "assigned"


def test_transfer_to_an_agent_and_to_a_queue_then_abandon(sdk: Client) -> None:
    sales = sdk.routing.queues.create(name="售前")
    refunds = sdk.routing.queues.create(name="退款", skills={"refund": 2})  # nobody has the skill
    ann, bob = make_agent(sdk, "ann"), make_agent(sdk, "bob")
    sdk.routing.agents.set_presence(ann.id, "online")
    conv = sdk.routing.conversations.create(queue_id=sales.id, channel="chat")
    sdk.routing.conversations.accept(conv.id, agent_id=ann.id)

    sdk.routing.agents.set_presence(bob.id, "online")
    ringing = sdk.routing.conversations.transfer(conv.id, to_agent_id=bob.id, agent_id=ann.id)
    assert (ringing.state, ringing.agent_id) == ("offered", bob.id)
    assert [(h.agent_id, h.state) for h in ringing.handed] == [(bob.id, "offered")]
    sdk.routing.conversations.accept(conv.id, agent_id=bob.id)

    queued = sdk.routing.conversations.transfer(conv.id, to_queue_id=refunds.id, agent_id=bob.id)
    assert (queued.state, queued.queue_id, queued.agent_id) == ("queued", refunds.id, None)
    assert sdk.routing.conversations.get(conv.id).position == 1
    assert sdk.routing.agents.work(bob.id).holding == []

    left = sdk.routing.conversations.abandon(conv.id)
    assert (left.state, left.end_reason) == ("abandoned", "abandoned")
    with pytest.raises(Conflict):
        sdk.routing.conversations.abandon(conv.id)  # already over


def test_conversations_list_pages_and_filters(sdk: Client, recorder: Recorder) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    other = sdk.routing.queues.create(name="售后")
    created = [sdk.routing.conversations.create(queue_id=queue.id, channel="chat", external_ref=f"c{n}")
               for n in range(5)]
    elsewhere = sdk.routing.conversations.create(queue_id=other.id, channel="video")

    pager = sdk.routing.conversations.list(queue_id=queue.id, limit=2)
    assert recorder.requests("GET", CONVERSATIONS) == []  # nothing fetched before iterating
    listed = list(pager)
    assert all(isinstance(c, Conversation) for c in listed)
    assert [c.id for c in listed] == [c.id for c in created]  # oldest first
    assert len(recorder.requests("GET", CONVERSATIONS)) == 3  # 2 + 2 + 1
    first = sdk.routing.conversations.list(limit=2).first_page()
    assert (len(first.items), first.next_cursor is not None) == (2, True)
    assert [len(p.items) for p in sdk.routing.conversations.list(state="queued", limit=4).pages()] == [4, 2]

    ann = make_agent(sdk, "ann", capacity={"chat": 1})
    sdk.routing.agents.set_presence(ann.id, "online")  # pulls the first waiting chat
    sdk.routing.conversations.abandon(created[4].id)
    assert [c.id for c in sdk.routing.conversations.list(agent_id=ann.id)] == [created[0].id]
    assert [c.id for c in sdk.routing.conversations.list(state="abandoned")] == [created[4].id]
    assert [c.id for c in sdk.routing.conversations.list(queue_id=other.id)] == [elsewhere.id]
    assert [c.id for c in sdk.routing.conversations.list(state="offered", queue_id=other.id)] == []


def test_presence_decides_who_gets_offers(sdk: Client) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    ann = make_agent(sdk, "ann")
    busy = sdk.routing.agents.set_presence(ann.id, "busy")
    assert busy.presence == "busy"
    conv = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    assert (conv.state, conv.agent_id, conv.position) == ("queued", None, 1)
    assert sdk.routing.agents.work(ann.id).offer is None

    online = sdk.routing.agents.set_presence(ann.id, "online")  # the waiting chat rings them at once
    assert online.offer is not None
    assert (online.presence, online.offer.id, online.offer.state) == ("online", conv.id, "offered")
    assert sdk.routing.agents.get(ann.id).presence == "online"

    away = sdk.routing.agents.set_presence(ann.id, "away")  # leaving online hands the offer back
    assert (away.presence, away.offer) == ("away", None)
    assert sdk.routing.conversations.get(conv.id).state == "queued"

    again = sdk.routing.agents.set_presence(ann.id, "online")
    assert again.offer is not None
    sdk.routing.conversations.accept(again.offer.id, agent_id=ann.id)
    held = sdk.routing.agents.set_presence(ann.id, "offline")  # what they hold stays with them
    assert (held.presence, [c.id for c in held.holding]) == ("offline", [conv.id])
    with pytest.raises(Conflict):  # an agent holding conversations cannot be removed
        sdk.routing.agents.delete(ann.id)
    assert sdk.routing.agents.get(ann.id).presence == "offline"


def test_queue_and_workspace_figures(sdk: Client) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    quiet = sdk.routing.queues.create(name="夜间")
    ann = make_agent(sdk, "ann", capacity={"chat": 1})
    sdk.routing.agents.set_presence(ann.id, "online")
    answered = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    sdk.routing.conversations.accept(answered.id, agent_id=ann.id)
    sdk.routing.conversations.create(queue_id=queue.id, channel="chat")  # waits: the seat is taken
    left = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    sdk.routing.conversations.abandon(left.id)

    figures = sdk.routing.queues.stats(queue.id)
    assert isinstance(figures, QueueStats)
    exactly_typed(figures)
    assert (figures.queue_id, figures.name) == (queue.id, "店铺咨询")
    assert (figures.waiting, figures.admitted, figures.answered, figures.abandoned) == (1, 3, 1, 1)
    assert figures.agents == {"online": 1, "busy": 0, "away": 0, "offline": 0}
    assert (figures.occupancy, figures.abandonment) == (1.0, 0.5)
    assert isinstance(figures.estimate_error, EstimateError)
    exactly_typed(figures.estimate_error)
    assert figures.estimate_error.samples == 1

    overall = sdk.routing.stats()
    assert isinstance(overall, RoutingStats)
    exactly_typed(overall)
    assert isinstance(overall.workspace, WorkspaceStats)
    exactly_typed(overall.workspace)
    assert (overall.workspace.waiting, overall.workspace.admitted, overall.workspace.abandoned) == (1, 3, 1)
    assert [(q.name, q.admitted) for q in overall.queues] == [("夜间", 0), ("店铺咨询", 3)]  # by name
    assert all(isinstance(q, QueueStats) for q in overall.queues)
    assert overall.queues[0].queue_id == quiet.id


def test_the_async_client_from_arrival_to_completion(recorder: Recorder, tenant: TenantInfo) -> None:
    async def agent(aio: AsyncClient, name: str, group_id: str) -> RoutingAgent:
        member = await aio.members.create(email=f"{name}@shop.example", display_name=name.title(), role="agent",
                                          password=PASSWORD)
        made = await aio.routing.agents.create(member_id=member.id, group_ids=[group_id])
        assert (await aio.routing.agents.set_presence(made.id, "online")).presence == "online"
        return made

    async def scenario() -> None:
        async with AsyncClient("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                               transport=AsyncWSGITransport(recorder), retry=FAST_RETRIES) as aio:
            group = await aio.routing.groups.create(name="售前")
            queue = await aio.routing.queues.create(name="店铺咨询", group_ids=[group.id], wrapup_s=600)
            ann, bob = await agent(aio, "ann", group.id), await agent(aio, "bob", group.id)

            conv = await aio.routing.conversations.create(queue_id=queue.id, channel="chat")
            first = conv.agent_id
            other = bob.id if first == ann.id else ann.id
            assert first in (ann.id, bob.id)
            assert [h.conversation_id for h in conv.handed] == [conv.id]
            offer = (await aio.routing.agents.work(first)).offer
            assert offer is not None
            assert offer.id == conv.id
            moved = await aio.routing.conversations.decline(conv.id, agent_id=first)
            assert (moved.state, moved.agent_id) == ("offered", other)
            with pytest.raises(Conflict):
                await aio.routing.conversations.accept(conv.id, agent_id=first)
            assert (await aio.routing.conversations.accept(conv.id, agent_id=other)).state == "assigned"
            wrapping = await aio.routing.conversations.complete(conv.id, agent_id=other)
            assert wrapping.state == "wrap_up"
            done = await aio.routing.conversations.end_wrapup(conv.id, agent_id=other)
            assert (done.state, done.end_reason) == ("ended", "completed")

            second = await aio.routing.conversations.create(queue_id=queue.id, channel="chat")
            taker = second.agent_id
            assert taker is not None
            await aio.routing.conversations.accept(second.id, agent_id=taker)
            to = bob.id if taker == ann.id else ann.id
            ringing = await aio.routing.conversations.transfer(second.id, to_agent_id=to, agent_id=taker)
            assert (ringing.state, ringing.agent_id) == ("offered", to)
            left = await aio.routing.conversations.abandon(second.id)
            assert (left.state, left.end_reason) == ("abandoned", "abandoned")

            assert [c.id async for c in aio.routing.conversations.list(state="ended", limit=1)] == [conv.id]
            assert [q.id async for q in aio.routing.queues.list()] == [queue.id]
            figures = await aio.routing.queues.stats(queue.id)
            assert (figures.answered, figures.abandoned) == (2, 1)
            assert (await aio.routing.stats()).workspace.admitted == 2
            assert (await aio.routing.agents.get(ann.id)).group_ids == [group.id]
            with pytest.raises(NotFound):
                await aio.routing.conversations.get(f"conv_{UNKNOWN}")

    asyncio.run(scenario())


def test_unknown_ids_are_not_found(sdk: Client) -> None:
    queue = sdk.routing.queues.create(name="店铺咨询")
    for call in (
        lambda: sdk.routing.conversations.get(f"conv_{UNKNOWN}"),
        lambda: sdk.routing.conversations.accept(f"conv_{UNKNOWN}", agent_id=f"mem_{UNKNOWN}"),
        lambda: sdk.routing.queues.get(f"que_{UNKNOWN}"),
        lambda: sdk.routing.queues.stats(f"que_{UNKNOWN}"),
        lambda: sdk.routing.groups.get(f"rgrp_{UNKNOWN}"),
        lambda: sdk.routing.agents.work(f"mem_{UNKNOWN}"),
        lambda: sdk.routing.agents.set_presence(f"mem_{UNKNOWN}", "online"),
        lambda: sdk.routing.queues.get(f"rgrp_{UNKNOWN}"),  # an id of another kind
    ):
        with pytest.raises(NotFound) as missing:
            call()
        assert missing.value.status == 404
    assert sdk.routing.queues.get(queue.id).id == queue.id


def test_invalid_input_is_a_validation_error_per_field(sdk: Client) -> None:
    with pytest.raises(ValidationError) as bad_queue:
        sdk.routing.queues.create(name="", strategy="fastest", ring_s=1)
    assert set(bad_queue.value.errors) == {"name", "strategy", "ring_s"}
    assert bad_queue.value.errors["ring_s"] == ["Must be greater than or equal to 5 and less than or equal to 300."]

    queue = sdk.routing.queues.create(name="店铺咨询")
    with pytest.raises(ValidationError) as bad_arrival:
        sdk.routing.conversations.create(queue_id=queue.id, channel="fax", priority=101)
    assert bad_arrival.value.errors["channel"] == ["Must be one of: chat, video, phone, ticket."]
    assert set(bad_arrival.value.errors) == {"channel", "priority"}

    ann = make_agent(sdk, "ann")
    with pytest.raises(ValidationError) as bad_presence:
        sdk.routing.agents.set_presence(ann.id, "sleeping")
    assert bad_presence.value.errors == {"presence": ["Must be one of: online, busy, away, offline."]}

    sdk.routing.agents.set_presence(ann.id, "online")
    conv = sdk.routing.conversations.create(queue_id=queue.id, channel="chat")
    with pytest.raises(ValidationError) as nobody:  # an API client's token acts for no member
        sdk.routing.conversations.accept(conv.id)
    assert list(nobody.value.errors) == ["agent_id"]
    sdk.routing.conversations.accept(conv.id, agent_id=ann.id)
    with pytest.raises(ValidationError) as two_targets:
        sdk.routing.conversations.transfer(conv.id, to_queue_id=queue.id, to_agent_id=ann.id, agent_id=ann.id)
    assert two_targets.value.errors == {"to_queue_id": ["Name one target: to_queue_id or to_agent_id."]}
    with pytest.raises(Conflict) as twice:  # a taken value: 409, with the field's message
        sdk.routing.agents.create(member_id=ann.id)
    assert twice.value.errors == {"id": ["This member is already an agent."]}


def test_a_taken_name_conflicts_and_scopes_are_enforced(sdk: Client, recorder: Recorder,
                                                         tenant: TenantInfo) -> None:
    sdk.routing.groups.create(name="售前")
    with pytest.raises(Conflict) as taken:
        sdk.routing.groups.create(name="售前")
    assert taken.value.status == 409
    queue = sdk.routing.queues.create(name="店铺咨询")
    with Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                scopes=["routing:read"], transport=httpx.WSGITransport(app=recorder),
                retry=FAST_RETRIES) as reader:
        assert reader.routing.queues.get(queue.id).name == "店铺咨询"
        assert reader.routing.stats().workspace.admitted == 0
        with pytest.raises(PermissionDenied):
            reader.routing.conversations.create(queue_id=queue.id, channel="chat")
    assert list(sdk.routing.conversations.list()) == []
