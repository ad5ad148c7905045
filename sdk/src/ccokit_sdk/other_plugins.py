"""Finding the services that the platform and other plugins offer, from anywhere in a plugin.

Plugins never import each other: a plugin offers a service by name in its ``setup``
(``ctx.provide("customers.tier", customer_tier)``) and another finds it through its context. A
plugin's services layer runs far from ``setup``, so it keeps the context's look-up in an
:class:`OtherPlugins` made once per plugin::

    # services/other_plugins.py
    other_plugins = OtherPlugins()

    # plugin.py, in setup(ctx)
    other_plugins.use(ctx.service)

    # anywhere
    get_members = other_plugins.get("members.get")   # None when nobody offers it

A service that is not there is simply ``None``, so a plugin works the same with or without the
one that offers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["OtherPlugins"]


class OtherPlugins:
    """The services other plugins offer, looked up by name each time (see the module docstring)."""

    def __init__(self) -> None:
        self._lookup: Callable[[str], object] | None = None

    def use(self, lookup: Callable[[str], object] | None) -> None:
        """Remember how to find services (``ctx.service``); called by ``setup``."""
        self._lookup = lookup

    def get(self, name: str) -> Any:
        """The service offered as ``name``, or ``None`` when nobody offers it."""
        if self._lookup is None:
            return None
        try:
            return self._lookup(name)
        except LookupError:
            return None
