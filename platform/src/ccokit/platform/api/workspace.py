"""The caller's own workspace (tenant): read, rename, suspend, delete."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint, abort

from ccokit.platform.api.schemas import DeleteTenantArgsSchema, TenantPatchSchema, TenantSchema
from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.kernel import current_kernel
from ccokit.platform.provisioning import delete_tenant
from ccokit.tenants.models import Tenant
from ccokit.tenants.registry import get_tenant
from ccokit_sdk.plugin import current, require_scope

blueprint = Blueprint("workspace", __name__, url_prefix="/api/v1/tenant", description="Your workspace")


def _shown(tenant: Tenant) -> dict[str, Any]:
    return dict(TenantSchema().dump(tenant))


def _audit(action: str, tenant: Tenant, before: dict[str, Any]) -> None:
    target = _shown(tenant)["id"]
    record_audit(current().session, action, "workspace", target, before=before, after=_shown(tenant))


def _tenant() -> Tenant:
    """The workspace as an ORM object, for the routes that change it."""
    tenant = get_tenant(current().session, current().tenant_id)
    if tenant is None:  # deleted between authentication and now
        abort(404)
    return tenant


@blueprint.get("")
@require_scope("tenant:read")
@blueprint.response(200, TenantSchema)
def get_workspace() -> Any:
    """The workspace the access token belongs to."""
    return g.tenant_summary


@blueprint.patch("")
@require_scope("tenant:admin")
@blueprint.arguments(TenantPatchSchema)
@blueprint.response(200, TenantSchema)
def rename_workspace(data: dict[str, Any]) -> Any:
    tenant = _tenant()
    before = _shown(tenant)
    tenant.name = data["name"]
    _audit("workspace.updated", tenant, before)
    current().session.commit()
    return tenant


@blueprint.post("/suspend")
@require_scope("tenant:admin")
@blueprint.response(200, TenantSchema)
def suspend_workspace() -> Any:
    """Suspend the workspace: every API call of it answers 403 until an operator resumes it."""
    tenant = _tenant()
    before = _shown(tenant)
    tenant.status = "suspended"
    _audit("workspace.suspended", tenant, before)  # in the same transaction as the suspension
    current().session.commit()
    return tenant


@blueprint.delete("")
@require_scope("tenant:admin")
@blueprint.arguments(DeleteTenantArgsSchema, location="query")
@blueprint.response(204)
def delete_workspace(args: dict[str, Any]) -> None:
    """Delete the workspace with every row and blob it owns. Pass ``?confirm=<slug>``."""
    if current().principal.role != "owner":
        abort(403, message="only the owner may delete the workspace")
    if args["confirm"] != g.tenant_summary.slug:
        abort(422, messages={"confirm": ["Must equal the workspace slug."]})
    current().session.close()
    delete_tenant(current_kernel(), current().tenant_id)
