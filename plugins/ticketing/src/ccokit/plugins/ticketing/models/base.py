"""The declarative base of every ticketing table, on the SDK's naming convention."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from ccokit_sdk.models import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
