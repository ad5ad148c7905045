"""Self-service provisioning: a merchant signs up and owns a complete workspace at once.

Sign-up is one transaction: the tenant, its owner, a confidential OAuth client for the
merchant's own code, the plugins of its plan enabled and every plugin's
``ccokit_tenant_provisioned`` hook. If any step fails, nothing of it remains.

Deletion runs in three steps that can each be repeated: mark the tenant deleted (its tokens stop
working at once), release what lives outside the database (plugin hooks, then every blob under
the tenant's prefix), then remove every row of the tenant in every table.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ccokit.platform.kernel import Kernel
from ccokit.platform.oauth.clients import create_client
from ccokit.platform.storage import tenant_prefix
from ccokit.tenants.errors import SlugTaken
from ccokit.tenants.models import Member, Tenant
from ccokit.tenants.registry import add_member, create_tenant, get_tenant, purge_tenant_rows

__all__ = ["Provisioned", "delete_tenant", "provision_tenant", "set_tenant_status"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provisioned:
    tenant: Tenant
    owner: Member
    client_id: str
    client_secret: str
    scopes: list[str]
    plugins: list[str]


def provision_tenant(
    kernel: Kernel,
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str | None = None,
    locale: str = "en",
    plan: str | None = None,
) -> Provisioned:
    """Create a tenant with its owner, API client and plugins, all or nothing."""
    plan = plan or kernel.settings.signup_plan
    session = kernel.db.session()
    try:
        with session.begin():
            tenant = create_tenant(session, slug=slug, name=name, plan=plan)
            owner = add_member(
                session,
                email=owner_email,
                password=owner_password,
                role="owner",
                display_name=owner_name or owner_email.split("@")[0],
                locale=locale,
            )
            scopes = sorted(kernel.plugins.all_scopes())
            client, secret = create_client(
                session,
                name=f"{name} API",
                scopes=scopes,
                role="owner",
                confidential=True,
                grant_types=["client_credentials"],
            )
            enabled = kernel.plugins.plugins_for_plan(plan)
            for plugin_name in enabled:
                kernel.plugins.set_enabled(session, plugin_name, True)
            kernel.plugins.hooks.hook.ccokit_tenant_provisioned(
                tenant_id=tenant.id, session=session, plan=plan, locale=locale
            )
    except IntegrityError as exc:
        # Two sign-ups raced for the same slug; the database's unique index decided.
        raise SlugTaken(slug) from exc
    finally:
        session.close()
    assert secret is not None
    log.info("tenant provisioned", extra={"tenant_id": str(tenant.id)})
    return Provisioned(tenant, owner, client.client_id, secret, scopes, enabled)


def set_tenant_status(kernel: Kernel, tenant_id: uuid.UUID, status: str) -> Tenant:
    """Suspend (``suspended``) or resume (``active``) a tenant."""
    if status not in ("active", "suspended"):
        raise ValueError(status)
    with kernel.db.transaction() as session:
        tenant = get_tenant(session, tenant_id)
        if tenant is None or tenant.status == "deleted":
            raise LookupError(tenant_id)
        tenant.status = status
    return tenant


def delete_tenant(kernel: Kernel, tenant_id: uuid.UUID) -> dict[str, int]:
    """Remove the tenant, every row it owns in every table, and its blobs. Idempotent."""
    with kernel.db.transaction() as session:
        tenant = get_tenant(session, tenant_id)
        if tenant is None:
            return {}
        tenant.status = "deleted"
    kernel.plugins.hooks.hook.ccokit_tenant_deleting(tenant_id=tenant_id, storage=kernel.storage)
    blobs = kernel.storage.delete_prefix(tenant_prefix(tenant_id))
    with kernel.db.transaction(tenant_id) as session:
        removed = purge_tenant_rows(session, tenant_id)
    removed["blobs"] = blobs
    log.info("tenant deleted", extra={"tenant_id": str(tenant_id)})
    return removed
