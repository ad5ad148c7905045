"""The audit log: who changed what in a workspace's administration, and from where."""
