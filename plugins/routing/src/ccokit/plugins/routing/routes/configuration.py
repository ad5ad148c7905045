"""HTTP views of routing's configuration: ``/groups``, ``/queues`` and ``/agents``.

Reading needs ``routing:read``; changing needs ``routing:write`` (supervisors and up). Every
change is the workspace's configuration, so it goes to the audit log, and the routing engine
is rebuilt in the same transaction (:meth:`~..services.workspace_engine.WorkspaceRouting.reconfigure`):
a new seat or a widened queue takes waiting conversations at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ccokit.plugins.routing.models import RoutingAgent, RoutingGroup, RoutingQueue
from ccokit.plugins.routing.routes.conventions import Blueprint, conflict, found, refuse
from ccokit.plugins.routing.schemas.config import (
    AGENT_AUDIT,
    GROUP_AUDIT,
    QUEUE_AUDIT,
    RoutingAgentPageSchema,
    RoutingAgentPatchSchema,
    RoutingAgentSchema,
    RoutingGroupPageSchema,
    RoutingGroupPatchSchema,
    RoutingGroupSchema,
    RoutingListArgsSchema,
    RoutingQueueListArgsSchema,
    RoutingQueuePageSchema,
    RoutingQueuePatchSchema,
    RoutingQueueSchema,
)
from ccokit.plugins.routing.services import config
from ccokit.plugins.routing.services.messages import Invalid, Taken
from ccokit.plugins.routing.services.workspace_engine import WorkspaceRouting
from ccokit_sdk.plugin import current, encode_public_id, page_of, require_scope

__all__ = ["blueprint"]

blueprint = Blueprint("routing_configuration", __name__,
                      description="Routing groups, queues and agents (排队分流配置)")


def _snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


def _write(kind: str, prefix: str, fields: tuple[str, ...], action: str, row: Any | None,
           change: Callable[[], Any]) -> Any:
    """Run a change, audit it, let the engine decide what it makes possible, commit; refusals
    answer 422 (409 for a taken name or a deletion something depends on)."""
    ctx = current()
    before = _snapshot(row, fields) if row is not None else None
    try:
        result = change()
    except Taken as exc:
        ctx.session.rollback()
        refuse(exc, 409)
    except Invalid as exc:
        ctx.session.rollback()
        refuse(exc)
    except config.InUse as exc:
        ctx.session.rollback()
        conflict(exc.message)
    target = result if result is not None else row
    key = target.member_id if kind == "agent" else target.id
    after = _snapshot(target, fields) if action != "deleted" else None
    ctx.audit(f"routing_{kind}.{action}", f"routing_{kind}", encode_public_id(prefix, key),
              before=before, after=after)
    WorkspaceRouting.reconfigure(ctx.session, ctx).close()
    ctx.session.commit()
    return result


# -- groups -------------------------------------------------------------------------------

@blueprint.get("/groups")
@require_scope("routing:read")
@blueprint.arguments(RoutingListArgsSchema, location="query")
@blueprint.response(200, RoutingGroupPageSchema)
def list_groups(args: dict[str, Any]) -> Any:
    page = page_of(current().session, select(RoutingGroup), RoutingGroup.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/groups")
@require_scope("routing:write")
@blueprint.arguments(RoutingGroupSchema)
@blueprint.response(201, RoutingGroupSchema)
def create_group(data: dict[str, Any]) -> Any:
    return _write("group", "rgrp", GROUP_AUDIT, "created", None,
                  lambda: config.create_group(current().session, data))


@blueprint.get("/groups/<group_id>")
@require_scope("routing:read")
@blueprint.response(200, RoutingGroupSchema)
def get_group(group_id: str) -> Any:
    return found(RoutingGroup, "rgrp", group_id)


@blueprint.patch("/groups/<group_id>")
@require_scope("routing:write")
@blueprint.arguments(RoutingGroupPatchSchema)
@blueprint.response(200, RoutingGroupSchema)
def update_group(data: dict[str, Any], group_id: str) -> Any:
    group = found(RoutingGroup, "rgrp", group_id)
    return _write("group", "rgrp", GROUP_AUDIT, "updated", group,
                  lambda: config.update_group(current().session, group, data))


@blueprint.delete("/groups/<group_id>")
@require_scope("routing:write")
@blueprint.response(204)
def delete_group(group_id: str) -> None:
    group = found(RoutingGroup, "rgrp", group_id)
    _write("group", "rgrp", GROUP_AUDIT, "deleted", group,
           lambda: config.delete_group(current().session, group))


# -- queues -------------------------------------------------------------------------------

@blueprint.get("/queues")
@require_scope("routing:read")
@blueprint.arguments(RoutingQueueListArgsSchema, location="query")
@blueprint.response(200, RoutingQueuePageSchema)
def list_queues(args: dict[str, Any]) -> Any:
    """The workspace's queues (archived ones too with ``archived=true``)."""
    query = select(RoutingQueue)
    if not args.get("archived"):
        query = query.where(RoutingQueue.archived_at.is_(None))
    page = page_of(current().session, query, RoutingQueue.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/queues")
@require_scope("routing:write")
@blueprint.arguments(RoutingQueueSchema)
@blueprint.response(201, RoutingQueueSchema)
def create_queue(data: dict[str, Any]) -> Any:
    return _write("queue", "que", QUEUE_AUDIT, "created", None,
                  lambda: config.create_queue(current().session, data))


@blueprint.get("/queues/<queue_id>")
@require_scope("routing:read")
@blueprint.response(200, RoutingQueueSchema)
def get_queue(queue_id: str) -> Any:
    return found(RoutingQueue, "que", queue_id)


@blueprint.patch("/queues/<queue_id>")
@require_scope("routing:write")
@blueprint.arguments(RoutingQueuePatchSchema)
@blueprint.response(200, RoutingQueueSchema)
def update_queue(data: dict[str, Any], queue_id: str) -> Any:
    queue = found(RoutingQueue, "que", queue_id)
    return _write("queue", "que", QUEUE_AUDIT, "updated", queue,
                  lambda: config.update_queue(current().session, queue, data))


@blueprint.delete("/queues/<queue_id>")
@require_scope("routing:write")
@blueprint.response(204)
def delete_queue(queue_id: str) -> None:
    """Delete a queue nobody waits in (archived instead when it has history)."""
    queue = found(RoutingQueue, "que", queue_id)
    _write("queue", "que", QUEUE_AUDIT, "deleted", queue,
           lambda: config.delete_queue(current().session, queue))


# -- agents -------------------------------------------------------------------------------

@blueprint.get("/agents")
@require_scope("routing:read")
@blueprint.arguments(RoutingListArgsSchema, location="query")
@blueprint.response(200, RoutingAgentPageSchema)
def list_agents(args: dict[str, Any]) -> Any:
    page = page_of(current().session, select(RoutingAgent), RoutingAgent.member_id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/agents")
@require_scope("routing:write")
@blueprint.arguments(RoutingAgentSchema)
@blueprint.response(201, RoutingAgentSchema)
def create_agent(data: dict[str, Any]) -> Any:
    """Make a member an agent, with skills, languages, seats per channel and groups."""
    return _write("agent", "mem", AGENT_AUDIT, "created", None,
                  lambda: config.create_agent(current().session, data))


@blueprint.get("/agents/<agent_id>")
@require_scope("routing:read")
@blueprint.response(200, RoutingAgentSchema)
def get_agent(agent_id: str) -> Any:
    return found(RoutingAgent, "mem", agent_id)


@blueprint.patch("/agents/<agent_id>")
@require_scope("routing:write")
@blueprint.arguments(RoutingAgentPatchSchema)
@blueprint.response(200, RoutingAgentSchema)
def update_agent(data: dict[str, Any], agent_id: str) -> Any:
    agent = found(RoutingAgent, "mem", agent_id)
    return _write("agent", "mem", AGENT_AUDIT, "updated", agent,
                  lambda: config.update_agent(current().session, agent, data))


@blueprint.delete("/agents/<agent_id>")
@require_scope("routing:write")
@blueprint.response(204)
def delete_agent(agent_id: str) -> None:
    """Stop routing to a member (refused while they hold conversations)."""
    agent = found(RoutingAgent, "mem", agent_id)
    _write("agent", "mem", AGENT_AUDIT, "deleted", agent,
           lambda: config.delete_agent(current().session, agent))
