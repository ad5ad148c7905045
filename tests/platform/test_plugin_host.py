"""The plugin host: discovery through entry points, scopes on every route, per-tenant switches."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask_smorest import Blueprint

from ccokit.platform.plugin_host import PluginError, PluginHost, discover_plugins
from ccokit_sdk.plugin import Plugin, Scope, hookimpl, require_scope

PUBLIC_ROUTES = {
    ("POST", "/api/v1/signup"),
    # Signed blob links: the signature in the token is the credential, as with a presigned S3 URL.
    ("POST", "/api/v1/blobs/upload/<token>"),
    ("PUT", "/api/v1/blobs/upload/<token>"),
    ("GET", "/api/v1/blobs/<token>"),
}


def test_builtin_plugins_are_found_through_entry_points_only() -> None:
    names = [p.name for p in discover_plugins()]
    assert "quick_replies" in names
    assert names == sorted(names)


def test_a_non_plugin_entry_point_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = SimpleNamespace(name="broken", load=lambda: object())
    monkeypatch.setattr("ccokit.platform.plugin_host.entry_points", lambda group: [fake])
    with pytest.raises(PluginError, match="does not name"):
        discover_plugins()


def test_two_plugins_with_one_name_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = Plugin(name="twin", version="1", title={"en": "Twin"}, setup=lambda ctx: None)
    eps = [SimpleNamespace(name="a", load=lambda: plugin), SimpleNamespace(name="b", load=lambda: plugin)]
    monkeypatch.setattr("ccokit.platform.plugin_host.entry_points", lambda group: eps)
    with pytest.raises(PluginError, match="two distributions"):
        discover_plugins()


def test_every_api_route_requires_a_scope(app: Flask) -> None:
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods or ():
            if method in ("HEAD", "OPTIONS") or (method, rule.rule) in PUBLIC_ROUTES:
                continue
            if not getattr(view, "_ccokit_scope", None):
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes without require_scope: {missing}"


def test_every_required_scope_is_declared(app: Flask) -> None:
    from ccokit.platform.kernel import current_kernel

    declared = set(current_kernel(app).plugins.all_scopes())
    used = {
        getattr(view, "_ccokit_scope", None) for view in app.view_functions.values()
    } - {None}
    assert used <= declared, f"scopes used but not declared: {used - declared}"


class _Settings(ma.Schema):
    greeting = ma.fields.String(load_default="hi", validate=ma.validate.Length(1, 10))


def test_settings_are_validated_by_the_plugins_schema() -> None:
    plugin = Plugin(
        name="greeter", version="1", title={"en": "Greeter"}, setup=lambda ctx: None, settings_schema=_Settings
    )
    host = PluginHost([plugin])
    assert host.settings_for("greeter", None) == {"greeting": "hi"}
    assert host.validate_settings("greeter", {"greeting": "hello"}) == {"greeting": "hello"}
    with pytest.raises(ma.ValidationError) as err:
        host.validate_settings("greeter", {"greeting": "x" * 20, "extra": 1})
    assert set(err.value.messages) == {"greeting", "extra"}


def test_hooks_reach_the_plugin_that_implements_them() -> None:
    calls: list[tuple[str, Any]] = []

    class Hooks:
        @staticmethod
        @hookimpl
        def ccokit_plugin_enabled(tenant_id: Any, session: Any, plugin_name: str) -> None:
            calls.append((plugin_name, tenant_id))

    host = PluginHost([Plugin(name="hooked", version="1", title={"en": "H"}, setup=lambda ctx: None, hooks=Hooks)])
    host.hooks.hook.ccokit_plugin_enabled(tenant_id="t", session=None, plugin_name="hooked")
    assert calls == [("hooked", "t")]


def test_a_plugin_setup_failure_names_the_plugin() -> None:
    def setup(ctx: Any) -> None:
        raise RuntimeError("boom")

    host = PluginHost([Plugin(name="fragile", version="1", title={"en": "F"}, setup=setup)])
    with pytest.raises(PluginError, match="fragile"):
        host.setup(Flask("x"), api=None)  # type: ignore[arg-type]


def test_services_are_shared_by_name_and_not_overwritten() -> None:
    offered = object()

    def provider(ctx: Any) -> None:
        ctx.provide("orders.lookup", offered)

    seen: dict[str, object] = {}

    def consumer(ctx: Any) -> None:
        seen["svc"] = ctx.service("orders.lookup")
        with pytest.raises(LookupError):
            ctx.service("nobody.offers")

    host = PluginHost([
        Plugin(name="aprovider", version="1", title={"en": "P"}, setup=provider),
        Plugin(name="bconsumer", version="1", title={"en": "C"}, setup=consumer),
    ])
    host.setup(Flask("x"), api=None)  # type: ignore[arg-type]
    assert seen["svc"] is offered
    with pytest.raises(PluginError, match="provided twice"):
        PluginHost([
            Plugin(name="aprovider", version="1", title={"en": "P"}, setup=provider),
            Plugin(name="bprovider", version="1", title={"en": "P"}, setup=provider),
        ]).setup(Flask("y"), api=None)  # type: ignore[arg-type]


def test_a_plugin_route_declares_its_scope_in_openapi(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    op = spec["paths"]["/api/v1/quick_replies/replies"]["post"]
    assert op["security"] == [{"oauth2": ["quick_replies:write"]}]
    assert "quick_replies:write" in spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]


# A tiny blueprint shape check: require_scope leaves flask-smorest's documentation intact.
_bp = Blueprint("shape", __name__)


@_bp.get("/x")
@require_scope("x:read")
@_bp.response(200)
def _view() -> dict[str, str]:
    return {}


def test_require_scope_keeps_the_view_documented() -> None:
    assert _view._ccokit_scope == "x:read"  # type: ignore[attr-defined]
    assert _view._apidoc["manual_doc"]["security"] == [{"oauth2": ["x:read"]}]  # type: ignore[attr-defined]
    assert Scope("x:read", "X").min_role == "agent"
