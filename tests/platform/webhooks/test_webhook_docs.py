"""The merchant's guide to webhooks says what the code does: its hand-written verifier accepts a
real delivery, its retry table is the schedule, and every event type (the platform's too) is in
the event guide."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.webhooks.schedule import RETRY_DELAYS
from tests.platform.events.conftest import ping
from tests.platform.webhooks.conftest import Receiver, Shop, pump

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "webhooks.md").read_text()


def _snippet(name: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.S)
    (found,) = [b for b in blocks if f"def {name}(" in b]
    return found


def test_the_verifier_written_out_in_the_guide_accepts_a_real_delivery(
    hooks_kernel: Kernel, shop: Shop, receiver: Receiver
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_snippet("verify_by_hand"), "docs/webhooks.md", "exec"), namespace)  # noqa: S102
    verify_by_hand = namespace["verify_by_hand"]
    secret = shop.create_endpoint(receiver.url)["secret"]
    ping(hooks_kernel, shop.tenant, 7)
    pump(hooks_kernel, shop.tenant)
    (got,) = receiver.received
    assert verify_by_hand(got.body, got.headers, secret)["data"] == {"n": 7}
    with pytest.raises(ValueError, match="no signature"):
        verify_by_hand(got.body.replace(b"7", b"8"), got.headers, secret)
    with pytest.raises(ValueError, match="tolerance"):
        verify_by_hand(got.body, {**got.headers, "webhook-timestamp": "1000"}, secret)


def test_the_retry_table_is_the_schedule() -> None:
    row = next(line for line in GUIDE.splitlines() if line.startswith("| after |"))
    cells = [c.strip() for c in row.strip("|").split("|")[1:]]
    units = {"s": 1, "min": 60, "h": 3600}
    seconds = [int(c.split()[0]) * units[c.split()[1]] for c in cells]
    assert seconds == [int(d) for d in RETRY_DELAYS]


def test_every_event_type_of_the_app_is_in_the_event_guide(hooks_app: Flask) -> None:
    types = current_kernel(hooks_app).events.types
    assert "webhook.disabled" in types
    guide = (ROOT / "docs" / "events.md").read_text()
    missing = sorted(t for t in types if f"### {t}\n" not in guide and not t.startswith("test."))
    assert not missing, f"docs/events.md does not document {missing}"
