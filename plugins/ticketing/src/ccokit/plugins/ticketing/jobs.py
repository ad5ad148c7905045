"""Ticketing's rq entry points: each re-enters one workspace and calls a service.

Jobs run in the workspace's handler context (``ctx.session`` commits with the record that the job
ran, so its effect happens once); they take the time from the clock, the services they call take
it as an argument.
"""

from __future__ import annotations

from ccokit.plugins.ticketing.services import attachments
from ccokit.plugins.ticketing.services.rules import automations
from ccokit.plugins.ticketing.services.sla.breaches import sweep_breaches
from ccokit_sdk.events import HandlerContext
from ccokit_sdk.models import utcnow

__all__ = ["purge_abandoned_attachments", "run_automations", "sweep_sla_breaches"]


def sweep_sla_breaches(ctx: HandlerContext) -> None:
    """Every minute: mark the workspace's SLA clocks that passed their due time breached and
    publish ``sla.breached`` for each (see :mod:`.services.sla.breaches`)."""
    sweep_breaches(ctx.session, ctx.publish, utcnow())


def run_automations(ctx: HandlerContext) -> None:
    """Every five minutes: run the workspace's active automations over its open tickets (a few
    hundred firings per run at most; the rest wait for the next), see
    :mod:`.services.rules.automations`."""
    automations.run_automations(ctx.session, now=utcnow(), publish=ctx.publish)


def purge_abandoned_attachments(ctx: HandlerContext) -> None:
    """Every hour: remove attachments whose upload was granted a day ago and never completed,
    with whatever was uploaded for them (see :func:`.services.attachments.purge_abandoned`)."""
    attachments.purge_abandoned(ctx.session, blobs=ctx.blobs, now=utcnow())
