"""The event each engine effect publishes, and its payload (public ids, ISO times)."""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from typing import Any

from ccokit.plugins.routing.engine import effects as fx
from ccokit.plugins.routing.engine.model import Conversation
from ccokit.plugins.routing.services import records
from ccokit_sdk.plugin import encode_public_id

__all__ = ["ALTERNATIVES", "payload_of", "public"]

#: What a refused or timed-out customer is offered instead of waiting.
ALTERNATIVES = ("callback", "ticket")


def public(prefix: str, value: Hashable | None) -> str | None:
    return encode_public_id(prefix, uuid.UUID(str(value))) if value is not None else None


def _iso(value: float | None) -> str | None:
    moment = records.moment(value)
    return moment.isoformat() if moment is not None else None


def summary(conv: Conversation | None, conv_id: Hashable) -> dict[str, Any]:
    """The conversation as every routing event shows it."""
    if conv is None:
        return {"id": public("conv", conv_id)}
    return {
        "id": public("conv", conv.id), "queue_id": public("que", conv.queue), "channel": conv.channel,
        "state": conv.state.value, "agent_id": public("mem", conv.agent),
        "customer_id": public("cus", conv.customer), "arrived_at": _iso(conv.arrived_at),
    }


def payload_of(effect: fx.Effect, conv: Conversation | None, now: float) -> tuple[str, dict[str, Any]]:
    """``(event type, payload)`` of one effect."""
    if isinstance(effect, fx.PresenceChanged):
        return "agent.presence_changed", {
            "agent_id": public("mem", effect.agent), "presence": effect.presence, "reason": effect.reason,
        }
    body: dict[str, Any] = {"conversation": summary(conv, effect.conversation)}
    match effect:
        case fx.Admitted(position=position, estimate_s=estimate):
            return "conversation.queued", {**body, "position": position, "estimated_wait_s": estimate}
        case fx.Refused(reason=reason):
            return "conversation.refused", {**body, "reason": reason, "alternatives": list(ALTERNATIVES)}
        case fx.Offered(agent=agent, deadline=deadline):
            return "conversation.offered", {**body, "agent_id": public("mem", agent),
                                            "expires_at": _iso(deadline)}
        case fx.Assigned(agent=agent, waited_s=waited):
            return "conversation.assigned", {**body, "agent_id": public("mem", agent),
                                             "waited_s": round(waited, 3)}
        case fx.Requeued(reason=reason, agent=agent):
            return "conversation.requeued", {**body, "reason": reason,
                                             "previous_agent_id": public("mem", agent)}
        case fx.Overflowed(stage=stage):
            return "conversation.overflowed", {**body, "stage": stage}
        case fx.WrapUp(agent=agent, until=until):
            return "conversation.wrap_up", {**body, "agent_id": public("mem", agent), "until": _iso(until)}
        case fx.Ended(agent=agent, reason=reason):
            alternatives = list(ALTERNATIVES) if reason == "max_wait" else []
            return "conversation.ended", {**body, "reason": reason, "agent_id": public("mem", agent),
                                          "alternatives": alternatives}
        case fx.Abandoned(waited_s=waited):
            return "conversation.abandoned", {**body, "waited_s": round(waited, 3)}
    raise TypeError(f"no event for {effect!r}")  # pragma: no cover - every effect is matched
