"""The platform's own OAuth2 scopes; plugins declare theirs in their :class:`Plugin`."""

from __future__ import annotations

from ccokit_sdk.plugin import ROLES, Scope

__all__ = ["PLATFORM_SCOPES", "role_may_grant"]

PLATFORM_SCOPES: tuple[Scope, ...] = (
    Scope("tenant:read", "See the workspace, its plan and its plugins", "agent"),
    Scope("members:read", "See the workspace's members", "agent"),
    Scope("tenant:admin", "Manage the workspace: members, apps, plugins, suspension, deletion", "admin"),
    Scope("audit:read", "Read the workspace's audit log of administrative changes", "admin"),
    Scope("webhooks:manage", "Register webhook endpoints, rotate their secrets, replay deliveries", "admin"),
)


def role_may_grant(role: str, scope: Scope) -> bool:
    """Whether a member of ``role`` may grant ``scope`` to an application."""
    return ROLES.index(role) >= ROLES.index(scope.min_role)
