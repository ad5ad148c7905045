"""Events that lose nothing: a transactional outbox, a relay, and exactly-once handlers.

- :mod:`.models`: the outbox, the processed-event records and the per-handler delivery state;
- :mod:`.registry`: every declared event type and who subscribes to it;
- :mod:`.outbox`: ``publish`` writes an event in the caller's transaction;
- :mod:`.relay`: claims committed events (across tenants, on PostgreSQL through a
  ``SECURITY DEFINER`` function) and hands them to workers, or delivers them in-process;
- :mod:`.delivery`: runs each subscribed handler once per event, retries, parks.

Importing the package does nothing.
"""
