"""Erasing a customer's personal data on request (GDPR, PIPL).

The row stays as an anonymised stub (``erased_at`` set) so that the id other plugins hold keeps
answering, but nothing on it names the person: name, notes and language are cleared, contact
points, external ids and tags are deleted. Tombstones merged into the profile hold no personal
data already (a merge clears them). ``customer.erased`` tells other plugins to anonymise what
they keep (ticketing: the requester on the customer's tickets). Events never carried personal
data, so the event log and webhook deliveries need no scrubbing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import Customer
from ccokit.plugins.customers.services.errors import Publish
from ccokit.plugins.customers.services.profiles import public_id, set_tags
from ccokit_sdk.models import utcnow

__all__ = ["erase_customer"]


def erase_customer(session: Session, customer: Customer, publish: Publish) -> bool:
    """Erase ``customer`` (live, as :func:`get_customer` returns it); returns ``False`` when it
    was erased already (nothing is published twice)."""
    if customer.erased_at is not None:
        return False
    now = utcnow()
    with session.begin_nested():
        customer.contact_points.clear()
        set_tags(customer, [])
        customer.name = customer.notes = customer.locale = None
        customer.erased_at = customer.updated_at = now
    publish("customer.erased", {"customer_id": public_id(customer)})
    return True
