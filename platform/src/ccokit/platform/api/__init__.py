"""The platform's own JSON API: sign-up, the workspace, members and plugin switches."""
