"""The ticketing API: thin flask-smorest views, one blueprint module per concern."""
