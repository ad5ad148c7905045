"""Property-based tests of the routing engine: random histories of arrivals, presence changes,
offers taken and declined, completions, transfers, abandonments and time passing, with every
invariant checked after every step (:func:`~ccokit.plugins.routing.engine.invariants.violations`:
one agent per conversation, seats within capacity, nothing lost, no idle agent beside work they
may take), plus a ledger kept by the test itself that no conversation disappears unaccounted.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine.invariants import over_capacity, violations
from ccokit.plugins.routing.engine.model import (
    STRATEGIES,
    Agent,
    Conversation,
    ConvState,
    OverflowStage,
    Presence,
    QueuePolicy,
)
from ccokit.plugins.routing.engine.router import Router, RoutingError

TENANTS = ("t1", "t2")
CHANNELS = ("chat", "video", "ticket")
SKILLS = ("refund", "logistics", "vip")
GROUPS = ("g1", "g2", "g3")

# Mostly agents who can take most conversations (else histories are all queues that never
# move), with enough of the odd ones to reach skills, seats, groups and languages that do not fit.
skill_maps = st.one_of(st.just({}), st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2))
agent_skill_maps = st.one_of(st.just(dict.fromkeys(SKILLS, 3)),
                             st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=3))
capacities = st.one_of(st.just({"chat": 3, "video": 1, "ticket": 2}),
                       st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), min_size=1, max_size=3))
group_sets = st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(GROUPS), max_size=2))
languages = st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(("zh", "en")), max_size=2))
mostly_online = st.sampled_from((True, True, True, False))
stages = st.lists(
    st.builds(OverflowStage, after_s=st.integers(1, 30).map(float),
              groups=st.one_of(st.none(), group_sets), keep_skills=st.booleans()),
    max_size=2,
).map(lambda items: tuple(sorted(items, key=lambda s: s.after_s)))


class RoutingMachine(RuleBasedStateMachine):
    """Drives one :class:`Router` through random operations; every effect it reports is checked
    against the conversations the test has sent in."""

    def __init__(self) -> None:
        super().__init__()
        self.router = Router()
        self.now = 0.0
        self.next_id = 0
        #: every admitted conversation: tenant -> id -> last known state, from the effects alone
        self.ledger: dict[str, dict[str, str]] = {t: {} for t in TENANTS}
        self.queues: dict[str, list[str]] = {t: [] for t in TENANTS}
        self.agents: dict[str, list[str]] = {t: [] for t in TENANTS}
        #: Another process's engine, in step with this one when they last swapped, and what
        #: every decision since then touched (what the service's journal records): the two take
        #: turns deciding, as two web processes do, the one taking over catching up first.
        self.follower = Router()
        self.touched: dict[str, tuple[set[str], set[str]]] = {t: (set(), set()) for t in TENANTS}

    def _touch(self, tenant: str | None, effect: fx.Effect) -> None:
        conv_id, agent_id = getattr(effect, "conversation", None), getattr(effect, "agent", None)
        for t in (tenant,) if tenant is not None else TENANTS:  # a timer's agent: either tenant's
            if conv_id is not None:
                self.touched[t][0].add(conv_id)
            if agent_id is not None:
                self.touched[t][1].add(agent_id)

    def _apply(self, tenant: str, effects: list[fx.Effect]) -> None:
        states = self.ledger[tenant]
        granted = {
            (tenant, e.agent, self.router.conversation(tenant, e.conversation).channel)
            for e in effects
            if isinstance(e, fx.Offered | fx.Assigned) and self.router.conversation(tenant, e.conversation)
        }
        assert over_capacity(self.router, granted) == []
        for effect in effects:
            self._touch(tenant, effect)
            match effect:
                case fx.Admitted(conversation=c) | fx.Requeued(conversation=c):
                    states[c] = "queued"
                case fx.Offered(conversation=c):
                    states[c] = "offered"
                case fx.Assigned(conversation=c):
                    states[c] = "assigned"
                case fx.WrapUp(conversation=c):
                    states[c] = "wrap_up"
                case fx.Ended(conversation=c) | fx.Abandoned(conversation=c):
                    states.pop(c)
                case fx.Refused(conversation=c):
                    assert c not in states

    def _apply_all(self, effects: list[fx.Effect]) -> None:
        # effects of timers may belong to either tenant: find each conversation's ledger
        for effect in effects:
            tenant = next((t for t in TENANTS if getattr(effect, "conversation", None) in self.ledger[t]),
                          None)
            if tenant is not None:
                self._apply(tenant, [effect])
            else:
                self._touch(None, effect)

    @initialize(policies=st.lists(
        st.tuples(st.sampled_from(TENANTS), group_sets, skill_maps, st.sampled_from(STRATEGIES),
                  stages, st.booleans(), st.sampled_from((None, None, 5)), st.sampled_from((None, 40.0)),
                  st.sampled_from((0.0, 3.0, 3.0)), st.sampled_from((0.0, 30.0))),
        min_size=1, max_size=4,
    ))
    def queues_exist(self, policies: list[tuple]) -> None:
        for number, (tenant, groups, skills, strategy, overflow, auto, max_len, max_wait, wrapup,
                     sticky) in enumerate(policies):
            queue_id = f"q{number}"
            self.router.put_queue(QueuePolicy(
                id=queue_id, tenant=tenant, groups=groups, skills=skills, strategy=strategy,
                overflow=overflow, auto_accept=auto, max_length=max_len, max_wait_s=max_wait,
                wrapup_s=wrapup, sticky_s=sticky, ring_s=10.0, aging_per_s=0.5,
            ), self.now)
            self.queues[tenant].append(queue_id)
        self._reconfigured()

    @initialize(staff=st.lists(st.tuples(st.sampled_from(TENANTS), agent_skill_maps, languages, capacities,
                                         group_sets, mostly_online), max_size=6))
    def agents_exist(self, staff: list[tuple]) -> None:
        for agent in staff:
            self._join(*agent)

    @rule(tenant=st.sampled_from(TENANTS), skills=agent_skill_maps, langs=languages, capacity=capacities,
          groups=group_sets, online=mostly_online)
    def agent_joins(self, tenant: str, skills: dict, langs: frozenset, capacity: dict, groups: frozenset,
                    online: bool) -> None:
        self._join(tenant, skills, langs, capacity, groups, online)

    def _join(self, tenant: str, skills: dict, langs: frozenset, capacity: dict, groups: frozenset,
              online: bool) -> None:
        agent_id = f"a{len(self.agents[tenant])}"
        self.agents[tenant].append(agent_id)
        presence = Presence.ONLINE if online else Presence.OFFLINE
        self._apply(tenant, self.router.put_agent(Agent(
            id=agent_id, tenant=tenant, skills=skills, languages=langs, capacity=capacity, groups=groups,
            presence=presence,
        ), self.now))
        self._reconfigured()

    @precondition(lambda self: any(self.agents.values()))
    @rule(data=st.data(), skills=agent_skill_maps, capacity=capacities, groups=group_sets)
    def agent_changes(self, data: st.DataObject, skills: dict, capacity: dict, groups: frozenset) -> None:
        tenant = data.draw(st.sampled_from([t for t in TENANTS if self.agents[t]]))
        agent_id = data.draw(st.sampled_from(self.agents[tenant]))
        self._apply(tenant, self.router.put_agent(Agent(
            id=agent_id, tenant=tenant, skills=skills, capacity=capacity, groups=groups,
        ), self.now))
        self._reconfigured()

    @precondition(lambda self: any(self.agents.values()))
    @rule(data=st.data(), presence=st.sampled_from([Presence.ONLINE] * 3 + list(Presence)))
    def presence_changes(self, data: st.DataObject, presence: Presence) -> None:
        tenant = data.draw(st.sampled_from([t for t in TENANTS if self.agents[t]]))
        agent_id = data.draw(st.sampled_from(self.agents[tenant]))
        self.touched[tenant][1].add(agent_id)
        self._apply(tenant, self.router.set_presence(tenant, agent_id, presence, self.now))

    @precondition(lambda self: any(self.queues.values()))
    @rule(data=st.data(), arrivals=st.lists(st.tuples(
        st.sampled_from(CHANNELS), skill_maps, st.sampled_from((None, "zh", "en")), st.integers(0, 40),
        st.sampled_from((None, "c1", "c2", "c3")), st.sampled_from((True, True, True, False))),
        min_size=1, max_size=4))
    def customers_arrive(self, data: st.DataObject, arrivals: list[tuple]) -> None:
        """One to four customers at the same moment (so histories hold enough conversations)."""
        for channel, skills, language, priority, customer, open_now in arrivals:
            self._arrive(data, channel, skills, language, priority, customer, open_now)

    def _arrive(self, data: st.DataObject, channel: str, skills: dict, language: str | None,
                priority: int, customer: str | None, open_now: bool) -> None:
        tenant = data.draw(st.sampled_from([t for t in TENANTS if self.queues[t]]))
        queue_id = data.draw(st.sampled_from(self.queues[tenant]))
        self.next_id += 1
        conv_id = f"c{self.next_id}"
        effects = self.router.arrive(Conversation(
            id=conv_id, tenant=tenant, queue=queue_id, channel=channel, arrived_at=self.now,
            priority=float(priority), skills=skills, language=language,
            customer=f"{tenant}-{customer}" if customer else None,
        ), self.now, open_now=open_now)
        at = next(i for i, e in enumerate(effects)
                  if isinstance(e, fx.Admitted | fx.Refused) and e.conversation == conv_id)
        first = effects[at]
        if not open_now:
            assert isinstance(first, fx.Refused)
            assert first.reason == "closed"
        self._apply_all(effects[:at])  # timers due by now, run before the arrival
        own = effects[at:]
        if isinstance(first, fx.Admitted):
            self.ledger[tenant][conv_id] = "queued"
        self._apply(tenant, own)

    def _pick(self, data: st.DataObject, state: str) -> tuple[str, str] | None:
        choices = [(t, c) for t in TENANTS for c, s in self.ledger[t].items() if s == state]
        return data.draw(st.sampled_from(choices)) if choices else None

    @rule(data=st.data(), take=st.booleans())
    def agent_answers_offer(self, data: st.DataObject, take: bool) -> None:
        picked = self._pick(data, "offered")
        if picked is None:
            return
        tenant, conv_id = picked
        agent_id = self.router.conversation(tenant, conv_id).agent
        action = self.router.accept if take else self.router.decline
        self._apply(tenant, action(tenant, conv_id, agent_id, self.now))

    @rule(data=st.data())
    def wrong_agent_cannot_accept(self, data: st.DataObject) -> None:
        picked = self._pick(data, "offered")
        if picked is None or len(self.agents[picked[0]]) < 2:
            return
        tenant, conv_id = picked
        holder = self.router.conversation(tenant, conv_id).agent
        other = next(a for a in self.agents[tenant] if a != holder)
        with pytest.raises(RoutingError) as refused:
            self.router.accept(tenant, conv_id, other, self.now)
        assert refused.value.key == "not_offered"

    @rule(data=st.data())
    def agent_completes(self, data: st.DataObject) -> None:
        picked = self._pick(data, "assigned")
        if picked is not None:
            self._apply(picked[0], self.router.complete(picked[0], picked[1], self.now))

    @rule(data=st.data())
    def wrap_up_ends_early(self, data: st.DataObject) -> None:
        picked = self._pick(data, "wrap_up")
        if picked is not None:
            self._apply(picked[0], self.router.end_wrapup(picked[0], picked[1], self.now))

    @rule(data=st.data(), state=st.sampled_from(("queued", "offered")))
    def customer_leaves(self, data: st.DataObject, state: str) -> None:
        picked = self._pick(data, state)
        if picked is not None:
            self._apply(picked[0], self.router.abandon(picked[0], picked[1], self.now))

    @rule(data=st.data(), to_agent=st.booleans())
    def agent_transfers(self, data: st.DataObject, to_agent: bool) -> None:
        picked = self._pick(data, "assigned")
        if picked is None:
            return
        tenant, conv_id = picked
        try:
            if to_agent:
                target = data.draw(st.sampled_from(self.agents[tenant]))
                effects = self.router.transfer(tenant, conv_id, self.now, to_agent=target)
            else:
                target = data.draw(st.sampled_from(self.queues[tenant]))
                effects = self.router.transfer(tenant, conv_id, self.now, to_queue=target)
        except RoutingError as exc:
            refusal = exc.key
        else:
            self._apply(tenant, effects)
            return
        assert refusal == "agent_unavailable"
        assert self.ledger[tenant][conv_id] == "assigned"

    def _rebuilt(self) -> Router:
        """A new engine given the configuration, the agents' presence and the live conversations
        as recorded (what the durable record keeps)."""
        old, new = self.router, Router()
        for tenant in TENANTS:
            state = old._tenants.get(tenant)
            if state is None:
                continue
            for policy in old.queues(tenant):
                new.put_queue(dataclasses.replace(policy), self.now)
                new.recall_queue(tenant, policy.id, old.queue_memory(tenant, policy.id))
            for agent_id in self.agents[tenant]:
                agent = old.agent(tenant, agent_id)
                new.put_agent(Agent(id=agent.id, tenant=tenant, skills=dict(agent.skills), languages=agent.languages,
                                    capacity=dict(agent.capacity), groups=agent.groups, presence=agent.presence),
                              self.now)
                new.agent(tenant, agent_id).idle_since = agent.idle_since
            for customer, (agent_id, at) in state.recent.items():
                new.remember_customer(tenant, customer, agent_id, at)
            for conv in sorted(state.conversations.values(), key=lambda c: c.key or (0.0, 0.0, 0)):
                new.restore(self._recorded(conv), self.now)
        return new

    @staticmethod
    def _recorded(conv: Conversation) -> Conversation:
        return dataclasses.replace(conv, declined_by=set(conv.declined_by), key=None, epoch=0)

    def _takes_over(self, new: Router) -> None:
        """``new`` carries on exactly where the current engine is, and becomes it."""
        old = self.router
        for tenant in TENANTS:
            assert new.settle(tenant, self.now) == []  # nothing was left undecided
            for conv_id in self.ledger[tenant]:
                before, after = old.conversation(tenant, conv_id), new.conversation(tenant, conv_id)
                assert (after.state, after.agent, after.until) == (before.state, before.agent, before.until)
                if before.state is ConvState.QUEUED:
                    assert new.position(tenant, conv_id, self.now)[0] == old.position(tenant, conv_id, self.now)[0]
            for agent_id in self.agents[tenant]:
                before, after = old.agent(tenant, agent_id), new.agent(tenant, agent_id)
                assert (after.presence, after.load, after.holding, after.offer, after.wrapup_until,
                        after.idle_since) == (before.presence, before.load, before.holding, before.offer,
                                              before.wrapup_until, before.idle_since)
                assert (agent_id in new._tenants[tenant].ready) == (agent_id in old._tenants[tenant].ready)
        self.router = new

    @rule()
    def engine_is_rebuilt_from_its_record(self) -> None:
        self._takes_over(self._rebuilt())

    def _reconfigured(self) -> None:
        """After a change of configuration the other engine is rebuilt, not caught up."""
        self.follower = self._rebuilt()
        self.touched = {t: (set(), set()) for t in TENANTS}

    @rule()
    def another_engine_catches_up(self) -> None:
        """The other engine, given only the record of what the decisions since it was in step
        touched, is where a rebuild would be, and carries on."""
        follower, old = self.follower, self.router
        for tenant in TENANTS:
            state = old._tenants.get(tenant)
            if state is None:
                continue
            convs, agents = self.touched[tenant]
            live = sorted((old.conversation(tenant, c) for c in convs if old.conversation(tenant, c)),
                          key=lambda c: c.key or (0.0, 0.0, 0))
            known = [a for a in sorted(agents) if old.agent(tenant, a) is not None]
            follower.catch_up(tenant, sorted(convs), [self._recorded(c) for c in live],
                              [(a, old.agent(tenant, a).presence, old.agent(tenant, a).idle_since) for a in known],
                              self.now)
            for customer, (agent_id, at) in state.recent.items():
                follower.remember_customer(tenant, customer, agent_id, at)
            for policy in old.queues(tenant):
                follower.recall_queue(tenant, policy.id, old.queue_memory(tenant, policy.id))
        self._takes_over(follower)
        self.follower = old
        self.touched = {t: (set(), set()) for t in TENANTS}

    @rule(seconds=st.sampled_from((0.5, 2.0, 11.0, 31.0)))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        self._apply_all(self.router.tick(self.now))

    @invariant()
    def state_is_sound(self) -> None:
        assert violations(self.router, self.now) == []

    @invariant()
    def ledger_matches_engine(self) -> None:
        for tenant in TENANTS:
            for conv_id, state in self.ledger[tenant].items():
                conv = self.router.conversation(tenant, conv_id)
                assert conv is not None, f"{conv_id} was lost"
                assert conv.state is ConvState(state), f"{conv_id}: effects say {state}, engine {conv.state}"
            state = self.router._tenants.get(tenant)
            assert set(state.conversations if state is not None else ()) == set(self.ledger[tenant])


RoutingMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestRouting = RoutingMachine.TestCase
