"""The ticketing tables, one module per concern; :mod:`.base` holds the shared metadata."""
