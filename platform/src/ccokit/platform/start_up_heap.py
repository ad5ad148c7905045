"""Keep what a web process loads at start out of Python's full garbage collections.

A web process holds a large, long-lived heap from the moment its app is built: modules,
classes, SQLAlchemy's mappers, marshmallow schemas, the OpenAPI document, about 110,000 objects
the cyclic collector tracks. The collector walks every one of them on each full (generation 2)
collection. A full collection runs whenever the tracked heap has grown by a quarter, which a
busy process does again and again in its first minutes, as it fills its caches (each
workspace's routing engine, the tenants' configuration). A full collection holds the GIL, so
every request in flight in the process waits for it: 100-200 ms on a loaded 2-core machine,
seen as bursts of slow answers in ``bench/double11.py``.

:func:`freeze` moves every object tracked at that moment into the permanent generation, which
collections skip. It is called once per process, after the app is built and before the process
serves, with no request in flight, so nothing transient is frozen. From then on a full
collection walks only what the process made since. A frozen object is still freed by reference
counting when nothing refers to it; only a reference cycle among frozen objects would stay,
and the start-up heap is kept for the life of the process anyway.
"""

from __future__ import annotations

import gc

__all__ = ["freeze"]


def freeze() -> int:
    """Collect what start-up left behind, then freeze the rest; returns how many objects are
    frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
