"""``/api/v1/clients``: a tenant's admins register and manage the applications that call its API.

Nobody hands an application more than they could grant themselves: the scopes must be ones the
caller's role may grant, and the role a client-credentials client acts with is at most the
caller's. A client id of another tenant is invisible (404), like one that never existed.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ccokit.platform.audit.recorder import record_audit
from ccokit.platform.kernel import current_kernel
from ccokit.platform.oauth.clients import (
    ClientRuleError,
    check_client_scopes,
    check_client_shape,
    check_redirect_uris,
    create_client,
    delete_client,
    rotate_secret,
)
from ccokit.platform.oauth.models import CLIENT_ID_PREFIX, OAuthClient
from ccokit.platform.oauth.schemas import (
    ClientCreateSchema,
    ClientPageSchema,
    ClientPatchSchema,
    ClientSchema,
    ClientWithSecretSchema,
)
from ccokit_sdk.pagination import CursorArgsSchema, page_of
from ccokit_sdk.plugin import ROLES, current, parse_public_id, require_scope

__all__ = ["blueprint"]

blueprint = Blueprint(
    "clients",
    __name__,
    url_prefix="/api/v1/clients",
    description="Applications (OAuth clients) of your workspace",
)


def _load(client_id: str) -> OAuthClient:
    ctx = current()
    client = ctx.session.get(OAuthClient, (ctx.tenant_id, parse_public_id(CLIENT_ID_PREFIX, client_id)))
    if client is None or client.revoked_at is not None:
        abort(404)
    return client


def _reject(error: ClientRuleError) -> NoReturn:
    abort(422, messages={error.field: [error.message]})
    raise AssertionError("unreachable")  # pragma: no cover


def _check_scopes(scopes: list[str], *, client_role: str, grant_types: list[str]) -> None:
    caller = current().principal.role
    try:
        check_client_scopes(
            scopes,
            known=current_kernel().plugins.all_scopes(),
            client_role=client_role,
            grant_types=grant_types,
            granting_role=caller,
        )
    except ClientRuleError as error:
        _reject(error)
    except PermissionError as error:
        abort(403, message=str(error))


def _shown(client: OAuthClient) -> dict[str, Any]:
    return dict(ClientSchema().dump(client))


def _audit(
    action: str, client: OAuthClient, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    record_audit(current().session, action, "oauth_client", client.client_id, before=before, after=after)


def _with_secret(client: OAuthClient, secret: str | None) -> dict[str, Any]:
    """The client's fields plus its one-time secret, for the response schema to serialize."""
    body = {name: getattr(client, name) for name in ClientSchema().fields}
    body["client_secret"] = secret
    return body


@blueprint.get("")
@require_scope("tenant:read")
@blueprint.arguments(CursorArgsSchema, location="query")
@blueprint.response(200, ClientPageSchema)
def list_clients(args: dict[str, Any]) -> Any:
    """The workspace's applications, oldest first."""
    stmt = select(OAuthClient).where(OAuthClient.revoked_at.is_(None))
    page = page_of(current().session, stmt, OAuthClient.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("")
@require_scope("tenant:admin")
@blueprint.arguments(ClientCreateSchema)
@blueprint.response(201, ClientWithSecretSchema)
def register_client(data: dict[str, Any]) -> Any:
    """Register an application. A confidential one gets its secret here, and only here."""
    caller = current().principal.role
    if ROLES.index(data["role"]) > ROLES.index(caller):
        abort(403, message=f"a {caller} cannot create a client acting as {data['role']}")
    try:
        check_client_shape(
            role=data["role"],
            confidential=data["confidential"],
            redirect_uris=data["redirect_uris"],
            grant_types=data["grant_types"],
        )
    except ClientRuleError as error:
        _reject(error)
    _check_scopes(data["scopes"], client_role=data["role"], grant_types=data["grant_types"])
    session = current().session
    client, secret = create_client(session, **data)
    _audit("oauth_client.created", client, None, _shown(client))
    session.commit()
    return _with_secret(client, secret)


@blueprint.get("/<client_id>")
@require_scope("tenant:read")
@blueprint.response(200, ClientSchema)
def get_client(client_id: str) -> Any:
    return _load(client_id)


@blueprint.patch("/<client_id>")
@require_scope("tenant:admin")
@blueprint.arguments(ClientPatchSchema)
@blueprint.response(200, ClientSchema)
def update_client(data: dict[str, Any], client_id: str) -> Any:
    """Rename an application, or replace its redirect URIs or scopes."""
    client = _load(client_id)
    before = _shown(client)
    if "redirect_uris" in data:
        try:
            check_redirect_uris(data["redirect_uris"])
            if "authorization_code" in client.grant_types and not data["redirect_uris"]:
                raise ClientRuleError("redirect_uris", "authorization_code needs at least one redirect URI")
        except ClientRuleError as error:
            _reject(error)
        client.redirect_uris = list(dict.fromkeys(data["redirect_uris"]))
    if "scopes" in data:
        _check_scopes(data["scopes"], client_role=client.role, grant_types=client.grant_types)
        client.scopes = list(dict.fromkeys(data["scopes"]))
    if "name" in data:
        client.name = data["name"]
    current().session.flush()  # updated_at is set on flush
    _audit("oauth_client.updated", client, before, _shown(client))
    current().session.commit()
    return client


@blueprint.post("/<client_id>/rotate-secret")
@require_scope("tenant:admin")
@blueprint.response(200, ClientWithSecretSchema)
def rotate_client_secret(client_id: str) -> Any:
    """Replace the secret of a confidential application; the old one stops working at once."""
    client = _load(client_id)
    try:
        secret = rotate_secret(current().session, client)
    except ClientRuleError:
        abort(409, message="a public client has no secret to rotate")
    _audit("oauth_client.secret_rotated", client, None, None)
    current().session.commit()
    return _with_secret(client, secret)


@blueprint.delete("/<client_id>")
@require_scope("tenant:admin")
@blueprint.response(204)
def remove_client(client_id: str) -> None:
    """Delete an application: its secret, refresh tokens and access tokens stop working at once."""
    client = _load(client_id)
    before = _shown(client)
    delete_client(current().session, client, current_kernel().settings.access_token_ttl)
    _audit("oauth_client.deleted", client, before, None)
    current().session.commit()
