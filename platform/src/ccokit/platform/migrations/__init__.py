"""The Alembic environment shared by every branch: tenancy, platform and each plugin."""
