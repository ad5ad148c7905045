"""The ticket vocabulary rules speak: the core's statuses, priorities, categories, channels, vias,
plus what only rules use (the moments ``hours_since.*`` measures from).

Kept in one place so the condition and action languages, their validation and the docs agree.
"""

from __future__ import annotations

from ccokit.plugins.ticketing.vocabulary import (
    AUTHOR_KINDS,
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    STATUSES,
    VIAS,
)

__all__ = [
    "AUTHOR_KINDS",
    "CATEGORIES",
    "CHANNELS",
    "CUSTOMER_PREFIX",
    "GROUP_PREFIX",
    "HOURS_SINCE",
    "MEMBER_PREFIX",
    "PRIORITIES",
    "STATUSES",
    "VIAS",
]

#: ``hours_since.<moment>`` and the ticket column each one measures from.
HOURS_SINCE = {
    "created": "created_at",
    "updated": "updated_at",
    "solved": "solved_at",
    "status_changed": "status_changed_at",
}

MEMBER_PREFIX = "mem"
GROUP_PREFIX = "grp"
CUSTOMER_PREFIX = "cus"
