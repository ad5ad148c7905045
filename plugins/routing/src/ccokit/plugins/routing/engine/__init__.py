"""The routing engine: pure decisions over in-memory state, driven by the caller's clock.

Nothing here touches a database, Redis or Flask; the service layer feeds the engine and applies
its effects. Import from the modules: :mod:`.model`, :mod:`.router`, :mod:`.effects`,
:mod:`.estimates`.
"""
