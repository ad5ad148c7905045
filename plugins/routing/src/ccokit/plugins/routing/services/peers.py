"""What the platform and other plugins offer routing: the platform's ``members.get`` (agents
and supervisors are members) and the customers plugin's ``customers.tier`` (a customer's tier,
whose priority boost a conversation gets). ``setup`` hands over the context's look-up; a
service that is not offered is ``None``."""

from __future__ import annotations

from ccokit_sdk.other_plugins import OtherPlugins

__all__ = ["PEERS"]

PEERS = OtherPlugins()
