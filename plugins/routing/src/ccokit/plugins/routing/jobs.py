"""Routing's jobs: the minutely clock of every workspace.

Every request of a workspace runs its due timers first; this job catches the ones of a
workspace where nothing happens (a ring that nobody answers in the middle of the night), and
publishes the workspace's live figures (``routing.stats``) while it has routing going on, for
supervisors' dashboards and webhooks.
"""

from __future__ import annotations

from typing import Any

from ccokit.plugins.routing.services import conversations

__all__ = ["clock"]


def clock(ctx: Any) -> None:
    conversations.tick(ctx.session, ctx.publish)
    conversations.publish_stats(ctx.session, ctx.publish)
