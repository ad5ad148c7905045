"""Services other plugins offer ticketing, such as the customers plugin's ``customers.resolve``,
``customers.get`` and ``customers.tier``.

They are looked up through the plugin context (``ctx.service``) each time they are needed, never
imported, so ticketing works the same with or without the plugin that offers them: a service
that is not there is simply ``None``. ``setup`` hands over the look-up once for the whole plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["service", "use_services"]

#: ``ctx.service`` of the plugin's context, set by ``setup``; raises LookupError when absent.
_lookup: Callable[[str], object] | None = None


def use_services(lookup: Callable[[str], object] | None) -> None:
    """Remember how to find other plugins' services (``ctx.service``); called by ``setup``."""
    global _lookup
    _lookup = lookup


def service(name: str) -> Any:
    """The service another plugin registered as ``name``, or ``None`` when nobody offers it."""
    if _lookup is None:
        return None
    try:
        return _lookup(name)
    except LookupError:
        return None
