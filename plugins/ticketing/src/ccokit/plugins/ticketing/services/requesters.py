"""Who asked: the requester of a ticket, linked to a customer profile when ccokit has one.

When the customers plugin is installed it offers ``customers.resolve`` and ``customers.get``
(looked up through the plugin context each time, so ticketing works without it): a requester's
email or phone is resolved to a customer, created if new, and the ticket keeps ``customer_id``.
Without it the ticket keeps the requester's name, email and phone only.

What the customers plugin tells ticketing back (merges, erasure) is handled in
:mod:`.customer_events`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.services.messages import Invalid, Message
from ccokit.plugins.ticketing.services.other_plugins import service

__all__ = ["KNOWN_TIER", "resolve"]

#: Key of :func:`resolve`'s answer holding the resolved customer's member tier (a ``TierRef`` or
#: ``None``), when the customers plugin told it: not a ticket field, but it spares the SLA of a
#: new ticket looking the tier up again.
KNOWN_TIER = "customer_tier"

def resolve(session: Session, requester: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket fields (``customer_id`` and ``requester_*``) for a requester given as
    ``{email, phone, name, customer_id}``; raises ``Invalid`` for an unknown customer id."""
    name, email, phone = requester.get("name"), requester.get("email"), requester.get("phone")
    customer_id: uuid.UUID | None = requester.get("customer_id")
    known: dict[str, Any] = {}
    if customer_id is not None:
        get = service("customers.get")
        if get is not None:
            ref = get(session, customer_id)
            if ref is None:
                raise Invalid({"requester": {"customer_id": [Message("unknown_customer")]}})
            customer_id = ref.id  # the surviving profile, if this one was merged
            name = name or getattr(ref, "name", None)
            known[KNOWN_TIER] = getattr(ref, "tier", None)
    elif email or phone:
        resolve_customer = service("customers.resolve")
        if resolve_customer is not None:
            try:
                ref = resolve_customer(session, email=email, phone=phone, name=name, create=True)
            except ValueError as exc:
                field = "phone" if phone else "email"
                raise Invalid({"requester": {field: [Message("bad_contact", {"detail": str(exc)})]}}) from exc
            if ref is not None:
                customer_id = ref.id
                name = name or getattr(ref, "name", None)
                known[KNOWN_TIER] = getattr(ref, "tier", None)
    return {
        "customer_id": customer_id,
        "requester_name": name,
        "requester_email": email,
        "requester_phone": phone,
        **known,
    }

