"""The ccokit API client: :class:`Client`, and :class:`AsyncClient` with the same surface.

.. code-block:: python

    from ccokit_sdk import Client

    with Client("https://ccokit.example.com", client_id="cli_…", client_secret="…") as client:
        print(client.tenant.get().name)
        for member in client.members.list():
            print(member.email, member.role)

Each resource is a namespace (``client.members``, ``client.tickets``, ``client.routing``, ...) with
typed methods and typed results (:mod:`ccokit_sdk.types`); lists page themselves (:mod:`ccokit_sdk.lists`);
failures raise :mod:`ccokit_sdk.errors`; retries and idempotency keys are described in
:mod:`ccokit_sdk.engine` and :mod:`ccokit_sdk.retries`.

Authenticate with the client id and secret of an API client of the workspace (the token is
fetched, cached and renewed for you), or with an ``access_token`` you obtained elsewhere (for
example a member's token from the authorization-code flow; it is not renewed).

``transport`` is handed to httpx: tests pass ``httpx.WSGITransport(app=flask_app)`` to run
against an app in the same process (for :class:`AsyncClient`,
:class:`ccokit_sdk.testing.AsyncWSGITransport`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

import httpx

from ccokit_sdk.auth import ClientCredentials, StaticToken
from ccokit_sdk.engine import AsyncEngine, SyncEngine
from ccokit_sdk.resources.api_clients import APIClientService, AsyncAPIClientService
from ccokit_sdk.resources.audit_events import AsyncAuditEventService, AuditEventService
from ccokit_sdk.resources.customers import AsyncCustomerService, CustomerService
from ccokit_sdk.resources.events import AsyncEventService, EventService
from ccokit_sdk.resources.members import AsyncMemberService, MemberService
from ccokit_sdk.resources.plugins import AsyncPluginService, PluginService
from ccokit_sdk.resources.quick_replies import AsyncQuickReplyService, QuickReplyService
from ccokit_sdk.resources.routing import AsyncRoutingService, RoutingService
from ccokit_sdk.resources.tenant import AsyncTenantService, TenantService
from ccokit_sdk.resources.tickets import AsyncTicketService, TicketService
from ccokit_sdk.resources.webhooks import AsyncWebhookService, WebhookService
from ccokit_sdk.retries import RetryPolicy

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient", "Client"]

#: Seconds to wait for a connection, and for each read or write.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret


def _version() -> str:
    from ccokit_sdk import __version__

    return __version__


def _settings(
    base_url: str,
    client_id: str | None,
    client_secret: str | None,
    scopes: Sequence[str] | None,
    access_token: str | None,
    token_url: str | None,
    max_retries: int | None,
    retry: RetryPolicy | None,
    locale: str | None,
    headers: Mapping[str, str] | None,
) -> tuple[str, ClientCredentials | StaticToken, RetryPolicy, dict[str, str]]:
    """Check the arguments shared by both clients; returns base URL, token source, retries, headers."""
    if not base_url or not base_url.startswith(("http://", "https://")):
        raise ValueError("base_url must be the platform's address, e.g. https://ccokit.example.com")
    base_url = base_url.rstrip("/")
    auth: ClientCredentials | StaticToken
    if access_token is not None:
        if client_id is not None or client_secret is not None:
            raise ValueError("pass either access_token or client_id and client_secret, not both")
        auth = StaticToken(access_token)
    elif client_id is not None or client_secret is not None:
        token_url = token_url or base_url + TOKEN_PATH
        auth = ClientCredentials(token_url, client_id or "", client_secret or "", scopes)
    else:
        raise ValueError("pass client_id and client_secret (or an access_token) to authenticate")
    policy = retry or RetryPolicy()
    if max_retries is not None:
        policy = RetryPolicy(max_retries, policy.initial_delay, policy.max_delay, policy.max_retry_after)
    agent = f"ccokit-sdk-python/{_version()} httpx/{httpx.__version__}"
    sent = {"Accept": "application/json", "User-Agent": agent}
    if locale:
        sent["Accept-Language"] = locale
    sent.update(headers or {})
    return base_url, auth, policy, sent


class Client:
    """A synchronous ccokit API client; thread-safe, and best reused (it keeps connections open).

    ``scopes`` narrows the token to these scopes (default: every scope of the API client).
    ``token_url`` overrides the token endpoint (default ``{base_url}/oauth/token``).
    ``max_retries`` (default 2) or a whole ``retry`` policy set how calls are retried;
    ``timeout`` is in seconds or an :class:`httpx.Timeout`; ``locale`` (``en`` or ``zh``) picks the
    language of error titles; ``headers`` are sent with every request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] | None = None,
        access_token: str | None = None,
        token_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        locale: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base_url, auth, policy, sent = _settings(
            base_url, client_id, client_secret, scopes, access_token, token_url, max_retries, retry, locale,
            headers,
        )
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers=sent, transport=transport)
        self._engine = SyncEngine(self._http, auth, policy)
        self.tenant = TenantService(self._engine)
        self.members = MemberService(self._engine)
        self.plugins = PluginService(self._engine)
        self.events = EventService(self._engine)
        self.audit_events = AuditEventService(self._engine)
        self.quick_replies = QuickReplyService(self._engine)
        self.api_clients = APIClientService(self._engine)
        self.webhooks = WebhookService(self._engine)
        self.customers = CustomerService(self._engine)
        self.tickets = TicketService(self._engine)
        self.routing = RoutingService(self._engine)

    @property
    def retry(self) -> RetryPolicy:
        return self._engine.retry

    def close(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"


class AsyncClient:
    """The asynchronous ccokit API client (asyncio or trio): the same namespaces, awaited.

    Lists return an :class:`~ccokit_sdk.lists.AsyncPager` at once; iterate it with ``async for``.
    Takes the same arguments as :class:`Client`; ``transport`` is an :class:`httpx.AsyncBaseTransport`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] | None = None,
        access_token: str | None = None,
        token_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        locale: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base_url, auth, policy, sent = _settings(
            base_url, client_id, client_secret, scopes, access_token, token_url, max_retries, retry, locale,
            headers,
        )
        self.base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=sent, transport=transport)
        self._engine = AsyncEngine(self._http, auth, policy)
        self.tenant = AsyncTenantService(self._engine)
        self.members = AsyncMemberService(self._engine)
        self.plugins = AsyncPluginService(self._engine)
        self.events = AsyncEventService(self._engine)
        self.audit_events = AsyncAuditEventService(self._engine)
        self.quick_replies = AsyncQuickReplyService(self._engine)
        self.api_clients = AsyncAPIClientService(self._engine)
        self.webhooks = AsyncWebhookService(self._engine)
        self.customers = AsyncCustomerService(self._engine)
        self.tickets = AsyncTicketService(self._engine)
        self.routing = AsyncRoutingService(self._engine)

    @property
    def retry(self) -> RetryPolicy:
        return self._engine.retry

    async def close(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.base_url!r})"
