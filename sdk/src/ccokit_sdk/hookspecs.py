"""Hook specifications: the moments at which the platform calls into plugins.

A plugin implements any of these in the object it passes as ``Plugin(hooks=...)``, decorating
each function with :data:`hookimpl`. Every hook is broadcast to every installed plugin, so a
hook that concerns one plugin passes the plugin's name. Hooks run inside the platform's
transaction where a ``session`` is given: raise to abort the whole change.
"""

from __future__ import annotations

import uuid
from typing import Any

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "ccokit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ccokit_tenant_provisioned(
    tenant_id: uuid.UUID, session: Any, plan: str, locale: str
) -> None:
    """Called once when a merchant signs up, inside the sign-up transaction.

    ``locale`` is the owner's language (``en`` or ``zh``). The tenant, its owner and the plugins
    of its plan already exist; ``session`` is scoped to the new tenant. Seed the defaults a new
    merchant expects here (a first queue, sample quick replies). Returns nothing; raising aborts
    the sign-up and leaves nothing behind.
    """


@hookspec
def ccokit_plugin_enabled(tenant_id: uuid.UUID, session: Any, plugin_name: str) -> None:
    """Called when a tenant enables ``plugin_name`` (at sign-up or later), in that transaction.

    Returns nothing. Only the named plugin usually cares; check ``plugin_name``.
    """


@hookspec
def ccokit_plugin_disabled(tenant_id: uuid.UUID, session: Any, plugin_name: str) -> None:
    """Called when a tenant disables ``plugin_name``, in that transaction.

    The plugin's rows stay (re-enabling brings them back); stop anything that runs on the
    tenant's behalf. Returns nothing.
    """


@hookspec
def ccokit_tenant_deleting(tenant_id: uuid.UUID, storage: Any) -> None:
    """Called before a tenant's rows are removed, to release what lives outside the database.

    Blobs under the tenant's storage prefix are removed by the platform afterwards; use this for
    anything else the plugin created elsewhere. Must be idempotent: a deletion that failed
    half-way is run again. Returns nothing.
    """


@hookspec
def ccokit_api_spec(spec: Any) -> None:
    """Called once while the OpenAPI document is built; ``spec`` is the apispec ``APISpec``.

    Add shared components (schemas, examples) a plugin's routes refer to. Returns nothing.
    """
