"""``client.webhooks``: where ccokit sends the workspace's events, and what it sent.

``client.webhooks.endpoints`` registers, changes, rotates, enables and disables endpoints (scope
``webhooks:manage``); ``client.webhooks.deliveries`` reads an endpoint's delivery log and sends a
delivery again. A receiver checks what arrives with :func:`ccokit_sdk.webhooks.verify`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path

__all__ = [
    "AsyncWebhookDeliveryService",
    "AsyncWebhookEndpointService",
    "AsyncWebhookService",
    "WebhookDelivery",
    "WebhookDeliveryService",
    "WebhookEndpoint",
    "WebhookEndpointService",
    "WebhookService",
]

URL = "/api/v1/webhooks/endpoints"
ONE = "/api/v1/webhooks/endpoints/{}"
DELIVERIES = "/api/v1/webhooks/endpoints/{}/deliveries"
DELIVERY = "/api/v1/webhooks/endpoints/{}/deliveries/{}"


@dataclass(frozen=True, kw_only=True)
class WebhookEndpoint(APIObject):
    """An endpoint (``whe_…``); ``secret`` (``whsec_…``) only from ``create`` and ``rotate_secret``.

    ``status`` is active or disabled; ``disabled_reason`` gone (it answered 410), failing (days of
    failures) or admin. ``event_types`` lists declared event types, or ``["*"]`` for all.
    """

    id: str
    url: str
    description: str
    event_types: list[str]
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = field(default=None, repr=False)  # kept out of logs


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery(APIObject):
    """One event sent to one endpoint (``whd_…``, the ``webhook-id`` the receiver sees).

    ``status`` is pending, succeeded, failed or abandoned; ``payload`` (the JSON body sent) comes
    with ``get`` and ``replay``, not in lists.
    """

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any] | None = None


def _seq(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values is not None else None


class WebhookEndpointService(Namespace):
    def list(self, *, status: str | None = None, limit: int | None = None) -> Pager[WebhookEndpoint]:
        """The workspace's endpoints, oldest first; ``status`` active or disabled."""
        return self._list(WebhookEndpoint, URL, fields(status=status), limit)

    def create(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """Register an endpoint; store its ``secret`` now, it is not shown again."""
        body = fields(url=url, event_types=list(event_types), description=description)
        return self._call(WebhookEndpoint, "POST", URL, body=body, idempotency_key=idempotency_key)

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return self._call(WebhookEndpoint, "GET", path(ONE, endpoint_id))

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Change the given fields; those left ``None`` stay as they are."""
        body = fields(url=url, event_types=_seq(event_types), description=description)
        return self._call(WebhookEndpoint, "PATCH", path(ONE, endpoint_id), body=body)

    def delete(self, endpoint_id: str) -> None:
        """Remove the endpoint and its delivery log; nothing more is sent to it."""
        self._call_no_content("DELETE", path(ONE, endpoint_id))

    def rotate_secret(self, endpoint_id: str, *, grace_seconds: int | None = None) -> WebhookEndpoint:
        """A new signing secret (in ``secret``); the old one also signs for ``grace_seconds``."""
        body = fields(grace_seconds=grace_seconds)
        return self._call(WebhookEndpoint, "POST", path(ONE + "/rotate-secret", endpoint_id), body=body)

    def enable(self, endpoint_id: str) -> WebhookEndpoint:
        """Send to a disabled endpoint again, from the next event on."""
        return self._call(WebhookEndpoint, "POST", path(ONE + "/enable", endpoint_id))

    def disable(self, endpoint_id: str) -> WebhookEndpoint:
        """Stop sending to the endpoint; its pending deliveries are abandoned (replay them later)."""
        return self._call(WebhookEndpoint, "POST", path(ONE + "/disable", endpoint_id))


class WebhookDeliveryService(Namespace):
    def list(
        self, endpoint_id: str, *, status: str | None = None, limit: int | None = None
    ) -> Pager[WebhookDelivery]:
        """The endpoint's delivery log, oldest first; ``status="failed"`` lists what never arrived."""
        return self._list(WebhookDelivery, path(DELIVERIES, endpoint_id), fields(status=status), limit)

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """One delivery with the body it carries."""
        return self._call(WebhookDelivery, "GET", path(DELIVERY, endpoint_id, delivery_id))

    def replay(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Send the delivery again now, with the same ``webhook-id`` (409 while it is pending)."""
        return self._call(WebhookDelivery, "POST", path(DELIVERY + "/replay", endpoint_id, delivery_id))


class WebhookService:
    """``client.webhooks``: ``endpoints`` and ``deliveries``."""

    def __init__(self, engine: SyncEngine) -> None:
        self.endpoints = WebhookEndpointService(engine)
        self.deliveries = WebhookDeliveryService(engine)


class AsyncWebhookEndpointService(AsyncNamespace):
    def list(self, *, status: str | None = None, limit: int | None = None) -> AsyncPager[WebhookEndpoint]:
        """The workspace's endpoints, oldest first; ``status`` active or disabled."""
        return self._list(WebhookEndpoint, URL, fields(status=status), limit)

    async def create(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """Register an endpoint; store its ``secret`` now, it is not shown again."""
        body = fields(url=url, event_types=list(event_types), description=description)
        return await self._call(WebhookEndpoint, "POST", URL, body=body, idempotency_key=idempotency_key)

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        return await self._call(WebhookEndpoint, "GET", path(ONE, endpoint_id))

    async def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Change the given fields; those left ``None`` stay as they are."""
        body = fields(url=url, event_types=_seq(event_types), description=description)
        return await self._call(WebhookEndpoint, "PATCH", path(ONE, endpoint_id), body=body)

    async def delete(self, endpoint_id: str) -> None:
        """Remove the endpoint and its delivery log; nothing more is sent to it."""
        await self._call_no_content("DELETE", path(ONE, endpoint_id))

    async def rotate_secret(self, endpoint_id: str, *, grace_seconds: int | None = None) -> WebhookEndpoint:
        """A new signing secret (in ``secret``); the old one also signs for ``grace_seconds``."""
        body = fields(grace_seconds=grace_seconds)
        return await self._call(WebhookEndpoint, "POST", path(ONE + "/rotate-secret", endpoint_id), body=body)

    async def enable(self, endpoint_id: str) -> WebhookEndpoint:
        """Send to a disabled endpoint again, from the next event on."""
        return await self._call(WebhookEndpoint, "POST", path(ONE + "/enable", endpoint_id))

    async def disable(self, endpoint_id: str) -> WebhookEndpoint:
        """Stop sending to the endpoint; its pending deliveries are abandoned (replay them later)."""
        return await self._call(WebhookEndpoint, "POST", path(ONE + "/disable", endpoint_id))


class AsyncWebhookDeliveryService(AsyncNamespace):
    def list(
        self, endpoint_id: str, *, status: str | None = None, limit: int | None = None
    ) -> AsyncPager[WebhookDelivery]:
        """The endpoint's delivery log, oldest first; ``status="failed"`` lists what never arrived."""
        return self._list(WebhookDelivery, path(DELIVERIES, endpoint_id), fields(status=status), limit)

    async def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """One delivery with the body it carries."""
        return await self._call(WebhookDelivery, "GET", path(DELIVERY, endpoint_id, delivery_id))

    async def replay(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Send the delivery again now, with the same ``webhook-id`` (409 while it is pending)."""
        return await self._call(WebhookDelivery, "POST", path(DELIVERY + "/replay", endpoint_id, delivery_id))


class AsyncWebhookService:
    """``client.webhooks`` of :class:`~ccokit_sdk.AsyncClient`: ``endpoints`` and ``deliveries``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.endpoints = AsyncWebhookEndpointService(engine)
        self.deliveries = AsyncWebhookDeliveryService(engine)
