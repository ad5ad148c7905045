"""``client.plugins``: the installed plugins, switched on or off and configured per workspace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccokit_sdk.lists import AsyncPager, Pager
from ccokit_sdk.objects import APIObject
from ccokit_sdk.resources.namespace import AsyncNamespace, Namespace, path

__all__ = ["AsyncPluginService", "PluginInfo", "PluginService"]

URL = "/api/v1/plugins"
ONE = "/api/v1/plugins/{}"


@dataclass(frozen=True, kw_only=True)
class PluginInfo(APIObject):
    """An installed plugin and its state in this workspace; ``title`` and ``description`` by language."""

    name: str
    version: str
    title: dict[str, str]
    description: dict[str, str]
    enabled: bool
    settings: dict[str, Any]
    scopes: list[str]


class PluginService(Namespace):
    def list(self) -> Pager[PluginInfo]:
        """Every installed plugin, with whether this workspace has it enabled (scope ``tenant:read``)."""
        return self._list(PluginInfo, URL)

    def get(self, name: str) -> PluginInfo:
        return self._call(PluginInfo, "GET", path(ONE, name))

    def enable(self, name: str) -> PluginInfo:
        """Switch the plugin on for this workspace (scope ``tenant:admin``)."""
        return self._call(PluginInfo, "POST", path(ONE + "/enable", name))

    def disable(self, name: str) -> PluginInfo:
        """Switch the plugin off: its routes answer 404 to this workspace; its data is kept."""
        return self._call(PluginInfo, "POST", path(ONE + "/disable", name))

    def configure(self, name: str, settings: Mapping[str, Any]) -> PluginInfo:
        """Replace the plugin's settings; the plugin validates them (422 with ``errors`` if wrong)."""
        return self._call(PluginInfo, "PUT", path(ONE + "/settings", name), body={"settings": dict(settings)})


class AsyncPluginService(AsyncNamespace):
    def list(self) -> AsyncPager[PluginInfo]:
        """Every installed plugin, with whether this workspace has it enabled (scope ``tenant:read``)."""
        return self._list(PluginInfo, URL)

    async def get(self, name: str) -> PluginInfo:
        return await self._call(PluginInfo, "GET", path(ONE, name))

    async def enable(self, name: str) -> PluginInfo:
        """Switch the plugin on for this workspace (scope ``tenant:admin``)."""
        return await self._call(PluginInfo, "POST", path(ONE + "/enable", name))

    async def disable(self, name: str) -> PluginInfo:
        """Switch the plugin off: its routes answer 404 to this workspace; its data is kept."""
        return await self._call(PluginInfo, "POST", path(ONE + "/disable", name))

    async def configure(self, name: str, settings: Mapping[str, Any]) -> PluginInfo:
        """Replace the plugin's settings; the plugin validates them (422 with ``errors`` if wrong)."""
        return await self._call(
            PluginInfo, "PUT", path(ONE + "/settings", name), body={"settings": dict(settings)}
        )
