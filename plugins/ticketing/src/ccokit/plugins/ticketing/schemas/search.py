"""Transport schemas of ticket search: the query arguments and a page of hits."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.vocabulary import PRIORITIES, STATUSES
from ccokit_sdk.pagination import CursorArgsSchema
from ccokit_sdk.schemas import PublicIdField

__all__ = ["MAX_QUERY_CHARS", "MESSAGES_ZH", "ReindexSchema", "SearchArgsSchema", "SearchPageSchema"]

MAX_QUERY_CHARS = 200
BLANK = "Enter a word or a phrase to search for."
NO_TERMS = "Search for letters, digits or Chinese characters; punctuation alone finds nothing."
#: Chinese for the messages this module adds to marshmallow's (the blueprint translates the rest).
MESSAGES_ZH = {
    BLANK: "请输入要搜索的词或短语。",
    NO_TERMS: "请搜索字母、数字或汉字；仅有标点符号无法搜索。",
}


class SearchArgsSchema(CursorArgsSchema):
    """``GET /search``: the words (all must match), optional statuses, and a page."""

    q = fields.String(
        required=True,
        validate=validate.Length(1, MAX_QUERY_CHARS),
        metadata={"description": (
            "Words to find in subjects, descriptions, replies and internal notes; every word must "
            "match. Chinese is segmented (快递没到 finds 我的快递还没到)."
        )},
    )
    status = fields.List(
        fields.String(validate=validate.OneOf(STATUSES)),
        validate=validate.Length(max=len(STATUSES)),
        metadata={"description": "Only tickets in these statuses; repeat the key for several."},
    )

    @ma.validates("q")
    def _has_words(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ma.ValidationError(BLANK)


class SearchHitSchema(ma.Schema):
    id = PublicIdField("tkt")
    number = fields.Integer()
    subject = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    priority = fields.String(metadata={"enum": list(PRIORITIES)})
    updated_at = fields.AwareDateTime()
    snippet = fields.String(
        metadata={"description": "A short piece of the description around the first word found."}
    )
    highlights = fields.List(
        fields.List(fields.Integer(), validate=validate.Length(equal=2)),
        metadata={"description": "[start, end) of each word found in the snippet, in characters."},
    )


class SearchPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SearchHitSchema))
    next_cursor = fields.String(allow_none=True)


class ReindexSchema(ma.Schema):
    """The answer to ``POST /search/reindex``: the job that rebuilds the index."""

    job_id = fields.String(metadata={"description": "Id of the queued job (see the event log)."})
    status = fields.String(metadata={"enum": ["queued"]})
