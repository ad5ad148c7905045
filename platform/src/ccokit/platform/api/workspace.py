"""The caller's own workspace (tenant): read, rename, suspend, delete."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint, abort

from ccokit.platform.api.schemas import DeleteTenantArgsSchema, TenantPatchSchema, TenantSchema
from ccokit.platform.kernel import current_kernel
from ccokit.platform.provisioning import delete_tenant, set_tenant_status
from ccokit_sdk.plugin import current, require_scope

blueprint = Blueprint("workspace", __name__, url_prefix="/api/v1/tenant", description="Your workspace")


@blueprint.get("")
@require_scope("tenant:read")
@blueprint.response(200, TenantSchema)
def get_workspace() -> Any:
    """The workspace the access token belongs to."""
    return g.tenant


@blueprint.patch("")
@require_scope("tenant:admin")
@blueprint.arguments(TenantPatchSchema)
@blueprint.response(200, TenantSchema)
def rename_workspace(data: dict[str, Any]) -> Any:
    tenant = g.tenant
    tenant.name = data["name"]
    current().session.commit()
    return tenant


@blueprint.post("/suspend")
@require_scope("tenant:admin")
@blueprint.response(200, TenantSchema)
def suspend_workspace() -> Any:
    """Suspend the workspace: every API call of it answers 403 until an operator resumes it."""
    return set_tenant_status(current_kernel(), current().tenant_id, "suspended")


@blueprint.delete("")
@require_scope("tenant:admin")
@blueprint.arguments(DeleteTenantArgsSchema, location="query")
@blueprint.response(204)
def delete_workspace(args: dict[str, Any]) -> None:
    """Delete the workspace with every row and blob it owns. Pass ``?confirm=<slug>``."""
    if current().principal.role != "owner":
        abort(403, message="only the owner may delete the workspace")
    if args["confirm"] != g.tenant.slug:
        abort(422, messages={"confirm": ["Must equal the workspace slug."]})
    current().session.close()
    delete_tenant(current_kernel(), current().tenant_id)
