"""The plugin host: finds plugins through entry points, wires them in, switches them per tenant.

Built-in plugins get no private door: the platform imports none of them and discovers them in
the ``ccokit.plugins`` entry-point group exactly as it would a third party's. Each plugin's
``setup`` runs once per app with a :class:`HostContext`; its hooks are registered with pluggy.
Blueprints are module-level objects shared by every app a process builds, so the host never
changes them: it remembers which plugin owns which blueprint and guards them app-wide.

Per tenant, a row in ``tenant_plugins`` says whether the plugin is enabled and holds its
settings, validated by the plugin's schema. Every blueprint a plugin registers answers 404 to a
tenant that has the plugin disabled, before any view of it runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

import marshmallow as ma
import pluggy
from flask import Flask, g, request
from flask_smorest import Api, Blueprint, abort
from sqlalchemy import select

from ccokit.platform import member_directory
from ccokit.platform.events.registry import EventRegistry
from ccokit.platform.scopes import PLATFORM_SCOPES
from ccokit.tenants.database import TenantSession
from ccokit.tenants.models import TenantPlugin
from ccokit.tenants.plans import get_plan
from ccokit_sdk import hookspecs
from ccokit_sdk.events import Handler
from ccokit_sdk.jobs import JobFunction
from ccokit_sdk.models import cached_configuration
from ccokit_sdk.plugin import Plugin, Scope

__all__ = ["ENTRY_POINT_GROUP", "HostContext", "PluginError", "PluginHost", "discover_plugins"]

ENTRY_POINT_GROUP = "ccokit.plugins"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
log = logging.getLogger(__name__)


class PluginError(RuntimeError):
    """A plugin is malformed (bad name, duplicate name, setup failure)."""


class UnknownPlugin(LookupError):
    """No installed plugin has this name."""


def discover_plugins(group: str = ENTRY_POINT_GROUP) -> list[Plugin]:
    """Load every plugin declared in the entry-point group, sorted by name."""
    found: dict[str, Plugin] = {}
    for ep in entry_points(group=group):
        plugin = ep.load()
        if not isinstance(plugin, Plugin):
            raise PluginError(f"entry point {ep.name!r} does not name a ccokit_sdk.plugin.Plugin")
        if not _NAME.match(plugin.name):
            raise PluginError(f"plugin name {plugin.name!r} must match {_NAME.pattern}")
        if plugin.name in found:
            raise PluginError(f"two distributions declare the plugin {plugin.name!r}")
        found[plugin.name] = plugin
    return [found[name] for name in sorted(found)]


class HostContext:
    """The :class:`ccokit_sdk.plugin.PluginContext` given to one plugin's ``setup``."""

    def __init__(self, host: PluginHost, plugin: Plugin, app: Flask, api: Api) -> None:
        self.host = host
        self.plugin = plugin
        self._app = app
        self._api = api

    def register_blueprint(self, blueprint: Blueprint, url_prefix: str | None = None) -> None:
        name = self.plugin.name
        owner = self.host.blueprint_owners.setdefault(blueprint.name, name)
        if owner != name:
            raise PluginError(f"plugins {owner!r} and {name!r} both register a blueprint {blueprint.name!r}")
        self._api.register_blueprint(blueprint, url_prefix=url_prefix or f"/api/v1/{name}")

    def provide(self, name: str, service: object) -> None:
        if name in self.host.services:
            raise PluginError(f"service {name!r} is provided twice")
        self.host.services[name] = service

    def service(self, name: str) -> object:
        try:
            return self.host.services[name]
        except KeyError:
            raise LookupError(f"no plugin provides the service {name!r}") from None

    def subscribe(self, event_type: str, handler: Handler, *, name: str | None = None) -> None:
        self.host.events.subscribe(self.plugin.name, event_type, handler, name)

    def job(self, fn: JobFunction, *, name: str | None = None) -> JobFunction:
        self.host.events.register_job(self.plugin.name, fn, name)
        return fn

    def every(self, interval: timedelta, fn: JobFunction, *, name: str | None = None) -> JobFunction:
        self.host.events.schedule(self.plugin.name, fn, interval, name)
        return fn


def _enabled_rows(session: TenantSession) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    rows = session.execute(
        select(TenantPlugin.plugin, TenantPlugin.settings).where(TenantPlugin.enabled.is_(True))
    )
    return tuple((name, MappingProxyType(dict(settings or {}))) for name, settings in rows)


class PluginHost:
    """The installed plugins of one app and the per-tenant switches over them."""

    def __init__(self, plugins: Iterable[Plugin], events: EventRegistry | None = None) -> None:
        self.plugins: dict[str, Plugin] = {p.name: p for p in plugins}
        self.events = events if events is not None else EventRegistry()
        for plugin in self.plugins.values():
            self.events.declare(plugin.name, plugin.events)
        #: blueprint name -> name of the plugin that registered it
        self.blueprint_owners: dict[str, str] = {}
        #: Services by name: what plugins provide, and what the platform offers every plugin.
        self.services: dict[str, object] = {member_directory.SERVICE: member_directory.get_members}
        self.hooks = pluggy.PluginManager(hookspecs.PROJECT)
        self.hooks.add_hookspecs(hookspecs)
        for plugin in self.plugins.values():
            if plugin.hooks is not None:
                self.hooks.register(plugin.hooks, name=plugin.name)

    # -- wiring -------------------------------------------------------------------------
    def setup(self, app: Flask, api: Api) -> None:
        """Run every plugin's ``setup`` and guard their routes (after authentication ran)."""
        app.before_request(self.guard_enabled)
        for plugin in self.plugins.values():
            try:
                plugin.setup(HostContext(self, plugin, app, api))
            except Exception as exc:
                raise PluginError(f"plugin {plugin.name!r} failed to set up: {exc}") from exc

    def migration_locations(self) -> list[str]:
        return [p.migrations for p in self.plugins.values() if p.migrations]

    def all_scopes(self) -> dict[str, Scope]:
        scopes = {s.name: s for s in PLATFORM_SCOPES}
        for plugin in self.plugins.values():
            for scope in plugin.scopes:
                scopes[scope.name] = scope
        return scopes

    # -- per tenant ---------------------------------------------------------------------
    def get(self, name: str) -> Plugin:
        try:
            return self.plugins[name]
        except KeyError:
            raise UnknownPlugin(name) from None

    def plugins_for_plan(self, plan_name: str) -> list[str]:
        listed = get_plan(plan_name).plugins
        if listed is None:
            return [p.name for p in self.plugins.values() if p.default_enabled]
        return [name for name in listed if name in self.plugins]

    def enabled_map(self, session: TenantSession) -> dict[str, Mapping[str, Any]]:
        """Enabled, installed plugins of the session's tenant, with their stored settings
        (read-only, from the configuration cache; ``settings_for`` gives a plugin its own copy)."""
        rows = cached_configuration(session, "platform.enabled_plugins", _enabled_rows)
        return {name: settings for name, settings in rows if name in self.plugins}

    def settings_for(self, name: str, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        schema_cls = self.get(name).settings_schema
        if schema_cls is None:
            return {}
        return dict(schema_cls().load(dict(stored or {})))

    def validate_settings(self, name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Validate with the plugin's schema; raises ``marshmallow.ValidationError``."""
        schema_cls = self.get(name).settings_schema
        if schema_cls is None:
            if settings:
                raise ma.ValidationError({"_schema": ["This plugin has no settings."]})
            return {}
        loaded = schema_cls().load(dict(settings))
        return dict(schema_cls().dump(loaded))

    def set_enabled(self, session: TenantSession, name: str, enabled: bool) -> TenantPlugin:
        """Enable or disable ``name`` for the session's tenant; the caller commits."""
        self.get(name)
        tenant_id = session.tenant_id
        assert tenant_id is not None
        row = session.get(TenantPlugin, (tenant_id, name))
        if row is None:
            row = TenantPlugin(plugin=name, enabled=enabled, settings={})
            session.add(row)
            changed = True
        else:
            changed = row.enabled != enabled
            row.enabled = enabled
        session.flush()
        if changed:
            hooks = self.hooks.hook
            hook = hooks.ccokit_plugin_enabled if enabled else hooks.ccokit_plugin_disabled
            hook(tenant_id=tenant_id, session=session, plugin_name=name)
        return row

    def configure(self, session: TenantSession, name: str, settings: Mapping[str, Any]) -> TenantPlugin:
        """Replace the tenant's settings of ``name`` after validating them; the caller commits."""
        clean = self.validate_settings(name, settings)
        tenant_id = session.tenant_id
        assert tenant_id is not None
        row = session.get(TenantPlugin, (tenant_id, name))
        if row is None:
            row = TenantPlugin(plugin=name, enabled=False, settings=clean)
            session.add(row)
        else:
            row.settings = clean
        session.flush()
        return row

    def guard_enabled(self) -> None:
        """Before every request to a plugin's route: 404 unless the caller's tenant enabled it."""
        name = self.blueprint_owners.get(request.blueprint or "")
        if name is None:
            return
        scope = g.get("ccokit")
        if scope is None:
            return  # the view's require_scope answers 401
        if name not in scope.enabled_plugins:
            abort(404)
