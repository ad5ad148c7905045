"""Routing's schemas."""
