"""The workspace's plugins: list them, switch them on or off, configure them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ccokit.platform.api.schemas import PluginListSchema, PluginSchema, PluginSettingsSchema
from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.kernel import current_kernel
from ccokit.platform.plugin_host import UnknownPlugin
from ccokit.tenants.models import TenantPlugin
from ccokit_sdk.plugin import Plugin, current, require_scope

blueprint = Blueprint(
    "plugins", __name__, url_prefix="/api/v1/plugins", description="Plugins of the workspace"
)


def _describe(plugin: Plugin, row: TenantPlugin | None) -> dict[str, Any]:
    host = current_kernel().plugins
    return {
        "name": plugin.name,
        "version": plugin.version,
        "title": dict(plugin.title),
        "description": dict(plugin.description),
        "enabled": bool(row and row.enabled),
        "settings": host.settings_for(plugin.name, row.settings if row else None),
        "scopes": [s.name for s in plugin.scopes],
    }


def _plugin(name: str) -> Plugin:
    try:
        return current_kernel().plugins.get(name)
    except UnknownPlugin:
        abort(404)
        raise


def _row(name: str) -> TenantPlugin | None:
    return current().session.get(TenantPlugin, (current().tenant_id, name))


def _state(row: TenantPlugin | None) -> dict[str, Any]:
    """What an audit event records of a plugin's switch: enabled, and the stored settings."""
    return {"enabled": bool(row and row.enabled), "settings": dict(row.settings or {}) if row else {}}


def _switch(name: str, enabled: bool) -> Any:
    plugin = _plugin(name)
    before = _state(_row(name))
    row = current_kernel().plugins.set_enabled(current().session, name, enabled)
    after = _state(row)
    if before != after:
        action = "plugin.enabled" if enabled else "plugin.disabled"
        record_audit(current().session, action, "plugin", name, before=before, after=after)
    current().session.commit()
    return _describe(plugin, row)


@blueprint.get("")
@require_scope("tenant:read")
@blueprint.response(200, PluginListSchema)
def list_plugins() -> Any:
    """Every installed plugin, with whether this workspace has it enabled."""
    rows = {r.plugin: r for r in current().session.scalars(select(TenantPlugin))}
    host = current_kernel().plugins
    return {"items": [_describe(p, rows.get(p.name)) for p in host.plugins.values()]}


@blueprint.get("/<name>")
@require_scope("tenant:read")
@blueprint.response(200, PluginSchema)
def get_plugin(name: str) -> Any:
    return _describe(_plugin(name), _row(name))


@blueprint.post("/<name>/enable")
@require_scope("tenant:admin")
@blueprint.response(200, PluginSchema)
def enable_plugin(name: str) -> Any:
    return _switch(name, True)


@blueprint.post("/<name>/disable")
@require_scope("tenant:admin")
@blueprint.response(200, PluginSchema)
def disable_plugin(name: str) -> Any:
    """Disable the plugin: its routes answer 404 to this workspace; its data is kept."""
    return _switch(name, False)


@blueprint.put("/<name>/settings")
@require_scope("tenant:admin")
@blueprint.arguments(PluginSettingsSchema)
@blueprint.response(200, PluginSchema)
def configure_plugin(data: dict[str, Any], name: str) -> Any:
    """Replace the plugin's settings; they are validated by the plugin's own schema."""
    plugin = _plugin(name)
    before = _state(_row(name))
    try:
        row = current_kernel().plugins.configure(current().session, name, data["settings"])
    except ma.ValidationError as exc:
        abort(422, messages={"settings": exc.messages})
    record_audit(current().session, "plugin.configured", "plugin", name, before=before, after=_state(row))
    current().session.commit()
    return _describe(plugin, row)
