"""HTTP views of tickets, their comments and history, merge, bulk update and CSV export.

Views are thin: they decode, call the one write path in :mod:`..services.tickets` (or its
helpers), commit, and answer. A ticket named in the URL is loaded before the body is validated,
so another tenant's (or a made-up) id answers 404 whatever the body says. ``GET`` and ``PATCH``
of one ticket carry ``ETag: "<version>"``; a ``PATCH`` with an ``If-Match`` that no longer
matches answers 412, and so does one that loses a race with a concurrent change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, request, stream_with_context
from sqlalchemy.orm.exc import StaleDataError

from ccokit.plugins.ticketing.models.tickets import Comment, Ticket, TicketChange
from ccokit.plugins.ticketing.routes.conventions import Blueprint, locale, refuse, request_actor
from ccokit.plugins.ticketing.schemas.listing import ExportArgsSchema, TicketListArgsSchema
from ccokit.plugins.ticketing.schemas.operations import BulkResultSchema, BulkUpdateSchema, MergeSchema
from ccokit.plugins.ticketing.schemas.tickets import (
    ChangePageSchema,
    CommentCreateSchema,
    CommentPageSchema,
    CommentSchema,
    TicketCreateSchema,
    TicketDetailArgsSchema,
    TicketDetailSchema,
    TicketPageSchema,
    TicketPatchSchema,
    TicketSchema,
)
from ccokit.plugins.ticketing.services import (
    attachments,
    comments,
    export,
    history,
    listing,
    operations,
    tickets,
)
from ccokit.plugins.ticketing.services.messages import Invalid, Message, render
from ccokit.plugins.ticketing.services.sla import clocks
from ccokit_sdk.pagination import CursorArgsSchema, CursorPage, page_of
from ccokit_sdk.plugin import abort, current, encode_public_id, parse_public_id, require_scope

blueprint = Blueprint(
    "ticketing_tickets", __name__, description="Tickets (工单): comments, history, merge, bulk, export"
)


def _find(ticket_id: str) -> Ticket:
    ctx = current()
    ticket = ctx.session.get(Ticket, (ctx.tenant_id, parse_public_id("tkt", ticket_id)))
    if ticket is None:
        abort(404)
    return ticket


def with_ticket(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the URL's ``ticket_id`` into the tenant's ticket (404 otherwise), before the body
    is parsed: the view gets ``ticket=``."""

    @functools.wraps(view)
    def wrapper(*args: Any, ticket_id: str, **kwargs: Any) -> Any:
        return view(*args, ticket=_find(ticket_id), **kwargs)

    return wrapper


def _tagged(ticket: Ticket, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    return ticket, status, {"ETag": f'"{ticket.version}"'}


def _commit_or_refuse(action: Callable[[], Any]) -> Any:
    """Run a write, commit it, and turn its refusals into 422 (412 for a lost race)."""
    session = current().session
    try:
        result = action()
    except Invalid as exc:
        session.rollback()
        refuse(exc)
    except (StaleDataError, tickets.VersionMismatch):
        session.rollback()
        abort(412, message="the ticket changed since you read it; fetch it again")
    session.commit()
    return result


class _Detail:
    """A ticket, its first page of comments and its SLA summary, dumped by :class:`TicketDetailSchema`."""

    def __init__(self, ticket: Ticket, page: CursorPage[Comment], sla: dict[str, Any]) -> None:
        self._ticket = ticket
        self.comments = page.items
        self.comments_next_cursor = page.next_cursor
        self.sla = sla

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ticket, name)


@blueprint.get("/tickets")
@require_scope("tickets:read")
@blueprint.arguments(TicketListArgsSchema, location="query")
@blueprint.response(200, TicketPageSchema)
def list_tickets(args: dict[str, Any]) -> Any:
    """Tickets matching every filter given, in ``sort`` order, a keyset page at a time."""
    try:
        page = listing.page(
            current().session, args, sort=args["sort"], limit=args["limit"], cursor=args["cursor"]
        )
    except Invalid as exc:
        refuse(exc)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/tickets")
@require_scope("tickets:write")
@blueprint.arguments(TicketCreateSchema)
@blueprint.response(201, TicketSchema)
def create_ticket(data: dict[str, Any]) -> Any:
    ctx = current()
    ticket = _commit_or_refuse(lambda: tickets.create_ticket(
        ctx.session, data, actor=request_actor(), via="api", publish=ctx.publish
    ))
    body, status, headers = _tagged(ticket, 201)
    headers["Location"] = f"{request.path}/{encode_public_id('tkt', ticket.id)}"
    return body, status, headers


@blueprint.get("/tickets/export.csv")
@require_scope("tickets:read")
@blueprint.arguments(ExportArgsSchema, location="query")
@blueprint.response(200, content_type="text/csv", description="Every matching ticket, one row each.")
def export_tickets(args: dict[str, Any]) -> Any:
    """The list's filters and sort as CSV, streamed in keyset batches (no size limit)."""
    session = current().session
    try:
        listing.filtered(session, args)  # refuse unknown custom fields before streaming starts
    except Invalid as exc:
        refuse(exc)

    def rows() -> Iterator[str]:
        # The request's own teardown runs when the view returns, before the body is sent; the
        # rows are read afterwards through the same tenant-scoped session, which is released
        # here once the last row is out (or the client went away).
        try:
            yield from export.csv_rows(session, args, sort=args["sort"])
        finally:
            session.close()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="tickets.csv"',
    })


@blueprint.post("/tickets/bulk")
@require_scope("tickets:write")
@blueprint.arguments(BulkUpdateSchema)
@blueprint.response(200, BulkResultSchema)
def bulk_update(data: dict[str, Any]) -> Any:
    """The same changes to up to 100 tickets: all of them, or none and every ticket's errors."""
    ctx = current()
    try:
        found = operations.load_many(ctx.session, data["ids"], "ids")
        changed = operations.bulk_update(
            ctx.session, found, data["changes"], actor=request_actor(), publish=ctx.publish
        )
    except Invalid as exc:
        ctx.session.rollback()
        refuse(exc)
    except operations.BulkInvalid as exc:
        ctx.session.rollback()
        abort(
            422,
            message=Message("bulk_failed", {"count": len(exc.errors)}).text(locale()),
            messages={"tickets": render(exc.errors, locale())},
        )
    except StaleDataError:
        ctx.session.rollback()
        abort(412, message="a ticket changed while the update ran; try again")
    ctx.session.commit()
    return {"items": changed}


@blueprint.get("/tickets/<ticket_id>")
@require_scope("tickets:read")
@with_ticket
@blueprint.arguments(TicketDetailArgsSchema, location="query")
@blueprint.response(200, TicketDetailSchema)
def get_ticket(args: dict[str, Any], ticket: Ticket) -> Any:
    """The ticket with its first ``comments_limit`` comments, oldest first, and its running SLA
    clocks (three queries: the ticket, the comments, the clocks)."""
    session = current().session
    limit = args["comments_limit"]
    if limit:
        page = page_of(session, comments.comments_query(ticket.id), Comment.id, {"limit": limit})
    else:
        page = CursorPage(items=[], next_cursor=None)
    detail = _Detail(ticket, page, clocks.sla_summary(session, ticket.id))
    return detail, 200, {"ETag": f'"{ticket.version}"'}


@blueprint.patch("/tickets/<ticket_id>")
@require_scope("tickets:write")
@with_ticket
@blueprint.arguments(TicketPatchSchema)
@blueprint.response(200, TicketSchema)
def update_ticket(data: dict[str, Any], ticket: Ticket) -> Any:
    """Change any writable field; ``If-Match: "<version>"`` makes it conditional (412)."""
    ctx = current()
    if request.if_match and not request.if_match.contains_weak(str(ticket.version)):
        abort(412, message=f'the ticket is at version "{ticket.version}"; fetch it again')
    _commit_or_refuse(lambda: tickets.update_ticket(
        ctx.session, ticket, data, actor=request_actor(), via="api", publish=ctx.publish
    ))
    return _tagged(ticket)


@blueprint.get("/tickets/<ticket_id>/comments")
@require_scope("tickets:read")
@with_ticket
@blueprint.arguments(CursorArgsSchema, location="query")
@blueprint.response(200, CommentPageSchema)
def list_comments(args: dict[str, Any], ticket: Ticket) -> Any:
    page = page_of(current().session, comments.comments_query(ticket.id), Comment.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/tickets/<ticket_id>/comments")
@require_scope("tickets:write")
@with_ticket
@blueprint.arguments(CommentCreateSchema)
@blueprint.response(201, CommentSchema)
def add_comment(data: dict[str, Any], ticket: Ticket) -> Any:
    """A public reply or an internal note; see the ticketing guide for its effect on status."""
    ctx = current()
    attachment_ids = data.pop("attachment_ids", [])

    def add() -> Comment:
        comment = comments.add_comment(
            ctx.session, ticket, data, actor=request_actor(), via="api", publish=ctx.publish
        )
        attachments.link_to_comment(ctx.session, ticket, comment, attachment_ids)
        return comment

    return _commit_or_refuse(add)


@blueprint.get("/tickets/<ticket_id>/history")
@require_scope("tickets:read")
@with_ticket
@blueprint.arguments(CursorArgsSchema, location="query")
@blueprint.response(200, ChangePageSchema)
def ticket_history(args: dict[str, Any], ticket: Ticket) -> Any:
    """Every field change, oldest first: who, through what (``via``), from what to what."""
    page = page_of(current().session, history.history_query(ticket.id), TicketChange.id, args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/tickets/<ticket_id>/merge")
@require_scope("tickets:write")
@with_ticket
@blueprint.arguments(MergeSchema)
@blueprint.response(200, TicketSchema)
def merge_tickets(data: dict[str, Any], ticket: Ticket) -> Any:
    """Merge ``source_ids`` into this ticket, in one transaction."""
    ctx = current()

    def merge() -> Ticket:
        sources = operations.load_many(ctx.session, data["source_ids"], "source_ids")
        return operations.merge_tickets(
            ctx.session, ticket, sources, actor=request_actor(), publish=ctx.publish
        )

    return _tagged(_commit_or_refuse(merge))

