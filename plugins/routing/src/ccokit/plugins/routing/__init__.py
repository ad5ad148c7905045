"""Routing (排队分流): queues, skills, priority, capacity and overflow for every inbound contact."""
