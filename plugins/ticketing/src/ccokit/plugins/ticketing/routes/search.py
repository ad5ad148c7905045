"""HTTP views of ticket search: ``GET /search`` and ``POST /search/reindex``."""

from __future__ import annotations

from typing import Any

from ccokit.plugins.ticketing.routes import conventions
from ccokit.plugins.ticketing.routes.conventions import Blueprint
from ccokit.plugins.ticketing.schemas.search import (
    MESSAGES_ZH,
    NO_TERMS,
    ReindexSchema,
    SearchArgsSchema,
    SearchPageSchema,
)
from ccokit.plugins.ticketing.services.search import index, query, tokens
from ccokit_sdk.blueprints import LocalizedParser, locale
from ccokit_sdk.pagination import decode_cursor
from ccokit_sdk.plugin import abort, current, require_scope

__all__ = ["blueprint"]


class _SearchBlueprint(Blueprint):
    """Ticketing's blueprint, knowing search's own messages in Chinese too."""

    ARGUMENTS_PARSER = LocalizedParser({**conventions.MESSAGES_ZH, **MESSAGES_ZH}, conventions.PATTERNS_ZH)


blueprint = _SearchBlueprint("ticketing_search", __name__, description="Ticket search (工单搜索)")


@blueprint.get("/search")
@require_scope("tickets:read")
@blueprint.arguments(SearchArgsSchema, location="query")
@blueprint.response(200, SearchPageSchema)
def search(args: dict[str, Any]) -> Any:
    """Tickets whose subject, description, replies or internal notes hold every word of ``q``,
    newest first (by creation), one page at a time."""
    terms = tokens.query_terms(args["q"])
    if not terms:
        abort(422, messages={"q": [blueprint.ARGUMENTS_PARSER.translate(NO_TERMS, locale())]})
    before = decode_cursor(args["cursor"]) if args.get("cursor") else None
    page = query.search_tickets(
        current().session, terms, statuses=args.get("status") or None, before=before, limit=args["limit"],
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@blueprint.post("/search/reindex")
@require_scope("tickets:admin")
@blueprint.response(202, ReindexSchema)
def reindex() -> Any:
    """Rebuild the workspace's search index from its tickets and comments, in the background
    (in batches; searches keep answering meanwhile). Needed only for tickets written before
    search existed or written with bulk statements."""
    ctx = current()
    job_id = ctx.enqueue(index.reindex_job)
    ctx.audit("search_index.rebuild_requested", "search_index", "ticketing", after={"job_id": str(job_id)})
    ctx.session.commit()
    return {"job_id": str(job_id), "status": "queued"}
