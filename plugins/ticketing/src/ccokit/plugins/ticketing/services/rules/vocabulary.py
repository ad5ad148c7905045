"""The ticket vocabulary rules speak: statuses, priorities, categories, channels and the like.

Kept in one place so the condition and action languages, their validation and the docs agree.
"""

from __future__ import annotations

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
#: Lowest first: ``priority lt high`` means low or normal.
PRIORITIES = ("low", "normal", "high", "urgent")
CATEGORIES = ("pre_sales", "logistics", "after_sales", "dispute", "other")
CHANNELS = ("web", "email", "chat", "phone", "api", "other")
AUTHOR_KINDS = ("agent", "customer", "system")
VIAS = ("api", "web", "email", "chat", "macro", "trigger", "automation", "system")
HOURS_SINCE = ("created", "updated", "solved", "status_changed")

MEMBER_PREFIX = "mem"
GROUP_PREFIX = "grp"
CUSTOMER_PREFIX = "cus"
