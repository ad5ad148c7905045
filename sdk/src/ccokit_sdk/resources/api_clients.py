"""``client.api_clients``: the workspace's applications (OAuth clients) and their secrets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path

__all__ = ["APIClient", "APIClientService", "AsyncAPIClientService"]

URL = "/api/v1/clients"
ONE = "/api/v1/clients/{}"


@dataclass(frozen=True, kw_only=True)
class APIClient(APIObject):
    """An application (``cli_…``); ``client_secret`` is set only by ``create`` and ``rotate_secret``."""

    client_id: str
    name: str
    confidential: bool
    redirect_uris: list[str]
    grant_types: list[str]
    scopes: list[str]
    role: str
    created_at: datetime
    updated_at: datetime
    client_secret: str | None = field(default=None, repr=False)  # kept out of logs


def _new(
    name: str, scopes: Sequence[str], confidential: bool | None, redirect_uris: Sequence[str] | None,
    grant_types: Sequence[str] | None, role: str | None,
) -> dict[str, Any]:
    return fields(
        name=name, scopes=list(scopes), confidential=confidential, role=role,
        redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
        grant_types=list(grant_types) if grant_types is not None else None,
    )


def _change(
    name: str | None, redirect_uris: Sequence[str] | None, scopes: Sequence[str] | None
) -> dict[str, Any]:
    return fields(
        name=name,
        redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
        scopes=list(scopes) if scopes is not None else None,
    )


class APIClientService(Namespace):
    def list(self, *, limit: int | None = None) -> Pager[APIClient]:
        """The workspace's applications (scope ``tenant:read``); secrets are never listed."""
        return self._list(APIClient, URL, limit=limit)

    def create(
        self,
        *,
        name: str,
        scopes: Sequence[str],
        confidential: bool | None = None,
        redirect_uris: Sequence[str] | None = None,
        grant_types: Sequence[str] | None = None,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> APIClient:
        """Register an application (scope ``tenant:admin``); store its ``client_secret`` now."""
        body = _new(name, scopes, confidential, redirect_uris, grant_types, role)
        return self._call(APIClient, "POST", URL, body=body, idempotency_key=idempotency_key)

    def get(self, client_id: str) -> APIClient:
        return self._call(APIClient, "GET", path(ONE, client_id))

    def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
    ) -> APIClient:
        """Change the given fields; those left ``None`` stay as they are."""
        return self._call(APIClient, "PATCH", path(ONE, client_id), body=_change(name, redirect_uris, scopes))

    def rotate_secret(self, client_id: str) -> APIClient:
        """A new secret for the application; the old one stops working at once."""
        return self._call(APIClient, "POST", path(ONE + "/rotate-secret", client_id))

    def delete(self, client_id: str) -> None:
        """Remove the application; its tokens stop working."""
        self._call_no_content("DELETE", path(ONE, client_id))


class AsyncAPIClientService(AsyncNamespace):
    def list(self, *, limit: int | None = None) -> AsyncPager[APIClient]:
        """The workspace's applications (scope ``tenant:read``); secrets are never listed."""
        return self._list(APIClient, URL, limit=limit)

    async def create(
        self,
        *,
        name: str,
        scopes: Sequence[str],
        confidential: bool | None = None,
        redirect_uris: Sequence[str] | None = None,
        grant_types: Sequence[str] | None = None,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> APIClient:
        """Register an application (scope ``tenant:admin``); store its ``client_secret`` now."""
        body = _new(name, scopes, confidential, redirect_uris, grant_types, role)
        return await self._call(APIClient, "POST", URL, body=body, idempotency_key=idempotency_key)

    async def get(self, client_id: str) -> APIClient:
        return await self._call(APIClient, "GET", path(ONE, client_id))

    async def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
    ) -> APIClient:
        """Change the given fields; those left ``None`` stay as they are."""
        return await self._call(
            APIClient, "PATCH", path(ONE, client_id), body=_change(name, redirect_uris, scopes)
        )

    async def rotate_secret(self, client_id: str) -> APIClient:
        """A new secret for the application; the old one stops working at once."""
        return await self._call(APIClient, "POST", path(ONE + "/rotate-secret", client_id))

    async def delete(self, client_id: str) -> None:
        """Remove the application; its tokens stop working."""
        await self._call_no_content("DELETE", path(ONE, client_id))
