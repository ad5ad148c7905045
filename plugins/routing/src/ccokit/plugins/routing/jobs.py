"""Routing's jobs: a workspace's alarm, and the minutely clock of every workspace.

Every request of a workspace runs its due timers first. When none comes, the alarm (a delayed
job a decision enqueued for the workspace's earliest timer) runs them on time: a ring that nobody
answers in the middle of the night moves on when it ends, not at the next request. The clock
publishes the workspace's live figures (``routing.stats``) every minute while it has routing
going on, for supervisors' dashboards and webhooks, and runs what is due should an alarm have
been lost (parked after failing).
"""

from __future__ import annotations

from typing import Any

from ccokit.plugins.routing.services import conversations

__all__ = ["alarm", "clock"]


def alarm(ctx: Any, at: float | None = None) -> None:
    conversations.wake(ctx.session, ctx, at)


def clock(ctx: Any) -> None:
    conversations.tick(ctx.session, ctx)
    conversations.publish_stats(ctx.session, ctx)
