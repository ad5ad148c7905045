"""Transport schemas of the customers API, its events and its settings (marshmallow)."""
