"""HTTP views of rules: macros, triggers, automations, and applying a macro to a ticket.

Thin: each view checks its scope, calls a service, writes the audit row of a configuration
change and commits. Agents list macros and apply them (``tickets:read`` / ``tickets:write``);
creating and changing macros, triggers and automations takes ``tickets:admin``. A rule that does
not check out answers 422 with every problem at its path (``conditions.all.2.value``) in the
caller's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from sqlalchemy import select

from ccokit.plugins.ticketing.models.rules import Automation, Macro, Trigger
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.routes.conventions import Blueprint, refuse, request_actor
from ccokit.plugins.ticketing.schemas.rules import (
    AUTOMATION,
    MACRO,
    TRIGGER,
    AutomationPageSchema,
    AutomationSchema,
    MacroPageSchema,
    MacroPatchSchema,
    MacroPreviewSchema,
    MacroSchema,
    ReorderSchema,
    RuleQuerySchema,
    TriggerPageSchema,
    TriggerPatchSchema,
    TriggerSchema,
)
from ccokit.plugins.ticketing.schemas.tickets import TicketSchema
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit.plugins.ticketing.services.rules import macros, store
from ccokit.plugins.ticketing.services.rules.automations import validate_automation
from ccokit.plugins.ticketing.services.rules.messages import RuleInvalid
from ccokit.plugins.ticketing.services.rules.triggers import validate_trigger
from ccokit_sdk.models import utcnow
from ccokit_sdk.plugin import abort, current, encode_public_id, page_of, parse_public_id, require_scope

blueprint = Blueprint(
    "ticketing_rules", __name__, description="Rules: macros, triggers and automations (宏、触发器与自动化)"
)

READ, WRITE, ADMIN = "tickets:read", "tickets:write", "tickets:admin"
Model = type[Macro] | type[Trigger] | type[Automation]
_PREFIX: dict[Any, str] = {Macro: MACRO, Trigger: TRIGGER, Automation: AUTOMATION}
_AUDIT: dict[Any, str] = {Macro: "ticket_macro", Trigger: "ticket_trigger", Automation: "ticket_automation"}
_VALIDATE: dict[Any, Callable[..., dict[str, Any]]] = {
    Macro: macros.validate_macro, Trigger: validate_trigger, Automation: validate_automation,
}


def _refused(exc: RuleInvalid) -> NoReturn:
    abort(422, messages=exc.errors)
    raise AssertionError  # pragma: no cover - abort raises


def _load(model: Model, public_id: str) -> Any:
    ctx = current()
    row = store.get_rule(ctx.session, model, ctx.tenant_id, parse_public_id(_PREFIX[model], public_id))
    if row is None:
        abort(404)
    return row


def _list(model: Model, args: dict[str, Any]) -> dict[str, Any]:
    page = page_of(current().session, store.list_query(model, args), model.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


def _create(model: Model, data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        row = store.create_rule(ctx.session, model, data, _VALIDATE[model], ctx.locale)
    except RuleInvalid as exc:
        _refused(exc)
    kind = _AUDIT[model]
    ctx.audit(f"{kind}.created", kind, _public(model, row.id), after=store.snapshot_rule(row))
    ctx.session.commit()
    return row


def _update(model: Model, public_id: str, data: dict[str, Any]) -> Any:
    ctx = current()
    row = _load(model, public_id)
    before = store.snapshot_rule(row)
    try:
        store.update_rule(ctx.session, row, data, _VALIDATE[model], ctx.locale)
    except RuleInvalid as exc:
        _refused(exc)
    kind = _AUDIT[model]
    ctx.audit(f"{kind}.updated", kind, public_id, before=before, after=store.snapshot_rule(row))
    ctx.session.commit()
    return row


def _delete(model: Model, public_id: str) -> None:
    ctx = current()
    row = _load(model, public_id)
    kind = _AUDIT[model]
    ctx.audit(f"{kind}.deleted", kind, public_id, before=store.snapshot_rule(row))
    ctx.session.delete(row)
    ctx.session.commit()


def _public(model: Model, value: uuid.UUID) -> str:
    return encode_public_id(_PREFIX[model], value)


# -- macros ----------------------------------------------------------------------------------


@blueprint.get("/macros")
@require_scope(READ)
@blueprint.arguments(RuleQuerySchema, location="query")
@blueprint.response(200, MacroPageSchema)
def list_macros(args: dict[str, Any]) -> Any:
    """The workspace's shared macros."""
    return _list(Macro, args)


@blueprint.post("/macros")
@require_scope(ADMIN)
@blueprint.arguments(MacroSchema)
@blueprint.response(201, MacroSchema)
def create_macro(data: dict[str, Any]) -> Any:
    return _create(Macro, data)


@blueprint.get("/macros/<macro_id>")
@require_scope(READ)
@blueprint.response(200, MacroSchema)
def get_macro(macro_id: str) -> Any:
    return _load(Macro, macro_id)


@blueprint.patch("/macros/<macro_id>")
@require_scope(ADMIN)
@blueprint.arguments(MacroPatchSchema)
@blueprint.response(200, MacroSchema)
def update_macro(data: dict[str, Any], macro_id: str) -> Any:
    return _update(Macro, macro_id, data)


@blueprint.delete("/macros/<macro_id>")
@require_scope(ADMIN)
@blueprint.response(204)
def delete_macro(macro_id: str) -> None:
    _delete(Macro, macro_id)


def _ticket_and_macro(ticket_id: str, macro_id: str) -> tuple[Ticket, Macro]:
    ctx = current()
    ticket = ctx.session.get(Ticket, (ctx.tenant_id, parse_public_id("tkt", ticket_id)))
    if ticket is None:
        abort(404)
    macro = _load(Macro, macro_id)
    if not macro.active:
        abort(404)
    return ticket, macro


@blueprint.post("/tickets/<ticket_id>/macros/<macro_id>/apply")
@require_scope(WRITE)
@blueprint.response(200, TicketSchema)
def apply_macro(ticket_id: str, macro_id: str) -> Any:
    """Apply a macro's actions to the ticket in one write, then run the triggers once."""
    ctx = current()
    ticket, macro = _ticket_and_macro(ticket_id, macro_id)
    try:
        macros.apply_macro(
            ctx.session, ticket, macro, actor=request_actor(), publish=ctx.publish, now=utcnow()
        )
    except Invalid as exc:
        ctx.session.rollback()
        refuse(exc)
    ctx.session.commit()
    return ticket


@blueprint.post("/tickets/<ticket_id>/macros/<macro_id>/preview")
@require_scope(READ)
@blueprint.response(200, MacroPreviewSchema)
def preview_macro(ticket_id: str, macro_id: str) -> Any:
    """What applying the macro would do to the ticket; nothing is saved."""
    ctx = current()
    ticket, macro = _ticket_and_macro(ticket_id, macro_id)
    return macros.preview_macro(ctx.session, ticket, macro, now=utcnow())


# -- triggers --------------------------------------------------------------------------------


@blueprint.get("/triggers")
@require_scope(ADMIN)
@blueprint.arguments(RuleQuerySchema, location="query")
@blueprint.response(200, TriggerPageSchema)
def list_triggers(args: dict[str, Any]) -> Any:
    """The workspace's triggers (in creation order; they run in ``position`` order)."""
    return _list(Trigger, args)


@blueprint.post("/triggers")
@require_scope(ADMIN)
@blueprint.arguments(TriggerSchema)
@blueprint.response(201, TriggerSchema)
def create_trigger(data: dict[str, Any]) -> Any:
    return _create(Trigger, data)


@blueprint.post("/triggers/reorder")
@require_scope(ADMIN)
@blueprint.arguments(ReorderSchema)
@blueprint.response(200, TriggerPageSchema)
def reorder_triggers(data: dict[str, Any]) -> Any:
    """Set the run order: every trigger's id, each once, first to run first."""
    ctx = current()
    before = {t.id: t.position for t in ctx.session.scalars(select(Trigger))}
    try:
        ordered = store.reorder_triggers(ctx.session, data["ids"], ctx.locale)
    except RuleInvalid as exc:
        _refused(exc)
    ctx.audit(
        "ticket_triggers.reordered", "ticket_trigger", "*",
        before={"order": [_public(Trigger, i) for i in sorted(before, key=lambda i: (before[i], i))]},
        after={"order": [_public(Trigger, t.id) for t in ordered]},
    )
    ctx.session.commit()
    return {"items": ordered, "next_cursor": None}


@blueprint.get("/triggers/<trigger_id>")
@require_scope(ADMIN)
@blueprint.response(200, TriggerSchema)
def get_trigger(trigger_id: str) -> Any:
    return _load(Trigger, trigger_id)


@blueprint.patch("/triggers/<trigger_id>")
@require_scope(ADMIN)
@blueprint.arguments(TriggerPatchSchema)
@blueprint.response(200, TriggerSchema)
def update_trigger(data: dict[str, Any], trigger_id: str) -> Any:
    return _update(Trigger, trigger_id, data)


@blueprint.delete("/triggers/<trigger_id>")
@require_scope(ADMIN)
@blueprint.response(204)
def delete_trigger(trigger_id: str) -> None:
    _delete(Trigger, trigger_id)


# -- automations -----------------------------------------------------------------------------


@blueprint.get("/automations")
@require_scope(ADMIN)
@blueprint.arguments(RuleQuerySchema, location="query")
@blueprint.response(200, AutomationPageSchema)
def list_automations(args: dict[str, Any]) -> Any:
    return _list(Automation, args)


@blueprint.post("/automations")
@require_scope(ADMIN)
@blueprint.arguments(AutomationSchema)
@blueprint.response(201, AutomationSchema)
def create_automation(data: dict[str, Any]) -> Any:
    return _create(Automation, data)


@blueprint.get("/automations/<automation_id>")
@require_scope(ADMIN)
@blueprint.response(200, AutomationSchema)
def get_automation(automation_id: str) -> Any:
    return _load(Automation, automation_id)


@blueprint.patch("/automations/<automation_id>")
@require_scope(ADMIN)
@blueprint.arguments(TriggerPatchSchema)
@blueprint.response(200, AutomationSchema)
def update_automation(data: dict[str, Any], automation_id: str) -> Any:
    return _update(Automation, automation_id, data)


@blueprint.delete("/automations/<automation_id>")
@require_scope(ADMIN)
@blueprint.response(204)
def delete_automation(automation_id: str) -> None:
    _delete(Automation, automation_id)
