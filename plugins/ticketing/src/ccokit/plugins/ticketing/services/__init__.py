"""The business rules of ticketing, one module per concern; each takes the session explicitly."""
