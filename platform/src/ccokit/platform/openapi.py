"""OpenAPI details flask-smorest cannot infer: the OAuth2 security scheme and each route's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_smorest import Api

if TYPE_CHECKING:
    from ccokit.platform.plugin_host import PluginHost

__all__ = ["document_security"]


def document_security(api: Api, host: PluginHost) -> None:
    """Declare the OAuth2 scheme with every scope the platform and its plugins know."""
    scopes = {name: scope.description for name, scope in sorted(host.all_scopes().items())}
    api.spec.components.security_scheme(
        "oauth2",
        {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes},
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "refreshUrl": "/oauth/token",
                    "scopes": scopes,
                },
            },
        },
    )
    host.hooks.hook.ccokit_api_spec(spec=api.spec)
