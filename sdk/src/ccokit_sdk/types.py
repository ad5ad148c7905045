"""Every result type of the API client, in one place to import from.

Each is a frozen dataclass (see :mod:`ccokit_sdk.objects`): typed attributes, ``extra`` for
members a newer server added, ``to_dict()`` for the JSON as sent.
"""

from __future__ import annotations

from ccokit_sdk.lists import AsyncPager, Page, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.api_clients import APIClient
from ccokit_sdk.resources.audit_events import AuditActor, AuditEvent, AuditTarget
from ccokit_sdk.resources.customers import ChatId, Customer, ExternalId, Tier
from ccokit_sdk.resources.events import Event, HandlerState
from ccokit_sdk.resources.members import Member
from ccokit_sdk.resources.plugins import PluginInfo
from ccokit_sdk.resources.quick_replies import QuickReply, RenderedReply
from ccokit_sdk.resources.routing import (
    AgentWork,
    BusinessHours,
    Conversation,
    EstimateError,
    Handed,
    OverflowStage,
    QueueStats,
    RoutingAgent,
    RoutingGroup,
    RoutingQueue,
    RoutingStats,
    WorkspaceStats,
)
from ccokit_sdk.resources.tenant import Tenant
from ccokit_sdk.resources.tickets import Comment, Requester, Ticket, TicketChange, TicketSearchHit
from ccokit_sdk.resources.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "APIClient",
    "APIObject",
    "AgentWork",
    "AsyncPager",
    "AuditActor",
    "AuditEvent",
    "AuditTarget",
    "BusinessHours",
    "ChatId",
    "Comment",
    "Conversation",
    "Customer",
    "EstimateError",
    "Event",
    "ExternalId",
    "Handed",
    "HandlerState",
    "Member",
    "OverflowStage",
    "Page",
    "Pager",
    "PluginInfo",
    "QueueStats",
    "QuickReply",
    "RenderedReply",
    "Requester",
    "RoutingAgent",
    "RoutingGroup",
    "RoutingQueue",
    "RoutingStats",
    "Tenant",
    "Ticket",
    "TicketChange",
    "TicketSearchHit",
    "Tier",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkspaceStats",
]
