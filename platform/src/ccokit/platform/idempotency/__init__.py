"""``Idempotency-Key``: a retried POST returns the first answer instead of acting twice."""
