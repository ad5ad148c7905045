"""Outbound webhooks: a workspace's events, signed and delivered to the merchant's own systems.

- :mod:`.models`: endpoints (URL, event types, signing secrets) and deliveries (the log);
- :mod:`.ssrf`: which URLs and addresses ccokit may send to (standard library only);
- :mod:`.signing`: ``whsec_`` secrets, kept encrypted, and the Standard Webhooks headers;
- :mod:`.endpoints`: registering, changing, rotating, enabling and disabling endpoints;
- :mod:`.fan_out`: one delivery per matching endpoint, in the transaction of the event's handler;
- :mod:`.schedule`: the retry schedule and ``Retry-After``;
- :mod:`.sender`: sends one delivery through the SSRF guard and records what happened;
- :mod:`.relay`: claims due deliveries across tenants and sends them in-process or through rq;
- :mod:`.wiring`: what the app factory installs (the event type, the subscriber, maintenance).

Importing the package does nothing.
"""
