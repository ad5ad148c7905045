"""Business rules of customer profiles and tiers; functions take the session explicitly and
leave the commit to the caller (a view, a handler's platform transaction)."""
