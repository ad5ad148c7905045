"""The application factory: everything is built here, nothing at import time.

``create_app`` is a list of ``init_app`` steps in the order a request meets them: request ids,
authentication, the API and its error shapes, rate limits, the OAuth2 server, the platform's
own routes, and finally every plugin found through the ``ccokit.plugins`` entry points.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app, request
from flask_smorest import Api, abort
from werkzeug.middleware.proxy_fix import ProxyFix

from ccokit.platform import authentication, health, nul_characters, oauth, rate_limits, request_ids
from ccokit.platform.api import (
    audit_events,
    blobs,
    events_admin,
    members,
    plugins_admin,
    signup,
    webhooks_admin,
    workspace,
)
from ccokit.platform.blob_links import BlobLinks
from ccokit.platform.config import Settings, load_settings
from ccokit.platform.events.retention import purge_delivered_events
from ccokit.platform.idempotency import http as idempotency
from ccokit.platform.idempotency.store import purge_expired_keys
from ccokit.platform.kernel import Kernel
from ccokit.platform.oauth import authorize as oauth_authorize
from ccokit.platform.oauth import endpoints as oauth_endpoints
from ccokit.platform.openapi import document_security
from ccokit.platform.plugin_host import PluginHost, discover_plugins
from ccokit.platform.problems import install_error_handlers
from ccokit.platform.storage import open_storage
from ccokit.platform.webhooks.wiring import install_webhooks
from ccokit.tenants.database import Database
from ccokit_sdk.plugin import Plugin

__all__ = ["create_app"]

log = logging.getLogger(__name__)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def create_app(settings: Settings | None = None, *, plugins: Iterable[Plugin] | None = None) -> Flask:
    """Build a ccokit app from ``settings`` (default: the ``CCOKIT_*`` environment).

    ``plugins`` overrides discovery, for tests that need a plugin that is not installed.
    """
    settings = settings or load_settings()
    app = Flask("ccokit.platform")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
        API_TITLE="ccokit",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        API_SPEC_OPTIONS={
            "info": {"description": "ccokit, the customer-service middle platform (客服中台)."},
        },
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # 面包坊, not \u9762\u5305\u574a
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=1)  # type: ignore[method-assign]

    redis = None
    if settings.redis_url:
        from redis import Redis

        redis = Redis.from_url(settings.redis_url)
    host = PluginHost(discover_plugins() if plugins is None else plugins)
    kernel = Kernel(
        settings=settings,
        db=Database(settings.database_url, ping_idle_after=settings.database_ping_after),
        plugins=host,
        storage=open_storage(settings.storage_url, links=BlobLinks(settings.secret_key, settings.base_url)),
        redis=redis,
        events=host.events,
    )
    app.extensions["ccokit"] = kernel
    _schedule_maintenance(kernel)
    install_webhooks(kernel)

    request_ids.init_app(app)
    app.before_request(_require_json_bodies)
    authentication.init_app(app)
    nul_characters.init_app(app)

    api = Api(app, spec_kwargs={"extra_plugins": [idempotency.IdempotencyKeyDoc()]})
    limiter = rate_limits.init_app(app, settings)
    limiter.limit(lambda: settings.signup_rate_limit)(signup.blueprint)

    app.register_blueprint(health.blueprint)
    oauth.init_app(app, api)
    # Per client IP: credential guessing at the token endpoint and the sign-in form is throttled.
    limiter.limit(lambda: settings.token_rate_limit)(oauth_endpoints.blueprint)
    limiter.limit(lambda: settings.signin_rate_limit, methods=["POST"])(oauth_authorize.blueprint)
    platform_blueprints = (
        signup.blueprint,
        workspace.blueprint,
        members.blueprint,
        plugins_admin.blueprint,
        events_admin.blueprint,
        audit_events.blueprint,
        webhooks_admin.blueprint,
        blobs.blueprint,
    )
    for blueprint in platform_blueprints:
        api.register_blueprint(blueprint)
    host.setup(app, api)
    idempotency.init_app(app)  # after authentication, the rate limits and the plugin guard
    document_security(api, host)
    install_error_handlers(app)
    return app


def _schedule_maintenance(kernel: Kernel) -> None:
    """Housekeeping the scheduler runs across all tenants (``ccokit scheduler``)."""
    kernel.events.maintain("purge_idempotency_keys", lambda k: purge_expired_keys(k.db), timedelta(hours=1))
    kernel.events.maintain("purge_delivered_events", purge_delivered_events, timedelta(hours=1))


def _require_json_bodies() -> None:
    """The JSON API takes JSON: a body of any other type answers 415, not a confusing 422.

    The signed blob links take files; they check their bodies themselves. A view that declares
    ``files`` arguments (``@blueprint.arguments(Schema, location="files")``, a CSV import) takes
    ``multipart/form-data``.
    """
    if request.blueprint == blobs.blueprint.name:
        return
    has_body = bool(request.content_length or request.headers.get("Transfer-Encoding"))
    is_api_write = request.method in _BODY_METHODS and request.path.startswith("/api/")
    if is_api_write and has_body and not request.is_json and not _takes_files():
        abort(415)


def _takes_files() -> bool:
    if request.mimetype != "multipart/form-data":
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(parameter.get("in") == "files" for parameter in parameters)
