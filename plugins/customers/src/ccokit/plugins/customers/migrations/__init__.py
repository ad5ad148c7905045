"""Alembic versions of the customers plugin (branch ``customers``)."""
