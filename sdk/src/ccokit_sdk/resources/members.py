"""``client.members``: the people of the workspace (owners, admins, supervisors, agents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path

__all__ = ["AsyncMemberService", "Member", "MemberService"]

URL = "/api/v1/members"
ONE = "/api/v1/members/{}"


@dataclass(frozen=True, kw_only=True)
class Member(APIObject):
    """A member (``mem_…``); ``role`` owner, admin, supervisor or agent; ``status`` active or disabled."""

    id: str
    email: str
    display_name: str
    role: str
    status: str
    locale: str
    created_at: datetime
    last_login_at: datetime | None


class MemberService(Namespace):
    def list(self, *, limit: int | None = None) -> Pager[Member]:
        """Every member, oldest first, ``limit`` per page (scope ``members:read``)."""
        return self._list(Member, URL, limit=limit)

    def create(
        self,
        *,
        email: str,
        display_name: str,
        role: str,
        password: str,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> Member:
        """Add a member who signs in with this email and password (scope ``tenant:admin``)."""
        body = fields(email=email, display_name=display_name, role=role, password=password, locale=locale)
        return self._call(Member, "POST", URL, body=body, idempotency_key=idempotency_key)

    def get(self, member_id: str) -> Member:
        return self._call(Member, "GET", path(ONE, member_id))

    def update(
        self,
        member_id: str,
        *,
        display_name: str | None = None,
        role: str | None = None,
        status: str | None = None,
        locale: str | None = None,
    ) -> Member:
        """Change the given fields; those left ``None`` stay as they are."""
        body = fields(display_name=display_name, role=role, status=status, locale=locale)
        return self._call(Member, "PATCH", path(ONE, member_id), body=body)

    def disable(self, member_id: str) -> None:
        """Disable the member: they can no longer sign in; their history stays attributed."""
        self._call_no_content("DELETE", path(ONE, member_id))


class AsyncMemberService(AsyncNamespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[Member]:
        """Every member, oldest first, ``limit`` per page (scope ``members:read``)."""
        return self._list(Member, URL, limit=limit)

    async def create(
        self,
        *,
        email: str,
        display_name: str,
        role: str,
        password: str,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> Member:
        """Add a member who signs in with this email and password (scope ``tenant:admin``)."""
        body = fields(email=email, display_name=display_name, role=role, password=password, locale=locale)
        return await self._call(Member, "POST", URL, body=body, idempotency_key=idempotency_key)

    async def get(self, member_id: str) -> Member:
        return await self._call(Member, "GET", path(ONE, member_id))

    async def update(
        self,
        member_id: str,
        *,
        display_name: str | None = None,
        role: str | None = None,
        status: str | None = None,
        locale: str | None = None,
    ) -> Member:
        """Change the given fields; those left ``None`` stay as they are."""
        body = fields(display_name=display_name, role=role, status=status, locale=locale)
        return await self._call(Member, "PATCH", path(ONE, member_id), body=body)

    async def disable(self, member_id: str) -> None:
        """Disable the member: they can no longer sign in; their history stays attributed."""
        await self._call_no_content("DELETE", path(ONE, member_id))
