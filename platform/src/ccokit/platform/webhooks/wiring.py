"""What the app factory installs for webhooks: the event type, the fan-out, the maintenance."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ccokit.platform.events.delivery import PLATFORM
from ccokit.platform.events.registry import ALL_EVENTS
from ccokit.platform.webhooks.event_types import WEBHOOK_EVENT_TYPES
from ccokit.platform.webhooks.fan_out import fan_out
from ccokit.platform.webhooks.retention import purge_old_deliveries

if TYPE_CHECKING:
    from ccokit.platform.kernel import Kernel

__all__ = ["FAN_OUT_HANDLER", "install_webhooks"]

FAN_OUT_HANDLER = "webhooks"


def install_webhooks(kernel: Kernel) -> None:
    """Declare ``webhook.disabled``, subscribe the fan-out to every event type of every tenant,
    and purge the delivery log hourly."""
    kernel.events.declare(PLATFORM, WEBHOOK_EVENT_TYPES)
    kernel.events.subscribe(PLATFORM, ALL_EVENTS, fan_out, name=FAN_OUT_HANDLER)
    kernel.events.maintain("purge_webhook_deliveries", purge_old_deliveries, timedelta(hours=1))
