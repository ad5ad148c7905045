"""Routing's services."""
