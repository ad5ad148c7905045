"""The kernel object: what one running app holds, reachable as ``current_kernel``.

Every part that needs the database, the plugin host or storage gets it from here rather than
from a module global, so two apps (two tests, two tenants' benchmarks) never share state.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app, g, request

from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.blobs import PluginBlobs
from ccokit.platform.config import Settings
from ccokit.platform.events.outbox import enqueue, publish
from ccokit.platform.events.registry import EventRegistry
from ccokit.tenants.database import Database, TenantSession
from ccokit_sdk.jobs import JobFunction
from ccokit_sdk.plugin import Principal

if TYPE_CHECKING:
    from ccokit.platform.plugin_host import PluginHost
    from ccokit.platform.storage import Storage

__all__ = ["Kernel", "RequestScope", "current_kernel", "request_session"]


@dataclass
class Kernel:
    settings: Settings
    db: Database
    plugins: PluginHost
    storage: Storage
    redis: Any = None
    events: EventRegistry = field(default_factory=EventRegistry)


def current_kernel(app: Flask | None = None) -> Kernel:
    return cast(Kernel, (app or current_app).extensions["ccokit"])


def request_session() -> TenantSession:
    """The request's session, created on first use and closed when the request ends."""
    session = g.get("_ccokit_session")
    if session is None:
        session = current_kernel().db.session()
        g._ccokit_session = session
    return cast(TenantSession, session)


@dataclass
class RequestScope:
    """The tenant-scoped view of one authenticated request (``ccokit_sdk.plugin.current()``)."""

    tenant_id: uuid.UUID
    principal: Principal
    session: TenantSession
    locale: str
    enabled_plugins: Mapping[str, Mapping[str, Any]]

    def settings(self, plugin_name: str) -> Mapping[str, Any]:
        return current_kernel().plugins.settings_for(plugin_name, self.enabled_plugins.get(plugin_name))

    @property
    def blobs(self) -> PluginBlobs:
        """The blobs of the plugin that owns the route being served."""
        kernel = current_kernel()
        plugin = kernel.plugins.blueprint_owners.get(request.blueprint or "")
        if plugin is None:
            raise RuntimeError("current().blobs is for the routes of a plugin")
        return PluginBlobs.of_tenant(kernel.storage, self.session, self.tenant_id, plugin)

    def publish(self, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        """Write the event into this request's transaction (delivered after the commit)."""
        return publish(self.session, current_kernel().events, event_type, payload)

    def enqueue(
        self, job: JobFunction | str, /, *, delay: timedelta | float | None = None, **kwargs: Any
    ) -> uuid.UUID:
        """Write a run of a registered job into this request's transaction."""
        return enqueue(self.session, current_kernel().events, job, kwargs, delay)

    def audit(
        self,
        action: str,
        target_type: str,
        target_id: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        """Write an audit event into this request's transaction."""
        record_audit(self.session, action, target_type, target_id, before=before, after=after)
