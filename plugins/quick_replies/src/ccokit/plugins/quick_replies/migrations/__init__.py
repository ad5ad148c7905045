"""Alembic versions of the quick-replies plugin (branch ``quick_replies``)."""
