"""HTTP views of customer profiles: thin, one success schema each.

An id that was merged away answers with the profile it was merged into (``Content-Location``
names that profile's URL); every change follows the merge the same way.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import url_for
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from ccokit.plugins.customers.models import Customer
from ccokit.plugins.customers.routes.preconditions import check_if_match, etag_of, found_first
from ccokit.plugins.customers.schemas.customers import (
    CustomerLookupArgsSchema,
    CustomerMergeSchema,
    CustomerPageSchema,
    CustomerPatchSchema,
    CustomerQuerySchema,
    CustomerSchema,
)
from ccokit.plugins.customers.services import erasure, merging, profiles
from ccokit.plugins.customers.services.errors import ContactTaken, CustomerErased, SameCustomer, UnknownTier
from ccokit.plugins.customers.texts import text
from ccokit_sdk.plugin import abort, current, page_of, parse_public_id, require_scope

blueprint = Blueprint("customers", __name__, description="Customer profiles (会员通)")


def load_customer(customer_id: str) -> Customer:
    customer = profiles.get_customer(current().session, parse_public_id("cus", customer_id))
    if customer is None:
        abort(404)
    return customer


def _answer(customer: Customer, requested: str | None = None) -> tuple[Customer, dict[str, str]]:
    headers = {"ETag": etag_of(customer)}
    if requested is not None and requested != profiles.public_id(customer):
        headers["Content-Location"] = url_for(
            "customers.get_customer", customer_id=profiles.public_id(customer)
        )
    return customer, headers


def _refuse(exc: Exception) -> NoReturn:
    """The problem+json answer for what the rules refused."""
    if isinstance(exc, ContactTaken):
        owner = exc.owner_public_id
        abort(409, message=text("contact_taken_detail", customer_id=owner),
              messages={exc.field: [text("contact_taken", value=exc.value, customer_id=owner)]})
    if isinstance(exc, UnknownTier):
        abort(422, messages={"tier": [text("unknown_tier", key=exc.key)]})
    if isinstance(exc, CustomerErased):
        abort(409, message=text("erased", customer_id=exc.public_id))
    if isinstance(exc, SameCustomer):
        abort(422, messages={"source_id": [text("merge_same", customer_id=exc.public_id)]})
    if isinstance(exc, StaleDataError):
        abort(409, message=text("raced", what=text("what_customer")))
    raise exc


_REFUSED = (ContactTaken, UnknownTier, CustomerErased, SameCustomer, StaleDataError)


@blueprint.get("/customers")
@require_scope("customers:read")
@blueprint.arguments(CustomerQuerySchema, location="query")
@blueprint.response(200, CustomerPageSchema)
def list_customers(args: dict[str, Any]) -> Any:
    """Live profiles, oldest first; filters: tag, tier (key), q (start of the name), and an
    exact email, phone, chat id or external id."""
    page = page_of(current().session, profiles.list_query(args), Customer.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/customers")
@require_scope("customers:write")
@blueprint.arguments(CustomerSchema)
@blueprint.response(201, CustomerSchema)
def create_customer(data: dict[str, Any]) -> Any:
    ctx = current()
    try:
        customer = profiles.create_customer(ctx.session, data, ctx.publish)
    except _REFUSED as exc:
        _refuse(exc)
    ctx.session.commit()
    body, headers = _answer(customer)
    headers["Location"] = url_for("customers.get_customer", customer_id=profiles.public_id(customer))
    return body, headers


@blueprint.get("/customers/lookup")
@require_scope("customers:read")
@blueprint.arguments(CustomerLookupArgsSchema, location="query")
@blueprint.response(200, CustomerSchema)
def lookup_customer(args: dict[str, Any]) -> Any:
    """The customer one email, phone, chat id or external id names (404 if nobody)."""
    key = profiles.lookup_key(args)
    customer = profiles.lookup_customer(current().session, key) if key is not None else None
    if customer is None:
        abort(404)
    return _answer(customer)


@blueprint.get("/customers/<customer_id>")
@require_scope("customers:read")
@blueprint.response(200, CustomerSchema)
def get_customer(customer_id: str) -> Any:
    return _answer(load_customer(customer_id), customer_id)


@blueprint.patch("/customers/<customer_id>")
@require_scope("customers:write")
@found_first(load_customer, "customer_id")
@blueprint.arguments(CustomerPatchSchema)
@blueprint.response(200, CustomerSchema)
def update_customer(data: dict[str, Any], customer_id: str) -> Any:
    """Change a profile; a list given (emails, tags, …) replaces the one kept. Send ``If-Match``
    with the ETag you read to be told (412) when someone changed it meanwhile."""
    ctx = current()
    customer = load_customer(customer_id)
    check_if_match(customer, "what_customer")
    try:
        profiles.update_customer(ctx.session, customer, data, ctx.publish)
        ctx.session.commit()
    except _REFUSED as exc:
        _refuse(exc)
    return _answer(customer, customer_id)


@blueprint.post("/customers/<customer_id>/merge")
@require_scope("customers:write")
@found_first(load_customer, "customer_id")
@blueprint.arguments(CustomerMergeSchema)
@blueprint.response(200, CustomerSchema)
def merge_customer(data: dict[str, Any], customer_id: str) -> Any:
    """Merge the profile ``source_id`` into this one; the source's id then answers with this
    profile, and ``customer.merged`` tells other plugins to move their records."""
    ctx = current()
    target = load_customer(customer_id)
    source = profiles.get_customer(ctx.session, data["source_id"])
    if source is None:
        abort(422, messages={"source_id": [text("merge_unknown_source")]})
    try:
        merging.merge_customers(ctx.session, target, source, ctx.publish)
        ctx.session.commit()
    except _REFUSED as exc:
        _refuse(exc)
    return _answer(target, customer_id)


@blueprint.post("/customers/<customer_id>/erase")
@require_scope("customers:admin")
@blueprint.response(200, CustomerSchema)
def erase_customer(customer_id: str) -> Any:
    """Erase the customer's personal data (GDPR, PIPL): the profile stays as an anonymised stub
    and ``customer.erased`` asks other plugins to anonymise theirs. Cannot be undone; repeating
    it changes nothing."""
    ctx = current()
    customer = load_customer(customer_id)
    if erasure.erase_customer(ctx.session, customer, ctx.publish):
        ctx.audit("customer.erased", "customer", profiles.public_id(customer))
    try:
        ctx.session.commit()
    except StaleDataError as exc:
        _refuse(exc)
    return _answer(customer, customer_id)
