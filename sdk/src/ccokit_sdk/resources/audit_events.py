"""``client.audit_events``: who changed what in the workspace, when and from where (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, fields, path, timestamp

__all__ = ["AsyncAuditEventService", "AuditActor", "AuditEvent", "AuditEventService", "AuditTarget"]

URL = "/api/v1/audit-events"
ONE = "/api/v1/audit-events/{}"


@dataclass(frozen=True, kw_only=True)
class AuditActor(APIObject):
    """Who made a change: ``type`` member, client or system; ``client_id`` the app it came through."""

    type: str
    id: str | None
    client_id: str | None


@dataclass(frozen=True, kw_only=True)
class AuditTarget(APIObject):
    """What was changed: ``type`` (member, plugin, workspace, ...) and its ``id``."""

    type: str
    id: str


@dataclass(frozen=True, kw_only=True)
class AuditEvent(APIObject):
    """One administrative change (``aud_…``), with the target's state ``before`` and ``after`` it."""

    id: str
    occurred_at: datetime
    action: str
    actor: AuditActor
    target: AuditTarget
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None
    request_id: str | None


def _query(
    action: str | None, target_type: str | None, target_id: str | None, actor: str | None,
    since: datetime | None, until: datetime | None,
) -> dict[str, Any]:
    return fields(
        action=action, target_type=target_type, target_id=target_id, actor=actor,
        since=timestamp(since), until=timestamp(until),
    )


class AuditEventService(Namespace):
    def list(
        self,
        *,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> Pager[AuditEvent]:
        """Changes oldest first, filtered by the given arguments (scope ``audit:read``).

        ``actor`` is a member's id (``mem_…``) or an app's client id; ``since`` is inclusive,
        ``until`` exclusive, both timezone-aware.
        """
        return self._list(AuditEvent, URL, _query(action, target_type, target_id, actor, since, until), limit)

    def get(self, audit_event_id: str) -> AuditEvent:
        return self._call(AuditEvent, "GET", path(ONE, audit_event_id))


class AsyncAuditEventService(AsyncNamespace):
    def list(
        self,
        *,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPager[AuditEvent]:
        """Changes oldest first, filtered by the given arguments (scope ``audit:read``)."""
        return self._list(AuditEvent, URL, _query(action, target_type, target_id, actor, since, until), limit)

    async def get(self, audit_event_id: str) -> AuditEvent:
        return await self._call(AuditEvent, "GET", path(ONE, audit_event_id))
