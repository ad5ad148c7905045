"""The words tickets are made of: statuses, priorities, categories, channels, kinds and vias.

One spelling for the tables, the schemas, the services and the rules engine; it sits outside
the layers (models and schemas may not import each other) and imports nothing.
"""

from __future__ import annotations

__all__ = [
    "ACTOR_KINDS",
    "AUTHOR_KINDS",
    "CATEGORIES",
    "CHANNELS",
    "FIELD_TYPES",
    "PRIORITIES",
    "STATUSES",
    "VIAS",
]

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
#: Lowest first; ``Ticket.priority_rank`` is the index into this tuple, so sorting works.
PRIORITIES = ("low", "normal", "high", "urgent")
#: Where in the shopper's journey the case arose (the lighthouse score covers the same links).
CATEGORIES = ("pre_sales", "logistics", "after_sales", "dispute", "other")
CHANNELS = ("chat", "email", "phone", "video", "web", "api")
AUTHOR_KINDS = ("agent", "customer", "bot", "system")
#: Who made a change: a member (agent), an API client acting on its own (app), or the others.
ACTOR_KINDS = ("agent", "app", "customer", "bot", "system")
#: Through what a change came: the API, a rule, a merge, a bulk update, ccokit itself.
VIAS = ("api", "macro", "trigger", "automation", "merge", "bulk", "system")
#: Types of custom fields.
FIELD_TYPES = ("text", "number", "date", "dropdown", "multi_select", "checkbox")
