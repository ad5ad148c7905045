"""ccokit_sdk: the API client for merchants' code and the plugin contract for plugin developers.

Importing this package has no side effects; the plugin kit lives in :mod:`ccokit_sdk.plugin`
and needs the ``plugin`` extra (Flask, flask-smorest, SQLAlchemy, pluggy).
"""

from __future__ import annotations

from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id, new_id

__all__ = ["InvalidPublicId", "decode_public_id", "encode_public_id", "new_id"]
__version__ = "0.1.0"
