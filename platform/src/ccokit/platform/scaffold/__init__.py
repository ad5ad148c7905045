"""``ccokit plugin new NAME``: a new plugin distribution that installs and passes its tests.

The template (``template/``, files ending in ``.tmpl``) follows the plugin layout of
``docs/plugins.md``: the ``Plugin`` declaration and wiring in ``plugin.py``, thin views in
``routes.py``, rules in ``services.py``, schemas, ``TenantScoped`` models, its own Alembic branch,
and tests on the ``ccokit_sdk.testing`` fixtures. Placeholders are ``string.Template`` names.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

__all__ = ["ScaffoldError", "render_plugin"]

_TEMPLATE = Path(__file__).parent / "template"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class ScaffoldError(ValueError):
    """The name or the target folder cannot be used."""


def render_plugin(name: str, target: Path) -> list[Path]:
    """Write the distribution of plugin ``name`` into ``target`` (which must not exist)."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError("a plugin name is 2-31 lowercase letters, digits or _, starting with a letter")
    if target.exists():
        raise ScaffoldError(f"{target} exists already")
    values = {
        "name": name,
        "dist": "ccokit-plugin-" + name.replace("_", "-"),
        "title": name.replace("_", " ").capitalize(),
        "prefix": (re.sub(r"[^a-z]", "", name) + "xx")[:4],
    }
    written = []
    for source in sorted(_TEMPLATE.rglob("*.tmpl")):
        relative = Path(str(source.relative_to(_TEMPLATE))[: -len(".tmpl")].replace("__name__", name))
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text()).substitute(values))
        written.append(destination)
    return written
