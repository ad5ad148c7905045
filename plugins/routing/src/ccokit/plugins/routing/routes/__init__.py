"""Routing's routes."""
