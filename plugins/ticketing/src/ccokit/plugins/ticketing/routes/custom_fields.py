"""HTTP views of custom field definitions (``/fields``): workspace configuration, for admins.

Every change is written to the workspace's audit log with the definition before and after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ccokit.plugins.ticketing.models.custom_fields import CustomField
from ccokit.plugins.ticketing.routes.conventions import Blueprint, refuse
from ccokit.plugins.ticketing.schemas.custom_fields import (
    CustomFieldPageSchema,
    CustomFieldPatchSchema,
    CustomFieldQuerySchema,
    CustomFieldSchema,
)
from ccokit.plugins.ticketing.services import custom_fields
from ccokit.plugins.ticketing.services.messages import Invalid
from ccokit_sdk.plugin import abort, current, encode_public_id, page_of, parse_public_id, require_scope

blueprint = Blueprint("ticketing_fields", __name__, description="Custom ticket fields (自定义字段)")


def _load(field_id: str) -> CustomField:
    ctx = current()
    field = ctx.session.get(CustomField, (ctx.tenant_id, parse_public_id("fld", field_id)))
    if field is None:
        abort(404)
    return field


def _snapshot(field: CustomField) -> dict[str, Any]:
    return dict(CustomFieldSchema(exclude=("created_at", "updated_at")).dump(field))


def _audit(
    action: str, field: CustomField, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    target = encode_public_id("fld", field.id)
    current().audit(f"ticket_field.{action}", "ticket_field", target, before=before, after=after)


@blueprint.get("/fields")
@require_scope("tickets:read")
@blueprint.arguments(CustomFieldQuerySchema, location="query")
@blueprint.response(200, CustomFieldPageSchema)
def list_fields(args: dict[str, Any]) -> Any:
    """Every definition (agents read them to show ticket forms)."""
    page = page_of(current().session, select(CustomField), CustomField.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/fields")
@require_scope("tickets:admin")
@blueprint.arguments(CustomFieldSchema)
@blueprint.response(201, CustomFieldSchema)
def create_field(data: dict[str, Any]) -> Any:
    session = current().session
    try:
        field = custom_fields.create_field(session, data)
    except Invalid as exc:
        refuse(exc, 409 if "key" in exc.errors else 422)
    _audit("created", field, None, _snapshot(field))
    session.commit()
    return field


@blueprint.get("/fields/<field_id>")
@require_scope("tickets:read")
@blueprint.response(200, CustomFieldSchema)
def get_field(field_id: str) -> Any:
    return _load(field_id)


@blueprint.patch("/fields/<field_id>")
@require_scope("tickets:admin")
@blueprint.arguments(CustomFieldPatchSchema)
@blueprint.response(200, CustomFieldSchema)
def update_field(data: dict[str, Any], field_id: str) -> Any:
    session = current().session
    field = _load(field_id)
    before = _snapshot(field)
    try:
        custom_fields.update_field(session, field, data)
    except Invalid as exc:
        session.rollback()
        refuse(exc)
    _audit("updated", field, before, _snapshot(field))
    session.commit()
    return field


@blueprint.delete("/fields/<field_id>")
@require_scope("tickets:admin")
@blueprint.response(204)
def delete_field(field_id: str) -> None:
    """Remove a definition; values already on tickets stay in their ``custom_fields``."""
    session = current().session
    field = _load(field_id)
    _audit("deleted", field, _snapshot(field), None)
    session.delete(field)
    session.commit()
