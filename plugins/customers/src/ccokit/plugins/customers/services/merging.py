"""Merging two profiles of one shopper into one.

The source's contact points, external ids, tags and notes move to the target; the target keeps
its own name, language and tier where it has them, takes the source's where it has none, and
keeps the higher-ranked of the two tiers. The source stays as a tombstone pointing at the target
(``merged_into_id``) and holding no personal data, so its id keeps answering with the target,
and ``customer.merged`` tells other plugins to move their records. All in one transaction.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import Customer
from ccokit.plugins.customers.services.errors import CustomerErased, Publish, SameCustomer
from ccokit.plugins.customers.services.profiles import public_id, set_tags
from ccokit_sdk.models import utcnow

__all__ = ["merge_customers"]


def merge_customers(session: Session, target: Customer, source: Customer, publish: Publish) -> Customer:
    """Merge ``source`` into ``target`` (both live, as :func:`get_customer` returns them)."""
    if target.id == source.id:
        raise SameCustomer(target.id)
    for customer in (target, source):
        if customer.erased_at is not None:
            raise CustomerErased(customer.id)
    previous_tier = target.tier_key
    now = utcnow()
    with session.begin_nested():
        for point in list(source.contact_points):
            source.contact_points.remove(point)
            target.contact_points.append(point)
        set_tags(target, [*target.tags, *source.tags])
        set_tags(source, [])
        if source.notes:
            target.notes = f"{target.notes}\n\n{source.notes}" if target.notes else source.notes
        target.name = target.name or source.name
        target.locale = target.locale or source.locale
        if source.tier is not None and (target.tier is None or source.tier.rank > target.tier.rank):
            target.tier = source.tier
        target.updated_at = now
        source.name = source.notes = source.locale = None
        source.tier = None
        source.merged_into_id, source.merged_at, source.updated_at = target.id, now, now
        # Tombstones that pointed at the source now point at the target: every old id is one hop.
        session.execute(
            update(Customer).where(Customer.merged_into_id == source.id).values(merged_into_id=target.id),
            execution_options={"synchronize_session": False},
        )
    publish("customer.merged", {"customer_id": public_id(target), "merged_id": public_id(source)})
    if target.tier_key != previous_tier:
        publish("customer.tier_changed", {
            "customer_id": public_id(target), "tier": target.tier_key, "previous_tier": previous_tier,
        })
    return target
