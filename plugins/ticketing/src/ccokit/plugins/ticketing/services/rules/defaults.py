"""The rules a new workspace starts with, in the owner's language.

- **Close solved tickets after 4 days** (automation, active): status is solved and 96 hours
  have passed since it was solved → set status closed. Closing is final, so the customer's
  "thanks" after that opens a new ticket rather than reviving an old one.
- **Agree refund requests under 100 yuan** (trigger, *inactive*): an after-sales ticket tagged
  ``refund_request`` whose number custom field ``refund_amount`` is below 100 gets the tag
  ``refund_agreed``, a reply to the customer, ``ticket.rule_notified`` for the merchant's own
  systems (the webhook that actually refunds) and status solved. It is only seeded when the
  workspace has a number field ``refund_amount``: without the amount condition it would agree
  every refund request, one click away from a costly mistake. A merchant who adds the field later
  creates the trigger from the example in ``docs/ticketing.md``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.rules import Automation, Trigger
from ccokit.plugins.ticketing.services.rules import ticket_view
from ccokit.plugins.ticketing.services.rules.automations import validate_automation
from ccokit.plugins.ticketing.services.rules.store import create_rule
from ccokit.plugins.ticketing.services.rules.triggers import validate_trigger

__all__ = ["REFUND_LIMIT", "refund_trigger", "seed_defaults"]

REFUND_LIMIT = 100

_CLOSE_SOLVED = {
    "en": ("Close solved tickets after 4 days", "Solved tickets nobody reopened within 4 days are closed."),
    "zh": ("已解决工单 4 天后自动关闭", "已解决且 4 天内无人重新打开的工单自动关闭。"),
}
_REFUND = {
    "en": (
        "Agree refund requests under 100 yuan",
        "Example: after-sales refund requests below 100 yuan are agreed at once and your systems are "
        "told through the ticket.rule_notified webhook. Check the reply, then activate it.",
        "Your refund for ticket #{{ticket.number}} has been agreed; the money is on its way back.",
    ),
    "zh": (
        "自动同意 100 元以下的退款申请",
        "示例：100 元以下的售后退款申请立即同意，并通过 ticket.rule_notified webhook 通知您的系统执行退款。"
        "确认回复内容后再启用。",
        "您好 {{requester.name}}，工单 #{{ticket.number}} 的退款申请已同意，款项将原路退回。",
    ),
}


def refund_trigger(locale: str) -> dict[str, Any]:
    """The refund example as a trigger's data (inactive)."""
    title, description, reply = _REFUND.get(locale, _REFUND["zh"])
    return {
        "title": title,
        "description": description,
        "active": False,
        "conditions": {"all": [
            {"field": "category", "operator": "is", "value": "after_sales"},
            {"field": "tags", "operator": "contains", "value": ["refund_request"]},
            {"field": "tags", "operator": "not_contains", "value": ["refund_agreed"]},
            {"field": "custom_fields.refund_amount", "operator": "lt", "value": REFUND_LIMIT},
        ], "any": []},
        "actions": [
            {"action": "add_tags", "value": ["refund_agreed"]},
            {"action": "reply", "value": reply},
            {"action": "notify_webhook", "value": "refund_agreed #{{ticket.number}}"},
            {"action": "set", "field": "status", "value": "solved"},
        ],
    }


def seed_defaults(session: Session, locale: str) -> None:
    """Add the default rules to a new workspace (in its sign-up transaction)."""
    title, description = _CLOSE_SOLVED.get(locale, _CLOSE_SOLVED["zh"])
    create_rule(session, Automation, {
        "title": title,
        "description": description,
        "conditions": {"all": [
            {"field": "status", "operator": "is", "value": "solved"},
            {"field": "hours_since.solved", "operator": "gt", "value": 96},
        ], "any": []},
        "actions": [{"action": "set", "field": "status", "value": "closed"}],
    }, validate_automation, locale)
    amount = ticket_view.custom_field_specs(session).get("refund_amount")
    if amount is not None and amount.kind == "number":
        create_rule(session, Trigger, refund_trigger(locale), validate_trigger, locale)
