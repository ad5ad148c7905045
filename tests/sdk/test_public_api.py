"""The public import paths of ccokit_sdk's client, pinned: changing them breaks merchants' code.

A name added here is a promise; a name removed needs a deprecation first. Every public module
declares ``__all__``, and everything in it is importable.
"""

from __future__ import annotations

import importlib
import operator

import pytest

PUBLIC = {
    "ccokit_sdk": {
        "APIConnectionError", "APIError", "APITimeoutError", "AsyncClient", "AuthenticationError", "BadRequest",
        "CcokitError", "Client", "Conflict", "InvalidPublicId", "NotFound", "PermissionDenied", "PreconditionFailed",
        "RateLimited", "RetryPolicy", "ServerError", "ValidationError", "WebhookVerificationError", "decode_public_id",
        "encode_public_id", "new_id",
    },
    "ccokit_sdk.client": {"DEFAULT_TIMEOUT", "AsyncClient", "Client"},
    "ccokit_sdk.errors": {
        "APIConnectionError", "APIError", "APITimeoutError", "AuthenticationError", "BadRequest", "CcokitError",
        "Conflict", "NotFound", "PermissionDenied", "PreconditionFailed", "RateLimited", "ServerError",
        "ValidationError", "WebhookVerificationError",
    },
    "ccokit_sdk.webhooks": {"DEFAULT_TOLERANCE", "SECRET_PREFIX", "WebhookVerificationError", "sign", "verify"},
    "ccokit_sdk.types": {
        "APIClient", "APIObject", "AsyncPager", "AuditActor", "AuditEvent", "AuditTarget", "ChatId", "Comment",
        "Customer", "Event", "ExternalId", "HandlerState", "Member", "Page", "Pager", "PluginInfo", "QuickReply",
        "RenderedReply", "Requester", "Tenant", "Ticket", "TicketChange", "TicketSearchHit", "Tier",
        "WebhookDelivery", "WebhookEndpoint",
        "AgentWork", "BusinessHours", "Conversation", "EstimateError", "Handed", "OverflowStage", "QueueStats",
        "RoutingAgent", "RoutingGroup", "RoutingQueue", "RoutingStats", "WorkspaceStats",
    },

    "ccokit_sdk.lists": {"AsyncPager", "Page", "Pager"},
    "ccokit_sdk.blobs": {
        "DEFAULT_EXPIRES_IN", "MAX_EXPIRES_IN", "BlobError", "BlobInfo", "BlobNotFound", "BlobQuotaExceeded",
        "BlobTooLarge", "Blobs", "InvalidBlobKey", "PresignedUpload",
    },
    "ccokit_sdk.objects": {"APIObject"},
    "ccokit_sdk.retries": {"RETRY_STATUSES", "RetryPolicy", "parse_retry_after", "worth_retrying"},
    "ccokit_sdk.testing": {
        "HARNESS_GROUP", "AsyncWSGITransport", "AuthorizedClient", "Harness", "TenantCredentials", "load_harness",
    },
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_public_names_are_exactly_these(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == PUBLIC[module_name]
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_the_top_level_names_are_the_same_objects_as_in_their_modules() -> None:
    import ccokit_sdk
    from ccokit_sdk import client, errors, webhooks

    assert ccokit_sdk.Client is client.Client
    assert ccokit_sdk.AsyncClient is client.AsyncClient
    for name in PUBLIC["ccokit_sdk.errors"]:
        assert getattr(ccokit_sdk, name) is getattr(errors, name)
    assert webhooks.WebhookVerificationError is errors.WebhookVerificationError


def test_every_module_of_the_client_declares_all() -> None:
    for name in ("auth", "answers", "engine", "resources.namespace", "resources.tenant", "resources.members",
                 "resources.plugins", "resources.events", "resources.audit_events", "resources.quick_replies",
                 "resources.api_clients", "resources.webhooks", "resources.customers", "resources.tickets",
                 "resources.routing"):
        module = importlib.import_module(f"ccokit_sdk.{name}")
        assert isinstance(module.__all__, list), name
        assert module.__all__, name


def test_the_client_has_a_namespace_per_resource() -> None:
    from ccokit_sdk import AsyncClient, Client

    sync = Client("http://localhost", access_token="t")
    asynchronous = AsyncClient("http://localhost", access_token="t")
    names = {"tenant", "members", "plugins", "events", "audit_events", "quick_replies", "api_clients", "webhooks",
             "customers", "tickets", "routing"}
    assert names <= set(vars(sync))
    assert names <= set(vars(asynchronous))
    nested = {"webhooks.endpoints", "webhooks.deliveries", "customers.tiers", "tickets.comments", "routing.groups",
              "routing.queues", "routing.agents", "routing.conversations"}
    for name in names | nested:
        mine, theirs = operator.attrgetter(name)(sync), operator.attrgetter(name)(asynchronous)
        public = {m for m in dir(mine) if not m.startswith("_")}
        assert public == {m for m in dir(theirs) if not m.startswith("_")}, name
    sync.close()


def test_the_package_is_typed() -> None:
    from importlib.resources import files

    assert files("ccokit_sdk").joinpath("py.typed").is_file()
