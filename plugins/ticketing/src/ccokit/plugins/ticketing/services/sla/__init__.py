"""Service levels: business-hours calendars, SLA policies, the clocks they start on each ticket
and the breaches of those clocks, one module per concern."""
