"""Marshmallow schemas of the ticketing API (transport only), one module per concern."""
