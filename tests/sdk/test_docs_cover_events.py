"""Every declared event type has a section in docs/events.md, and its declaration a description."""

from __future__ import annotations

from pathlib import Path

from ccokit.platform.plugin_host import PluginHost, discover_plugins

ROOT = Path(__file__).resolve().parents[2]


def test_every_declared_event_type_is_documented() -> None:
    registry = PluginHost(discover_plugins()).events
    assert "quick_reply.created" in registry.types
    guide = (ROOT / "docs" / "events.md").read_text()
    missing = sorted(name for name in registry.types if f"### {name}\n" not in guide)
    assert not missing, f"docs/events.md does not document {missing}"
    assert all(t.description.strip() for t in registry.types.values())
