"""Rules: macros, triggers and automations, and the condition and action language they share."""
