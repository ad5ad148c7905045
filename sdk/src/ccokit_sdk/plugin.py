"""The plugin contract: the only surface a ccokit plugin may use.

A plugin is a distribution that declares an entry point in the ``ccokit.plugins`` group pointing
at a :class:`Plugin`. The platform discovers it, applies its migrations, and calls its ``setup``
once per process with a :class:`PluginContext`, in which the plugin adds its flask-smorest
blueprints, offers services to other plugins and registers its hooks.

While a request is served, :func:`current` gives the request's tenant, principal, the
tenant-scoped SQLAlchemy session and the plugin's blob storage (:mod:`ccokit_sdk.blobs`). Every
view declares the scope it needs with :func:`require_scope`. A plugin that a tenant has disabled
answers 404 to that tenant before any of its views runs.

Like CKAN's toolkit, this module changes only after a deprecation period; the platform's own
internals are out of bounds (import-linter checks it).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import marshmallow as ma
from flask import g, has_request_context
from flask_smorest import Blueprint, abort
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from ccokit_sdk.blobs import (
    BlobError,
    BlobInfo,
    BlobNotFound,
    BlobQuotaExceeded,
    Blobs,
    BlobTooLarge,
    InvalidBlobKey,
    PresignedUpload,
)
from ccokit_sdk.events import Event, EventType, Handler, HandlerContext
from ccokit_sdk.hookspecs import hookimpl
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id
from ccokit_sdk.jobs import JobFunction
from ccokit_sdk.models import TenantScoped, UTCDateTime, make_metadata, utcnow
from ccokit_sdk.pagination import CursorArgsSchema, CursorPage, page_of
from ccokit_sdk.schemas import PublicIdField

__all__ = [
    "ROLES",
    "BlobError",
    "BlobInfo",
    "BlobNotFound",
    "BlobQuotaExceeded",
    "BlobTooLarge",
    "Blobs",
    "Blueprint",
    "CursorArgsSchema",
    "CursorPage",
    "Event",
    "EventType",
    "Handler",
    "HandlerContext",
    "InvalidBlobKey",
    "InvalidPublicId",
    "JobFunction",
    "Plugin",
    "PluginContext",
    "PresignedUpload",
    "Principal",
    "PublicIdField",
    "RequestContext",
    "Scope",
    "TenantScoped",
    "UTCDateTime",
    "abort",
    "current",
    "decode_public_id",
    "encode_public_id",
    "hookimpl",
    "make_metadata",
    "new_id",
    "page_of",
    "parse_public_id",
    "require_scope",
    "utcnow",
]

#: Member roles from least to most powerful; a role may grant the scopes of its rank and below.
ROLES: tuple[str, ...] = ("agent", "supervisor", "admin", "owner")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Scope:
    """An OAuth2 scope a plugin declares, e.g. ``Scope("tickets:read", "Read tickets")``.

    ``min_role`` is the least member role that may grant it to an application; clients created
    by the tenant's admins may hold any scope.
    """

    name: str
    description: str
    min_role: str = "agent"

    def __post_init__(self) -> None:
        if self.min_role not in ROLES:
            raise ValueError(f"unknown role {self.min_role!r}; expected one of {ROLES}")


@dataclass(frozen=True)
class Plugin:
    """The declaration a plugin exposes through its ``ccokit.plugins`` entry point.

    - ``name``: lowercase identifier, also the URL segment (``/api/v1/<name>/…``) and the
      Alembic branch label.
    - ``scopes``: every scope its routes require.
    - ``settings_schema``: a marshmallow schema for the per-tenant settings; the platform
      validates every change with it and answers 422 with field errors.
    - ``metadata`` and ``migrations``: the plugin's tables and the folder of its Alembic
      versions (an absolute path; ``Path(__file__).parent / "migrations"``).
    - ``setup``: called once per process with a :class:`PluginContext`; wiring only.
    - ``hooks``: an object (often the plugin module) holding ``@hookimpl`` functions.
    - ``events``: every event type the plugin publishes (see :mod:`ccokit_sdk.events`).
    - ``default_enabled``: whether new tenants whose plan does not list plugins get it.
    """

    name: str
    version: str
    title: Mapping[str, str]
    setup: Callable[[PluginContext], None]
    scopes: tuple[Scope, ...] = ()
    settings_schema: type[ma.Schema] | None = None
    metadata: MetaData | None = None
    migrations: str | None = None
    hooks: object | None = None
    events: tuple[EventType, ...] = ()
    default_enabled: bool = True
    description: Mapping[str, str] = field(default_factory=dict)


class PluginContext(Protocol):
    """What the platform hands to :attr:`Plugin.setup`."""

    plugin: Plugin

    def register_blueprint(self, blueprint: Blueprint, url_prefix: str | None = None) -> None:
        """Mount a flask-smorest blueprint under ``/api/v1/<plugin name>`` (or ``url_prefix``)."""

    def provide(self, name: str, service: object) -> None:
        """Offer ``service`` to other plugins under ``name`` (``"customers.resolve"``)."""

    def service(self, name: str) -> object:
        """Return a service another plugin provided; raises ``LookupError`` if none did."""

    def subscribe(self, event_type: str, handler: Handler, *, name: str | None = None) -> None:
        """Call ``handler(event, ctx)`` for every event of ``event_type`` of tenants that have
        this plugin enabled. ``name`` identifies the handler in its processed-event records
        (default: its qualified name); keep it stable across releases.
        """

    def job(self, fn: JobFunction, *, name: str | None = None) -> JobFunction:
        """Register ``fn(ctx, **kwargs)`` as a job of this plugin (see :mod:`ccokit_sdk.jobs`);
        returns ``fn``. ``name`` (default: the function's name) is its stable identity."""

    def every(self, interval: timedelta, fn: JobFunction, *, name: str | None = None) -> JobFunction:
        """Register ``fn(ctx)`` and run it every ``interval`` (at least a minute) for each
        tenant that has this plugin enabled."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a member acting through an app, or an app on its own (client credentials).

    ``member_id`` is ``None`` for client-credentials tokens; ``role`` is then the role the client
    was created with.
    """

    tenant_id: uuid.UUID
    client_id: str
    scopes: frozenset[str]
    role: str
    member_id: uuid.UUID | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class RequestContext(Protocol):
    """The tenant-scoped view of one request, installed by the platform before a view runs."""

    tenant_id: uuid.UUID
    principal: Principal
    session: Session
    locale: str

    def settings(self, plugin_name: str) -> Mapping[str, Any]:
        """The tenant's validated settings of ``plugin_name`` (defaults filled in)."""

    @property
    def blobs(self) -> Blobs:
        """The tenant's blob storage of the plugin whose route serves this request, keys relative
        to its folder; limits from the tenant's plan (see :mod:`ccokit_sdk.blobs`)."""

    def publish(self, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID:
        """Record an event in this request's transaction; it is delivered after the commit."""

    def enqueue(
        self, job: JobFunction | str, /, *, delay: timedelta | float | None = None, **kwargs: Any
    ) -> uuid.UUID:
        """Enqueue a registered job for this tenant in this request's transaction; it runs
        after the commit (not before ``delay``). ``job`` is the function or ``"plugin.name"``;
        ``kwargs`` must be JSON values."""

    def audit(
        self,
        action: str,
        target_type: str,
        target_id: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        """Record an administrative change in the workspace's audit log, in this request's
        transaction (commit with the change). ``action`` reads ``<thing>.<past tense>``
        (``bot.retrained``); ``target_id`` is the object's public id; fields of ``before`` and
        ``after`` whose names suggest a secret are redacted. Who, from where and when are
        filled in by the platform."""


def current() -> RequestContext:
    """The request's tenant context; raises ``RuntimeError`` outside an authenticated request."""
    ctx = g.get("ccokit") if has_request_context() else None
    if ctx is None:
        raise RuntimeError("no authenticated ccokit request is active")
    return ctx


def require_scope(scope: str) -> Callable[[F], F]:
    """Declare that a view needs ``scope``; callers without it get 403, without a token 401.

    The platform also reads the declaration to document the operation's security in OpenAPI and
    to check that no route of any plugin is left without a scope.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = g.get("ccokit") if has_request_context() else None
            if ctx is None:
                abort(401, key="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="ccokit"'})
            if not ctx.principal.has_scope(scope):
                challenge = f'Bearer realm="ccokit", error="insufficient_scope", scope="{scope}"'
                abort(
                    403,
                    key="insufficient_scope",
                    message=f"this token lacks the scope {scope}",
                    headers={"WWW-Authenticate": challenge},
                )
            return view(*args, **kwargs)

        wrapper._ccokit_scope = scope  # type: ignore[attr-defined]
        doc = getattr(wrapper, "_apidoc", {})
        doc.setdefault("manual_doc", {})["security"] = [{"oauth2": [scope]}]
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def parse_public_id(prefix: str, text: str) -> uuid.UUID:
    """Decode a public id taken from a URL; a malformed id answers 404 like an unknown one."""
    try:
        return decode_public_id(prefix, text)
    except InvalidPublicId:
        abort(404)
        raise  # pragma: no cover - abort raises
