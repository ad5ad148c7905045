"""The docs keep up with the code: every hook and every configuration variable is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from ccokit_sdk import hookspecs

ROOT = Path(__file__).resolve().parents[2]


def _hookspecs() -> dict[str, object]:
    return {
        name: fn for name, fn in vars(hookspecs).items()
        if name.startswith("ccokit_") and inspect.isfunction(fn)
    }


def test_every_hook_has_a_docstring_and_a_section_in_the_plugin_guide() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    specs = _hookspecs()
    assert len(specs) >= 5
    for name, fn in specs.items():
        assert inspect.getdoc(fn), f"hook {name} has no docstring"
        assert f"### {name}\n" in guide, f"docs/plugins.md has no section '### {name}'"


def test_every_configuration_variable_is_in_the_operations_guide() -> None:
    config = (ROOT / "platform" / "src" / "ccokit" / "platform" / "config.py").read_text()
    names = set(re.findall(r'"(CCOKIT_[A-Z_]+)"', config))
    assert "CCOKIT_DATABASE_URL" in names
    guide = (ROOT / "docs" / "operations.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in guide)
    assert not missing, f"docs/operations.md does not document {missing}"
