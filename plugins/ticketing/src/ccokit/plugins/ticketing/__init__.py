"""Ticketing: the service record of every merchant."""
