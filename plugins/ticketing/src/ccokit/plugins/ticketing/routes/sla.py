"""HTTP views of service levels: business-hours calendars, SLA policies, a ticket's SLA clocks.

Thin: each view checks its scope, calls a service, writes the audit row of an administrative
change and commits. Anyone who reads tickets may read calendars and policies (agents plan their
day by them); changing them takes ``tickets:admin``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ccokit.plugins.ticketing.models.sla import Calendar, SlaPolicy
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.routes.conventions import Blueprint
from ccokit.plugins.ticketing.routes.tickets import with_ticket
from ccokit.plugins.ticketing.schemas.sla import (
    CALENDAR,
    POLICY,
    CalendarPageSchema,
    CalendarPatchSchema,
    CalendarSchema,
    SlaPolicyPageSchema,
    SlaPolicyPatchSchema,
    SlaPolicyQuerySchema,
    SlaPolicySchema,
    TicketSlaSchema,
)
from ccokit.plugins.ticketing.services.sla import calendars, clocks, policies
from ccokit.plugins.ticketing.services.sla.calendars import SlaConflict, SlaInvalid
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.plugin import abort, current, encode_public_id, page_of, parse_public_id, require_scope

blueprint = Blueprint(
    "ticketing_sla", __name__, description="Service levels: business-hours calendars, SLA policies, clocks"
)

READ, ADMIN = "tickets:read", "tickets:admin"


def _refused(exc: SlaInvalid) -> None:
    abort(409 if isinstance(exc, SlaConflict) else 422, messages=exc.errors)


def _audit(action: str, obj: Calendar | SlaPolicy, before: Any, after: Any) -> None:
    """``ticket_calendar.created`` and the like, on the calendar's or policy's public id."""
    kind, prefix = ("ticket_calendar", CALENDAR) if isinstance(obj, Calendar) else ("sla_policy", POLICY)
    current().audit(action, kind, encode_public_id(prefix, obj.id), before=before, after=after)


# -- calendars -------------------------------------------------------------------------------


_LOADERS: dict[str, tuple[str, Callable[..., Any]]] = {
    "calendar": (CALENDAR, calendars.get_calendar),
    "policy": (POLICY, policies.get_policy),
}


def _load(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn the URL's ``calendar_id`` or ``policy_id`` into the tenant's object (404 otherwise)
    before the body is parsed; the view gets ``calendar=`` or ``policy=``."""
    prefix, get = _LOADERS[kind]

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = current()
            found = get(ctx.session, ctx.tenant_id, parse_public_id(prefix, kwargs.pop(f"{kind}_id")))
            if found is None:
                abort(404)
            return view(*args, **{kind: found}, **kwargs)

        return wrapper

    return decorator


@blueprint.get("/calendars")
@require_scope(READ)
@blueprint.arguments(CursorArgsSchema, location="query")
@blueprint.response(200, CalendarPageSchema)
def list_calendars(args: dict[str, Any]) -> Any:
    page = page_of(current().session, calendars.list_query(), Calendar.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/calendars")
@require_scope(ADMIN)
@blueprint.arguments(CalendarSchema)
@blueprint.response(201, CalendarSchema)
def create_calendar(data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        calendar = calendars.create_calendar(ctx.session, data)
    except SlaInvalid as exc:
        _refused(exc)
    _audit("ticket_calendar.created", calendar, None, calendars.calendar_record(calendar))
    ctx.session.commit()
    return calendar


@blueprint.get("/calendars/<calendar_id>")
@require_scope(READ)
@_load("calendar")
@blueprint.response(200, CalendarSchema)
def get_calendar(calendar: Calendar) -> Any:
    return calendar


@blueprint.patch("/calendars/<calendar_id>")
@require_scope(ADMIN)
@_load("calendar")
@blueprint.arguments(CalendarPatchSchema)
@blueprint.response(200, CalendarSchema)
def update_calendar(data: dict[str, Any], calendar: Calendar) -> Any:
    """Change any field; the calendar that results is checked whole. Making a calendar the
    default takes the mark from the previous one."""
    ctx = current()
    before = calendars.calendar_record(calendar)
    try:
        calendars.update_calendar(ctx.session, calendar, data)
    except SlaInvalid as exc:
        _refused(exc)
    _audit("ticket_calendar.updated", calendar, before, calendars.calendar_record(calendar))
    ctx.session.commit()
    return calendar


@blueprint.delete("/calendars/<calendar_id>")
@require_scope(ADMIN)
@_load("calendar")
@blueprint.response(204)
def delete_calendar(calendar: Calendar) -> None:
    """Remove a calendar that is not the default and that no policy uses (409 otherwise)."""
    ctx = current()
    before = calendars.calendar_record(calendar)
    try:
        calendars.delete_calendar(ctx.session, calendar)
    except SlaInvalid as exc:
        _refused(exc)
    _audit("ticket_calendar.deleted", calendar, before, None)
    ctx.session.commit()


# -- policies --------------------------------------------------------------------------------


def _policy_audit_record(policy: SlaPolicy) -> dict[str, Any]:
    record = policies.policy_record(policy)
    record["calendar_id"] = encode_public_id(CALENDAR, policy.calendar_id) if policy.calendar_id else None
    return record


@blueprint.get("/sla-policies")
@require_scope(READ)
@blueprint.arguments(SlaPolicyQuerySchema, location="query")
@blueprint.response(200, SlaPolicyPageSchema)
def list_policies(args: dict[str, Any]) -> Any:
    """Policies in creation order; they are matched in ``position`` order."""
    page = page_of(current().session, policies.list_query(args), SlaPolicy.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/sla-policies")
@require_scope(ADMIN)
@blueprint.arguments(SlaPolicySchema)
@blueprint.response(201, SlaPolicySchema)
def create_policy(data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        policy = policies.create_policy(ctx.session, ctx.tenant_id, data)
    except SlaInvalid as exc:
        _refused(exc)
    _audit("sla_policy.created", policy, None, _policy_audit_record(policy))
    ctx.session.commit()
    return policy


@blueprint.get("/sla-policies/<policy_id>")
@require_scope(READ)
@_load("policy")
@blueprint.response(200, SlaPolicySchema)
def get_policy(policy: SlaPolicy) -> Any:
    return policy


@blueprint.patch("/sla-policies/<policy_id>")
@require_scope(ADMIN)
@_load("policy")
@blueprint.arguments(SlaPolicyPatchSchema)
@blueprint.response(200, SlaPolicySchema)
def update_policy(data: dict[str, Any], policy: SlaPolicy) -> Any:
    """Change any field; tickets under way take the change at their next priority, category,
    channel or customer change."""
    ctx = current()
    before = _policy_audit_record(policy)
    try:
        policies.update_policy(ctx.session, policy, data)
    except SlaInvalid as exc:
        _refused(exc)
    _audit("sla_policy.updated", policy, before, _policy_audit_record(policy))
    ctx.session.commit()
    return policy


@blueprint.delete("/sla-policies/<policy_id>")
@require_scope(ADMIN)
@_load("policy")
@blueprint.response(204)
def delete_policy(policy: SlaPolicy) -> None:
    """Remove a policy; clocks it started keep their targets."""
    ctx = current()
    before = _policy_audit_record(policy)
    policies.delete_policy(ctx.session, policy)
    _audit("sla_policy.deleted", policy, before, None)
    ctx.session.commit()


# -- a ticket's clocks -----------------------------------------------------------------------


@blueprint.get("/tickets/<ticket_id>/sla")
@require_scope(READ)
@with_ticket
@blueprint.response(200, TicketSlaSchema)
def ticket_sla(ticket: Ticket) -> Any:
    """The ticket's SLA clocks: each target, its due time, and the minutes left (or past due) in
    the target's measure, paused, fulfilled or breached."""
    return clocks.ticket_sla(current().session, ticket)
