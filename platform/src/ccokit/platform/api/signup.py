"""``POST /api/v1/signup``: a merchant creates its workspace (public, rate-limited per IP)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort

from ccokit.platform.api.schemas import SignupResultSchema, SignupSchema
from ccokit.platform.kernel import current_kernel
from ccokit.platform.provisioning import provision_tenant
from ccokit.tenants.errors import SlugTaken

blueprint = Blueprint("signup", __name__, url_prefix="/api/v1", description="Self-service sign-up")


@blueprint.post("/signup")
@blueprint.arguments(SignupSchema)
@blueprint.response(201, SignupResultSchema)
@blueprint.alt_response(409, description="The slug is taken")
def signup(data: dict[str, Any]) -> dict[str, Any]:
    """Create a workspace: tenant, owner, an API client (its secret is shown only here) and plugins.

    No token needed. Limited per client IP.
    """
    kernel = current_kernel()
    try:
        result = provision_tenant(kernel, **data)
    except SlugTaken:
        abort(409, key="slug_taken", messages={"slug": ["This workspace address is taken."]})
    return {
        "tenant": result.tenant,
        "owner": result.owner,
        "client": {
            "client_id": result.client_id,
            "client_secret": result.client_secret,
            "scopes": result.scopes,
            "token_endpoint": f"{kernel.settings.base_url}/oauth/token",
        },
        "plugins": result.plugins,
    }
