"""Sending claimed deliveries of one endpoint, and recording what happened to each.

A chunk of deliveries (one tenant, one endpoint) goes in three steps:

1. one transaction takes them over: each must still be ``pending`` and claimed by the claim this
   chunk came from (``claims``), else someone else has it and it is skipped; ``claims`` moves on
   and the lease is extended to cover the chunk, so a sender that dies mid-send leaves the
   deliveries due again once the lease ends;
2. outside any transaction, each is signed and sent through the SSRF guard (the host is resolved
   now and the connection pinned to the vetted address), until the chunk's time budget is spent;
3. one transaction records the outcomes: 2xx succeeded; 410 disables the endpoint; anything else
   is tried again on the schedule (not before ``Retry-After``), until the schedule ends
   (``failed``) or the endpoint has failed for ``CCOKIT_WEBHOOK_DISABLE_AFTER_DAYS`` (disabled,
   and ``webhook.disabled`` published). Deliveries the budget left unsent are due again at once.

Every log line carries the tenant and the delivery (``job=whd_…``) and names the endpoint.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from ccokit.platform import log_context
from ccokit.platform.webhooks.endpoints import disable_endpoint, signing_secrets
from ccokit.platform.webhooks.models import WebhookDelivery, WebhookEndpoint
from ccokit.platform.webhooks.schedule import next_delay, retry_after_seconds
from ccokit.platform.webhooks.signing import UnreadableSecret, signature_headers
from ccokit.platform.webhooks.ssrf import UnsafeURL, resolve_target
from ccokit.platform.webhooks.transport import TIMEOUT_SECONDS, Attempt, post_pinned
from ccokit.tenants.database import TenantSession
from ccokit_sdk.ids import encode_public_id
from ccokit_sdk.models import utcnow

if TYPE_CHECKING:
    from ccokit.platform.config import Settings
    from ccokit.platform.kernel import Kernel

__all__ = ["CHUNK_BUDGET_SECONDS", "Claimed", "send_chunk"]

#: How long one chunk may spend sending before it hands the rest back.
CHUNK_BUDGET_SECONDS = 60.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A delivery as the claim handed it out: whose, which, and the claim's number."""

    tenant_id: uuid.UUID
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    claims: int


@dataclass
class _Prepared:
    delivery_id: uuid.UUID
    public_id: str
    claims: int
    body: bytes


def send_chunk(kernel: Kernel, tenant_id: uuid.UUID, chunk: Sequence[Claimed]) -> dict[str, int]:
    """Send the claimed deliveries of one endpoint; how many ended how."""
    counts = {"succeeded": 0, "retrying": 0, "failed": 0, "abandoned": 0, "skipped": 0, "released": 0}
    if not chunk:
        return counts
    endpoint_id = chunk[0].endpoint_id
    taken, url, secrets_or_error = _take_over(kernel, tenant_id, endpoint_id, chunk, counts)
    if not taken:
        return counts
    outcomes: dict[uuid.UUID, Attempt] = {}
    deadline = time.monotonic() + CHUNK_BUDGET_SECONDS
    for item in taken:
        if time.monotonic() > deadline:
            break
        outcomes[item.delivery_id] = _send_one(kernel, url, item, secrets_or_error)
        if outcomes[item.delivery_id].status_code == 410:
            break  # the endpoint is gone: the rest are abandoned when it is disabled
    _record(kernel, tenant_id, endpoint_id, taken, outcomes, counts)
    return counts


def _take_over(
    kernel: Kernel,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    chunk: Sequence[Claimed],
    counts: dict[str, int],
) -> tuple[list[_Prepared], str, list[str] | str]:
    """Step 1: the deliveries this chunk still owns, with their bodies, the URL and the secrets."""
    by_id = {c.delivery_id: c for c in chunk}
    lease_end = utcnow() + timedelta(seconds=CHUNK_BUDGET_SECONDS + TIMEOUT_SECONDS + 15)
    with kernel.db.transaction(tenant_id) as session:
        endpoint = session.get(WebhookEndpoint, (tenant_id, endpoint_id))
        rows = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(list(by_id)))
            .order_by(WebhookDelivery.id)
            .with_for_update()
        ).all()
        counts["skipped"] += len(by_id) - len(rows)
        taken: list[_Prepared] = []
        for row in rows:
            if row.status != "pending" or row.claims != by_id[row.id].claims:
                counts["skipped"] += 1
                continue
            if endpoint is None or endpoint.status != "active":
                _finish(row, "abandoned", "the endpoint was disabled")
                counts["abandoned"] += 1
                continue
            row.claims += 1
            row.next_attempt_at = lease_end
            taken.append(_Prepared(row.id, encode_public_id("whd", row.id), row.claims, _body(row)))
        if not taken or endpoint is None:
            return [], "", []
        secrets: list[str] | str
        try:
            secrets = signing_secrets(kernel, endpoint, utcnow())
        except UnreadableSecret as exc:
            secrets = str(exc)
        return taken, endpoint.url, secrets


def _body(row: WebhookDelivery) -> bytes:
    return json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _send_one(kernel: Kernel, url: str, item: _Prepared, secrets: list[str] | str) -> Attempt:
    """Step 2 for one delivery: resolve and vet the host now, sign, send."""
    if isinstance(secrets, str):
        return Attempt(None, 0, secrets)
    try:
        target = resolve_target(url, allow_loopback=kernel.settings.webhooks_allow_loopback)
    except UnsafeURL as exc:
        return Attempt(None, 0, f"not sent: {exc}")
    headers = signature_headers(item.body, item.public_id, int(time.time()), secrets)
    return post_pinned(url, target, item.body, headers)


def _record(
    kernel: Kernel,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    taken: Sequence[_Prepared],
    outcomes: dict[uuid.UUID, Attempt],
    counts: dict[str, int],
) -> None:
    """Step 3: one transaction writes every outcome and, if it comes to that, disables the endpoint."""
    settings = kernel.settings
    now = utcnow()
    endpoint_public = encode_public_id("whe", endpoint_id)
    with kernel.db.transaction(tenant_id) as session:
        endpoint = session.get(WebhookEndpoint, (tenant_id, endpoint_id))
        rows = {
            row.id: row
            for row in session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.id.in_([t.delivery_id for t in taken]))
            )
        }
        disable_reason: str | None = None
        any_success = False
        for item in taken:
            row = rows.get(item.delivery_id)
            if row is None or row.status != "pending" or row.claims != item.claims:
                counts["skipped"] += 1
                continue
            attempt = outcomes.get(item.delivery_id)
            if attempt is None:
                row.next_attempt_at = now  # the budget ran out before this one: due again now
                counts["released"] += 1
                continue
            with log_context.bound(tenant_id=str(tenant_id), job_id=item.public_id):
                outcome = _apply(settings, row, attempt, now)
                log.log(
                    logging.INFO if outcome == "succeeded" else logging.WARNING,
                    "webhook %s to endpoint %s: %s (%s, %d ms)", item.public_id, endpoint_public, outcome,
                    attempt.status_code or attempt.error, attempt.latency_ms,
                )
            counts[outcome] += 1
            any_success |= outcome == "succeeded"
            if attempt.status_code == 410:
                disable_reason = "gone"
            elif outcome != "succeeded" and _failing_too_long(settings, endpoint, now):
                disable_reason = disable_reason or "failing"
        if endpoint is not None:
            _update_health(kernel, session, endpoint, any_success, outcomes, now, disable_reason)


def _apply(settings: Settings, row: WebhookDelivery, attempt: Attempt, now: datetime) -> str:
    row.attempts += 1
    row.last_attempt_at = now
    row.last_status_code = attempt.status_code
    row.last_latency_ms = attempt.latency_ms
    row.last_error = attempt.error[:500] if attempt.error else None
    if attempt.succeeded:
        _finish(row, "succeeded", None)
        return "succeeded"
    if attempt.status_code == 410:
        _finish(row, "abandoned", "the receiver answered 410 Gone; the endpoint was disabled")
        return "abandoned"
    delay = next_delay(row.attempts, settings.webhook_retry_scale)
    if delay is None:
        _finish(row, "failed", row.last_error)
        return "failed"
    wait = retry_after_seconds(attempt.retry_after, now)
    row.next_attempt_at = now + timedelta(seconds=max(delay, wait or 0.0))
    return "retrying"


def _finish(row: WebhookDelivery, status: str, error: str | None) -> None:
    row.status = status
    row.next_attempt_at = None
    if error is not None:
        row.last_error = error[:500]


def _failing_too_long(settings: Settings, endpoint: WebhookEndpoint | None, now: datetime) -> bool:
    since = endpoint.failing_since if endpoint is not None else None
    limit = timedelta(days=settings.webhook_disable_after_days)
    return since is not None and now - since >= limit


def _update_health(
    kernel: Kernel,
    session: TenantSession,
    endpoint: WebhookEndpoint,
    any_success: bool,
    outcomes: dict[uuid.UUID, Attempt],
    now: datetime,
    disable_reason: str | None,
) -> None:
    """Track since when the endpoint fails; disable it when it is gone or has failed too long."""
    if disable_reason != "gone" and any_success:
        if endpoint.failing_since is not None:
            session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.failing_since.is_not(None))
                .values(failing_since=None)
                .execution_options(synchronize_session=False)
            )
        return
    if not outcomes:
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if disable_reason is not None and endpoint.status == "active":
        with log_context.bound(tenant_id=str(endpoint.tenant_id)):
            log.warning(
                "webhook endpoint %s disabled (%s)", encode_public_id("whe", endpoint.id), disable_reason
            )
        disable_endpoint(kernel, session, endpoint, disable_reason)
