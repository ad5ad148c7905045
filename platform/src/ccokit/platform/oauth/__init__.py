"""The OAuth2 authorization server of the platform (authlib), under ``/oauth/*``.

- :mod:`.endpoints`: token, revocation, introspection, JWKS and the RFC 8414 metadata document;
- :mod:`.authorize`: the sign-in and consent pages of the authorization code flow;
- :mod:`.client_api`: ``/api/v1/clients``, where a tenant's admins manage their applications;
- :mod:`.tokens`: JWT access tokens (mint, verify, revoke), used by request authentication;
- :mod:`.clients`, :mod:`.credentials`, :mod:`.keys`: the storage behind them.

Importing the package does nothing; :func:`init_app` wires it into an app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from flask_smorest import Api

__all__ = ["init_app"]


def init_app(app: Flask, api: Api) -> None:
    """Register the OAuth routes on ``app`` and the applications API on ``api``."""
    from ccokit.platform.oauth import authorize, client_api, endpoints
    from ccokit.platform.oauth.server import make_server

    app.extensions["ccokit.oauth.server"] = make_server(app)
    app.register_blueprint(endpoints.blueprint)
    app.register_blueprint(authorize.blueprint)
    api.register_blueprint(client_api.blueprint)
