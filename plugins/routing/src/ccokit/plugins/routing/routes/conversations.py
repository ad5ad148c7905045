"""HTTP views of conversations, agents' work and presence, and live queue figures.

A channel (chat gateway, video service, call-back form) creates conversations with
``routing:write``; agents act with ``routing:agent``: the member behind the token acts, or an
application acting for its agents names one (``agent_id``). A supervisor (``routing:write``)
may act for any agent. Every action is one engine decision in the request's transaction; what
no longer applies (an offer that moved on, a conversation already over) answers 409.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy import select

from ccokit.plugins.routing.models import LIVE_STATES, RoutingAgent, RoutingConversation, RoutingQueue
from ccokit.plugins.routing.routes.conventions import Blueprint, conflict, found, refuse
from ccokit.plugins.routing.schemas.conversations import (
    AgentActionSchema,
    AgentWorkSchema,
    ConversationCreateSchema,
    ConversationListArgsSchema,
    ConversationPageSchema,
    ConversationSchema,
    PresenceSchema,
    QueueStatsSchema,
    RoutingStatsSchema,
    TransferSchema,
)
from ccokit.plugins.routing.services import conversations
from ccokit.plugins.routing.services.event_payloads import ALTERNATIVES
from ccokit.plugins.routing.services.messages import Invalid, Message
from ccokit_sdk.plugin import abort, current, encode_public_id, page_of, require_scope

__all__ = ["blueprint"]

blueprint = Blueprint("routing_conversations", __name__,
                      description="Conversations waiting for and served by agents (排队会话)")


class _Standing:
    """A conversation row with where it stands now, dumped by :class:`ConversationSchema`."""

    def __init__(self, row: RoutingConversation, standing: dict[str, Any] | None = None) -> None:
        self._row = row
        self.position = (standing or {}).get("position")
        self.estimated_wait_s = (standing or {}).get("estimated_wait_s")
        self.handed = (standing or {}).get("handed") or []
        refused = row.end_reason in ("closed", "queue_full", "max_wait")
        self.alternatives = list(ALTERNATIVES) if refused else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _conversation(conversation_id: str) -> RoutingConversation:
    return found(RoutingConversation, "conv", conversation_id)


def _agent(agent_id: str) -> RoutingAgent:
    return found(RoutingAgent, "mem", agent_id)


def _loaded(param: str, load: Callable[[str], Any], name: str) -> Callable[..., Any]:
    """Turn the URL's ``param`` into this workspace's object (404 otherwise) before the body is
    parsed, so another workspace's id answers 404 whatever the body says; the view gets ``name=``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = load(kwargs.pop(param))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _acting_agent(named: uuid.UUID | None) -> uuid.UUID:
    """The agent an action is taken for (see the module docstring)."""
    principal = current().principal
    if principal.member_id is None:
        if named is None:
            refuse(Invalid({"agent_id": [Message("not_agent_token")]}))
        return named
    if named is not None and named != principal.member_id and not principal.has_scope("routing:write"):
        abort(403, message="only supervisors (routing:write) act for another agent")
    return named or principal.member_id


def _decided(action: Callable[[], Any]) -> Any:
    """Run a decision and commit it (returns what it returned); a refusal rolls back and
    answers 409."""
    session = current().session
    try:
        result = action()
    except conversations.Refused as exc:
        session.rollback()
        conflict(exc.message)
    session.commit()
    return result


def _answered(row: RoutingConversation, action: Callable[[], list[dict[str, Any]]]) -> _Standing:
    """Decide and commit, then answer the conversation as it now is (the decision wrote its new
    values into ``row``), with the work handed out."""
    handed = _decided(action)
    return _Standing(row, {"handed": handed})


@blueprint.post("/conversations")
@require_scope("routing:write")
@blueprint.arguments(ConversationCreateSchema)
@blueprint.response(201, ConversationSchema)
def create_conversation(data: dict[str, Any]) -> Any:
    """A customer asks for a human: recorded, queued (or refused when the queue is closed or
    full: see ``end_reason`` and ``alternatives``), and offered to an agent at once if one can
    take it. The answer says where the customer stands."""
    ctx = current()
    try:
        row, standing = conversations.arrive(ctx.session, data, ctx)
    except Invalid as exc:
        ctx.session.rollback()
        refuse(exc)
    ctx.session.commit()
    headers = {"Location": f"{request.path}/{encode_public_id('conv', row.id)}"}
    return _Standing(row, standing), 201, headers


@blueprint.get("/conversations")
@require_scope("routing:read")
@blueprint.arguments(ConversationListArgsSchema, location="query")
@blueprint.response(200, ConversationPageSchema)
def list_conversations(args: dict[str, Any]) -> Any:
    """Conversations, oldest first, by state, queue or agent."""
    query = select(RoutingConversation)
    for name, column in (("state", RoutingConversation.state), ("queue_id", RoutingConversation.queue_id),
                         ("agent_id", RoutingConversation.agent_id)):
        if args.get(name) is not None:
            query = query.where(column == args[name])
    page = page_of(current().session, query, RoutingConversation.id, args)
    return {"items": [_Standing(row) for row in page.items], "next_cursor": page.next_cursor}


@blueprint.get("/conversations/<conversation_id>")
@require_scope("routing:read")
@blueprint.response(200, ConversationSchema)
def get_conversation(conversation_id: str) -> Any:
    """A conversation and where it stands now: its place in line and the estimated wait."""
    ctx = current()
    row = _conversation(conversation_id)
    standing = None
    if row.state in LIVE_STATES:
        standing = conversations.position_of(ctx.session, row.id, ctx)
        ctx.session.commit()
    return _Standing(row, standing)


def _agent_action(action: str, row: RoutingConversation, data: dict[str, Any]) -> Any:
    ctx = current()
    agent_id = _acting_agent(data.get("agent_id"))
    return _answered(row, lambda: conversations.act(ctx.session, action, row.id, ctx,
                                                    agent_id=agent_id))


def _agent_route(action: str, path: str, doc: str) -> None:
    """Register ``POST /conversations/<id>/<path>``: the acting agent's ``action``."""

    def view(data: dict[str, Any], row: RoutingConversation) -> Any:
        return _agent_action(action, row, data)

    view.__name__ = view.__qualname__ = path.replace("-", "_")
    view.__doc__ = doc
    decorated = blueprint.response(200, ConversationSchema)(view)
    decorated = blueprint.arguments(AgentActionSchema)(decorated)
    decorated = _loaded("conversation_id", _conversation, "row")(decorated)
    decorated = require_scope("routing:agent")(decorated)
    blueprint.post(f"/conversations/<conversation_id>/{path}")(decorated)


for _action, _path, _doc in (
    ("accept", "accept", "The ringing agent takes the conversation."),
    ("decline", "decline", "The ringing agent passes; it goes to someone else, never back to them."),
    ("complete", "complete", "The agent is done: wrap-up if the queue has some, else it is over."),
    ("end_wrapup", "end-wrap-up", "The agent finishes wrap-up early and is ready for the next."),
):
    _agent_route(_action, _path, _doc)


@blueprint.post("/conversations/<conversation_id>/transfer")
@require_scope("routing:agent")
@_loaded("conversation_id", _conversation, "row")
@blueprint.arguments(TransferSchema)
@blueprint.response(200, ConversationSchema)
def transfer(data: dict[str, Any], row: RoutingConversation) -> Any:
    """Move an assigned conversation to another queue (it keeps its place by arrival) or ring
    one agent with it (back to its queue if they do not take it)."""
    ctx = current()
    agent_id = _acting_agent(data.get("agent_id"))
    if data.get("to_queue_id") is not None:
        queue = ctx.session.get(RoutingQueue, (ctx.tenant_id, data["to_queue_id"]))
        if queue is None or queue.archived_at is not None:
            refuse(Invalid({"to_queue_id": [Message("unknown_queue", {
                "id": encode_public_id("que", data["to_queue_id"])})]}))
    return _answered(row, lambda: conversations.transfer(
        ctx.session, row.id, ctx, to_queue=data.get("to_queue_id"), to_agent=data.get("to_agent_id"),
        by_agent=agent_id))


@blueprint.post("/conversations/<conversation_id>/abandon")
@require_scope("routing:write")
@blueprint.response(200, ConversationSchema)
def abandon(conversation_id: str) -> Any:
    """The customer left before an agent took the conversation."""
    ctx = current()
    row = _conversation(conversation_id)
    return _answered(row, lambda: conversations.act(ctx.session, "abandon", row.id, ctx))


@blueprint.put("/agents/<agent_id>/presence")
@require_scope("routing:agent")
@_loaded("agent_id", _agent, "agent")
@blueprint.arguments(PresenceSchema)
@blueprint.response(200, AgentWorkSchema)
def set_presence(data: dict[str, Any], agent: RoutingAgent) -> Any:
    """An agent goes online (offers come), busy or away (none come; what they hold stays) or
    offline. Leaving ``online`` hands a ringing offer to someone else."""
    ctx = current()
    _acting_agent(agent.member_id)
    _decided(lambda: conversations.set_presence(ctx.session, agent.member_id, data["presence"], ctx))
    return _work(agent)


def _work(agent: RoutingAgent) -> dict[str, Any]:
    rows = current().session.scalars(select(RoutingConversation).where(
        RoutingConversation.agent_id == agent.member_id,
        RoutingConversation.state.in_(("offered", "assigned", "wrap_up")),
    ).order_by(RoutingConversation.arrived_at)).all()
    offer = next((r for r in rows if r.state == "offered"), None)
    return {"presence": agent.presence, "offer": _Standing(offer) if offer is not None else None,
            "holding": [_Standing(r) for r in rows if r.state != "offered"]}


@blueprint.get("/agents/<agent_id>/work")
@require_scope("routing:agent")
@blueprint.response(200, AgentWorkSchema)
def agent_work(agent_id: str) -> Any:
    """What an agent has now: their presence, the offer ringing them, the conversations they hold."""
    agent = _agent(agent_id)
    _acting_agent(agent.member_id)
    return _work(agent)


@blueprint.get("/queues/<queue_id>/stats")
@require_scope("routing:read")
@blueprint.response(200, QueueStatsSchema)
def queue_stats(queue_id: str) -> Any:
    """A queue's live figures: waiting, longest wait, service level, abandonment, agents by
    presence and occupancy, and how far the wait estimates were off."""
    ctx = current()
    queue = found(RoutingQueue, "que", queue_id)
    stats = conversations.queue_stats(ctx.session, queue.id, ctx)
    ctx.session.commit()
    return {"queue_id": queue.id, "name": queue.name, **stats}


@blueprint.get("/stats")
@require_scope("routing:read")
@blueprint.response(200, RoutingStatsSchema)
def routing_stats() -> Any:
    """The workspace's live figures in all (waiting, longest wait, agents by presence and
    occupancy, service level, abandonment, rates) and queue by queue."""
    ctx = current()
    stats = conversations.routing_stats(ctx.session, ctx)
    ctx.session.commit()
    return stats
