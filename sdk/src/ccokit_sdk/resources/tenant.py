"""``client.tenant``: the workspace the credentials belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace

__all__ = ["AsyncTenantService", "Tenant", "TenantService"]

URL = "/api/v1/tenant"


@dataclass(frozen=True, kw_only=True)
class Tenant(APIObject):
    """A workspace: ``id`` (``ten_…``), ``slug``, ``name``, ``plan``, ``status`` (active, suspended)."""

    id: str
    slug: str
    name: str
    plan: str
    status: str
    created_at: datetime


class TenantService(Namespace):
    def get(self) -> Tenant:
        """The workspace of the client's credentials."""
        return self._call(Tenant, "GET", URL)

    def update(self, *, name: str) -> Tenant:
        """Rename the workspace (scope ``tenant:admin``)."""
        return self._call(Tenant, "PATCH", URL, body={"name": name})

    def suspend(self) -> Tenant:
        """Suspend the workspace: every API call of it answers 403 until an operator resumes it."""
        return self._call(Tenant, "POST", f"{URL}/suspend")

    def delete(self, *, confirm: str) -> None:
        """Delete the workspace and everything in it; ``confirm`` must be its slug. Owners only."""
        self._call_no_content("DELETE", URL, params={"confirm": confirm})


class AsyncTenantService(AsyncNamespace):
    async def get(self) -> Tenant:
        """The workspace of the client's credentials."""
        return await self._call(Tenant, "GET", URL)

    async def update(self, *, name: str) -> Tenant:
        """Rename the workspace (scope ``tenant:admin``)."""
        return await self._call(Tenant, "PATCH", URL, body={"name": name})

    async def suspend(self) -> Tenant:
        """Suspend the workspace: every API call of it answers 403 until an operator resumes it."""
        return await self._call(Tenant, "POST", f"{URL}/suspend")

    async def delete(self, *, confirm: str) -> None:
        """Delete the workspace and everything in it; ``confirm`` must be its slug. Owners only."""
        await self._call_no_content("DELETE", URL, params={"confirm": confirm})
