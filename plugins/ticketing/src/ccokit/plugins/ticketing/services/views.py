"""Saved views: named filters and a sort, stored as the list's own validated arguments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.views import SavedView
from ccokit.plugins.ticketing.schemas.listing import TicketFiltersSchema
from ccokit.plugins.ticketing.services import listing

__all__ = ["create_view", "update_view", "view_page"]


def _stored(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Loaded filters in their JSON form (public ids, ISO times), as the view keeps them."""
    return dict(TicketFiltersSchema().dump(filters))


def create_view(session: Session, data: Mapping[str, Any], member_id: uuid.UUID | None) -> SavedView:
    view = SavedView(
        name=data["name"], filters=_stored(data.get("filters") or {}), sort=data["sort"],
        position=data.get("position", 0), created_by_member_id=member_id,
    )
    session.add(view)
    session.flush()
    return view


def update_view(session: Session, view: SavedView, changes: Mapping[str, Any]) -> SavedView:
    for name in ("name", "sort", "position"):
        if name in changes:
            setattr(view, name, changes[name])
    if "filters" in changes:
        view.filters = _stored(changes["filters"])
    session.flush()
    return view


def view_page(session: Session, view: SavedView, *, limit: int, cursor: str | None) -> listing.TicketPage:
    """A page of the view's tickets, through the same list as ``GET /tickets``."""
    filters = TicketFiltersSchema().load(view.filters or {})
    return listing.page(session, filters, sort=view.sort, limit=limit, cursor=cursor)
