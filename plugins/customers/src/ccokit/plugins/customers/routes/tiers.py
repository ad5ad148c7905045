"""HTTP views of the tier ladder. Changing it is administration (scope ``customers:admin``),
recorded in the workspace's audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import url_for
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from ccokit.plugins.customers.models import Tier
from ccokit.plugins.customers.routes.preconditions import check_if_match, etag_of, found_first
from ccokit.plugins.customers.schemas.tiers import (
    CustomerTierPageSchema,
    CustomerTierPatchSchema,
    CustomerTierSchema,
)
from ccokit.plugins.customers.services import tiers
from ccokit.plugins.customers.services.errors import TierInUse, TierTaken, TooManyTiers
from ccokit.plugins.customers.texts import text
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.plugin import abort, current, parse_public_id, require_scope

blueprint = Blueprint("customer_tiers", __name__, description="Member tiers (会员等级) and what they earn")


def load_tier(tier_id: str) -> Tier:
    tier = tiers.get_tier(current().session, parse_public_id("tier", tier_id))
    if tier is None:
        abort(404)
    return tier


def _refuse(exc: Exception) -> NoReturn:
    if isinstance(exc, TierTaken):
        key = "tier_rank_taken" if exc.field == "rank" else "tier_key_taken"
        abort(409, messages={exc.field: [text(key, key=exc.value, rank=exc.value)]})
    if isinstance(exc, TierInUse):
        abort(409, message=text("tier_in_use", count=exc.count))
    if isinstance(exc, TooManyTiers):
        abort(409, message=text("too_many_tiers", limit=exc.limit))
    if isinstance(exc, StaleDataError):
        abort(409, message=text("raced", what=text("what_tier")))
    raise exc


_REFUSED = (TierTaken, TierInUse, TooManyTiers, StaleDataError)


def _audit(action: str, tier: Tier, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    current().audit(action, "customer_tier", encode_public_id("tier", tier.id), before=before, after=after)


@blueprint.get("/tiers")
@require_scope("customers:read")
@blueprint.response(200, CustomerTierPageSchema)
def list_tiers() -> Any:
    """The whole ladder, lowest rank first (one page: a workspace has at most 20 tiers)."""
    return {"items": list(current().session.scalars(tiers.ladder_query())), "next_cursor": None}


@blueprint.post("/tiers")
@require_scope("customers:admin")
@blueprint.arguments(CustomerTierSchema)
@blueprint.response(201, CustomerTierSchema)
def create_tier(data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        tier = tiers.create_tier(ctx.session, data)
    except _REFUSED as exc:
        _refuse(exc)
    _audit("customer_tier.created", tier, None, tiers.tier_state(tier))
    ctx.session.commit()
    location = url_for("customer_tiers.get_tier", tier_id=encode_public_id("tier", tier.id))
    return tier, {"ETag": etag_of(tier), "Location": location}


@blueprint.get("/tiers/<tier_id>")
@require_scope("customers:read")
@blueprint.response(200, CustomerTierSchema)
def get_tier(tier_id: str) -> Any:
    tier = load_tier(tier_id)
    return tier, {"ETag": etag_of(tier)}


@blueprint.patch("/tiers/<tier_id>")
@require_scope("customers:admin")
@found_first(load_tier, "tier_id")
@blueprint.arguments(CustomerTierPatchSchema)
@blueprint.response(200, CustomerTierSchema)
def update_tier(data: dict[str, Any], tier_id: str) -> Any:
    """Rename, re-rank or change what a tier earns; its key stays. ``If-Match`` as for profiles."""
    ctx = current()
    tier = load_tier(tier_id)
    check_if_match(tier, "what_tier")
    before = tiers.tier_state(tier)
    try:
        tiers.update_tier(ctx.session, tier, data)
    except _REFUSED as exc:
        _refuse(exc)
    after = tiers.tier_state(tier)
    if after != before:
        _audit("customer_tier.updated", tier, before, after)
    ctx.session.commit()
    return tier, {"ETag": etag_of(tier)}


@blueprint.delete("/tiers/<tier_id>")
@require_scope("customers:admin")
@blueprint.response(204)
def delete_tier(tier_id: str) -> None:
    """Remove a tier nobody holds (409 while customers do)."""
    ctx = current()
    tier = load_tier(tier_id)
    check_if_match(tier, "what_tier")
    before = tiers.tier_state(tier)
    try:
        tiers.delete_tier(ctx.session, tier)
    except _REFUSED as exc:
        _refuse(exc)
    _audit("customer_tier.deleted", tier, before, None)
    ctx.session.commit()
