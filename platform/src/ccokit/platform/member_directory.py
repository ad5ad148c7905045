"""``members.get``: the workspace's members, for plugins that name them (assignees, followers).

Plugins cannot import the platform's models, so the platform offers this service in every app
under the name ``members.get`` (``ctx.service("members.get")``): given the request's (or the
handler's) tenant session and some member ids, the members among them that exist in that
workspace, keyed by id, as plain :class:`MemberRef` values. One query whatever the number of
ids; an id of another workspace is simply absent, because the session only sees its own tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccokit.tenants.models import Member
from ccokit_sdk.ids import encode_public_id

__all__ = ["SERVICE", "MemberRef", "get_members"]

SERVICE = "members.get"


@dataclass(frozen=True)
class MemberRef:
    """A member as other plugins see it: who, in which role, and whether they may still work."""

    id: uuid.UUID
    public_id: str
    display_name: str
    role: str
    active: bool


def get_members(session: Session, member_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, MemberRef]:
    """The members of the session's workspace among ``member_ids``, by id."""
    wanted = {i for i in member_ids if isinstance(i, uuid.UUID)}
    if not wanted:
        return {}
    rows = session.execute(
        select(Member.id, Member.display_name, Member.role, Member.status).where(Member.id.in_(wanted))
    )
    return {
        row.id: MemberRef(row.id, encode_public_id("mem", row.id), row.display_name, row.role,
                          row.status == "active")
        for row in rows
    }
