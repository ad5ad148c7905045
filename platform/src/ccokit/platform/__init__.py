"""ccokit.platform: the Flask kernel and composition root.

Start at :func:`ccokit.platform.app.create_app`; importing this package does nothing else.
"""
