"""Ticket groups: the teams tickets are assigned to (their own, not the platform's members)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccokit.plugins.ticketing.models.tickets import Ticket, TicketGroup
from ccokit.plugins.ticketing.services.messages import Invalid

__all__ = ["GroupInUse", "create_group", "delete_group", "update_group"]


class GroupInUse(Exception):
    """The group still has tickets that are not closed; move them first."""


def _flush(session: Session, group: TicketGroup) -> TicketGroup:
    try:
        with session.begin_nested():
            session.add(group)
    except IntegrityError as exc:
        raise Invalid.one("name", "name_taken") from exc
    return group


def create_group(session: Session, data: Mapping[str, Any]) -> TicketGroup:
    return _flush(session, TicketGroup(name=data["name"], description=data.get("description", "")))


def update_group(session: Session, group: TicketGroup, changes: Mapping[str, Any]) -> TicketGroup:
    for name in ("name", "description"):
        if name in changes:
            setattr(group, name, changes[name])
    return _flush(session, group)


def delete_group(session: Session, group: TicketGroup) -> None:
    """Remove a group that no open ticket uses; closed tickets (which never change again)
    lose the reference. Raises :class:`GroupInUse` otherwise."""
    in_use = session.scalar(
        select(exists().where(Ticket.group_id == group.id, Ticket.status != "closed"))
    )
    if in_use:
        raise GroupInUse
    session.execute(
        update(Ticket).where(Ticket.group_id == group.id).values(group_id=None)
        .execution_options(synchronize_session=False)
    )
    session.delete(group)
    session.flush()
