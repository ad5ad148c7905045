"""Members of the caller's workspace: owners, admins, supervisors and agents."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select

from ccokit.platform.api.schemas import (
    MemberCreateSchema,
    MemberPageSchema,
    MemberPatchSchema,
    MemberSchema,
)
from ccokit.platform.audit.recorder import record_audit
from ccokit.tenants.errors import EmailTaken
from ccokit.tenants.models import Member
from ccokit.tenants.plans import get_plan
from ccokit.tenants.registry import add_member, count_members
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.pagination import CursorArgsSchema, page_of
from ccokit_sdk.plugin import ROLES, current, parse_public_id, require_scope

blueprint = Blueprint("members", __name__, url_prefix="/api/v1/members", description="Workspace members")


def _load(member_id: str) -> Member:
    member = current().session.get(Member, (current().tenant_id, parse_public_id("mem", member_id)))
    if member is None:
        abort(404)
    return member


def _shown(member: Member) -> dict[str, Any]:
    return dict(MemberSchema().dump(member))


def _audit(action: str, member: Member, before: dict[str, Any] | None) -> None:
    record_audit(
        current().session, action, "member", encode_public_id("mem", member.id),
        before=before, after=_shown(member),
    )


def _check_may_assign(role: str) -> None:
    caller = current().principal.role
    if ROLES.index(role) > ROLES.index(caller):
        abort(403, message=f"a {caller} cannot assign the role {role}")


@blueprint.get("")
@require_scope("members:read")
@blueprint.arguments(CursorArgsSchema, location="query")
@blueprint.response(200, MemberPageSchema)
def list_members(args: dict[str, Any]) -> Any:
    page = page_of(current().session, select(Member), Member.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("")
@require_scope("tenant:admin")
@blueprint.arguments(MemberCreateSchema)
@blueprint.response(201, MemberSchema)
def create_member(data: dict[str, Any]) -> Any:
    """Add a member who signs in with this email and password."""
    _check_may_assign(data["role"])
    session = current().session
    plan = get_plan(g.tenant_summary.plan)
    if count_members(session) >= plan.max_members:
        abort(409, key="plan_limit", message=f"the {plan.name} plan allows {plan.max_members} members")
    try:
        member = add_member(session, **data)
    except EmailTaken:
        abort(409, key="email_taken", messages={"email": ["This email is already a member."]})
    _audit("member.created", member, None)
    session.commit()
    return member


@blueprint.get("/<member_id>")
@require_scope("members:read")
@blueprint.response(200, MemberSchema)
def get_member(member_id: str) -> Any:
    return _load(member_id)


@blueprint.patch("/<member_id>")
@require_scope("tenant:admin")
@blueprint.arguments(MemberPatchSchema)
@blueprint.response(200, MemberSchema)
def update_member(data: dict[str, Any], member_id: str) -> Any:
    member = _load(member_id)
    _check_may_assign(member.role)
    if "role" in data:
        _check_may_assign(data["role"])
    demoting_owner = member.role == "owner" and (
        data.get("role", "owner") != "owner" or data.get("status", "active") != "active"
    )
    if demoting_owner and _active_owners() <= 1:
        abort(409, message="a workspace keeps at least one active owner")
    before = _shown(member)
    for key, value in data.items():
        setattr(member, key, value)
    _audit("member.updated", member, before)
    current().session.commit()
    return member


@blueprint.delete("/<member_id>")
@require_scope("tenant:admin")
@blueprint.response(204)
def remove_member(member_id: str) -> None:
    """Disable the member: they can no longer sign in; their history stays attributed."""
    member = _load(member_id)
    _check_may_assign(member.role)
    if member.role == "owner" and _active_owners() <= 1:
        abort(409, message="a workspace keeps at least one active owner")
    before = _shown(member)
    member.status = "disabled"
    _audit("member.disabled", member, before)
    current().session.commit()


def _active_owners() -> int:
    stmt = select(func.count()).select_from(Member).where(Member.role == "owner", Member.status == "active")
    return int(current().session.scalar(stmt) or 0)
