"""The machine-facing OAuth2 endpoints: token, revocation, introspection, JWKS and metadata.

They speak the OAuth dialect, not the JSON API's: form-encoded requests and RFC 6749 JSON
errors (``{"error": "invalid_grant", …}``). Each of the first three scopes the request session to
the calling client's tenant before authlib reads anything (:func:`.server.enter_client_tenant`),
and the token and revocation endpoints commit what they did, including a family revoked because
a replay was detected, even when the answer is an error.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify

from ccokit.platform.kernel import current_kernel, request_session
from ccokit.platform.oauth.server import OAuthServer, enter_client_tenant
from ccokit.platform.oauth.tokens import signing_keys

__all__ = ["blueprint", "metadata"]

blueprint = Blueprint("oauth", __name__)


def _server() -> OAuthServer:
    return current_app.extensions["ccokit.oauth.server"]  # type: ignore[no-any-return]


def _answer(endpoint: str | None, *, commit: bool) -> Any:
    """Run a token-endpoint-like request inside the calling client's tenant."""
    server = _server()
    session = request_session()
    error = enter_client_tenant(session)
    if error is not None:
        return server.handle_error_response(None, error)
    try:
        if endpoint is None:
            response = server.create_token_response()
        else:
            response = server.create_endpoint_response(endpoint)
    except OAuth2Error as exc:  # e.g. plain http to a non-loopback host (insecure_transport)
        return server.handle_error_response(None, exc)
    if commit:
        session.commit()
    return response


@blueprint.post("/oauth/token")
def token() -> Any:
    """RFC 6749 §3.2: client credentials, authorization code (PKCE) and refresh token grants."""
    return _answer(None, commit=True)


@blueprint.post("/oauth/revoke")
def revoke() -> Any:
    """RFC 7009: revoke an access token, or a refresh token with its whole family."""
    return _answer("revocation", commit=True)


@blueprint.post("/oauth/introspect")
def introspect() -> Any:
    """RFC 7662: whether a token of the caller's own tenant is active, and its claims."""
    return _answer("introspection", commit=False)


@blueprint.get("/oauth/jwks")
def jwks() -> Response:
    """The public keys that verify access tokens (current and recently retired)."""
    response = jsonify(signing_keys().public_jwks())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def metadata() -> dict[str, Any]:
    """The RFC 8414 authorization server metadata, built from the configured public URL."""
    kernel = current_kernel()
    base = kernel.settings.base_url
    secret_methods = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/oauth/jwks",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "scopes_supported": sorted(kernel.plugins.all_scopes()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": [*secret_methods, "none"],
        "revocation_endpoint_auth_methods_supported": [*secret_methods, "none"],
        "introspection_endpoint_auth_methods_supported": secret_methods,
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["en", "zh-CN"],
        "service_documentation": f"{base}/api/docs",
    }


@blueprint.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata() -> Response:
    response = jsonify(metadata())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
