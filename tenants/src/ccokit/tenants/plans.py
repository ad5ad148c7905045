"""Plans: what a tenant may use and how much of it.

Plans are code, not rows: they change with releases, are reviewed like code, and the same
release behaves the same on every installation. A tenant row names its plan.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PLAN", "PLANS", "Plan", "get_plan"]


@dataclass(frozen=True)
class Plan:
    """Limits of one plan. ``plugins`` is ``None`` for "every installed plugin"."""

    name: str
    max_members: int
    max_clients: int
    requests_per_minute: int
    storage_bytes: int
    max_upload_bytes: int
    plugins: tuple[str, ...] | None = None


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan("free", max_members=5, max_clients=3, requests_per_minute=600,
             storage_bytes=1 << 30, max_upload_bytes=10 << 20),
        Plan("standard", max_members=100, max_clients=20, requests_per_minute=6_000,
             storage_bytes=50 << 30, max_upload_bytes=50 << 20),
        Plan("enterprise", max_members=10_000, max_clients=200, requests_per_minute=60_000,
             storage_bytes=1 << 40, max_upload_bytes=200 << 20),
    )
}
DEFAULT_PLAN = "free"


def get_plan(name: str) -> Plan:
    """Return the plan called ``name``; an unknown name is a programming error."""
    return PLANS[name]
