"""What the customer rules refuse, as exceptions the views turn into problem+json."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ccokit_sdk.ids import encode_public_id

__all__ = [
    "ContactTaken",
    "CustomerErased",
    "Publish",
    "SameCustomer",
    "TierInUse",
    "TierTaken",
    "TooManyTiers",
    "UnknownTier",
]

#: ``current().publish`` or a handler's ``ctx.publish``: records an event in the transaction.
Publish = Callable[[str, Mapping[str, Any]], Any]


class ContactTaken(Exception):
    """A contact point or external id already names another customer of the tenant."""

    def __init__(self, field: str, value: str, owner_id: uuid.UUID) -> None:
        super().__init__(field, value, owner_id)
        self.field = field
        self.value = value
        self.owner_id = owner_id

    @property
    def owner_public_id(self) -> str:
        return encode_public_id("cus", self.owner_id)


class UnknownTier(Exception):
    """No tier of the tenant has this key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class CustomerErased(Exception):
    """The profile was erased; it holds no data and takes no change."""

    def __init__(self, customer_id: uuid.UUID) -> None:
        super().__init__(customer_id)
        self.public_id = encode_public_id("cus", customer_id)


class SameCustomer(Exception):
    """A merge of a customer into itself (perhaps through an earlier merge)."""

    def __init__(self, customer_id: uuid.UUID) -> None:
        super().__init__(customer_id)
        self.public_id = encode_public_id("cus", customer_id)


class TierTaken(Exception):
    """Another tier has this key or this rank (``field`` says which)."""

    def __init__(self, field: str, value: Any) -> None:
        super().__init__(field, value)
        self.field = field
        self.value = value


class TierInUse(Exception):
    """Customers still hold the tier being removed."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class TooManyTiers(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit
