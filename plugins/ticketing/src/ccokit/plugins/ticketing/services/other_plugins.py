"""Services other plugins offer ticketing, such as the customers plugin's ``customers.resolve``,
``customers.get`` and ``customers.tier``.

``setup`` hands over the context's look-up once (:class:`ccokit_sdk.other_plugins.OtherPlugins`);
a service that is not there is simply ``None``.
"""

from __future__ import annotations

from ccokit_sdk.other_plugins import OtherPlugins

__all__ = ["SERVICES", "service", "use_services"]

SERVICES = OtherPlugins()
#: ``ctx.service`` of the plugin's context, handed over by ``setup``.
use_services = SERVICES.use
#: The service offered under a name, or ``None``.
service = SERVICES.get
