"""Transport schemas of tickets, comments and history (``/tickets``…)."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ccokit.plugins.ticketing.schemas.listing import FIELD_KEY, TAG
from ccokit.plugins.ticketing.schemas.sla import TicketSlaSummarySchema
from ccokit.plugins.ticketing.vocabulary import AUTHOR_KINDS, CATEGORIES, CHANNELS, PRIORITIES, STATUSES
from ccokit_sdk.ids import InvalidPublicId, decode_public_id, encode_public_id
from ccokit_sdk.schemas import AttributeSchema, PublicIdField

__all__ = [
    "ChangePageSchema",
    "ChangeSchema",
    "CommentCreateSchema",
    "CommentPageSchema",
    "CommentSchema",
    "RequesterSchema",
    "TicketCreateSchema",
    "TicketDetailArgsSchema",
    "TicketDetailSchema",
    "TicketPageSchema",
    "TicketPatchSchema",
    "TicketSchema",
]

#: The public id prefix of an author or actor id, by kind (bots and the system have none).
AUTHOR_PREFIXES = {"agent": "mem", "customer": "cus"}
PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 ()\-]{2,39}$",
    error="A phone number: digits, spaces, ( ) and -, optionally a leading +.",
)


def _author_id(kind: str, value: uuid.UUID | None) -> str | None:
    prefix = AUTHOR_PREFIXES.get(kind)
    return encode_public_id(prefix, value) if prefix and value else None


class RequesterSchema(ma.Schema):
    """Who asked. With the customers plugin, email or phone finds (or creates) the customer."""

    name = fields.String(allow_none=True, validate=validate.Length(1, 200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=PHONE)
    customer_id = PublicIdField("cus", allow_none=True)


class _TicketFields(ma.Schema):
    subject = fields.String(validate=validate.Length(1, 300))
    description = fields.String(validate=validate.Length(max=65_535))
    requester = fields.Nested(RequesterSchema)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    assignee_id = PublicIdField("mem", allow_none=True, metadata={"description": "A member (agent)."})
    group_id = PublicIdField("grp", allow_none=True)
    followers = fields.List(PublicIdField("mem"), validate=validate.Length(max=100))
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=50))
    due_at = fields.AwareDateTime(allow_none=True)
    custom_fields = fields.Dict(
        keys=fields.String(validate=FIELD_KEY), values=fields.Raw(allow_none=True),
        validate=validate.Length(max=200),
        metadata={"description": "Values by custom field key; null removes a value."},
    )


class TicketCreateSchema(_TicketFields):
    subject = fields.String(required=True, validate=validate.Length(1, 300))


class TicketPatchSchema(_TicketFields):
    """Any writable field; ``requester`` replaces the whole requester; ``custom_fields`` merges
    by key. ``add_tags``/``remove_tags`` and ``add_followers``/``remove_followers`` change
    those lists without replacing them."""

    add_tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=50))
    remove_tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=50))
    add_followers = fields.List(PublicIdField("mem"), validate=validate.Length(max=100))
    remove_followers = fields.List(PublicIdField("mem"), validate=validate.Length(max=100))


def _requester(ticket: Any) -> dict[str, Any]:
    return {
        "name": ticket.requester_name,
        "email": ticket.requester_email,
        "phone": ticket.requester_phone,
        "customer_id": encode_public_id("cus", ticket.customer_id) if ticket.customer_id else None,
    }


class TicketSchema(AttributeSchema):
    id = PublicIdField("tkt", dump_only=True)
    number = fields.Integer(dump_only=True, metadata={"description": "The workspace's ticket number (#123)."})
    subject = fields.String()
    description = fields.String()
    requester = fields.Function(_requester, metadata={"type": "object"})
    channel = fields.String()
    category = fields.String()
    priority = fields.String()
    status = fields.String()
    assignee_id = PublicIdField("mem", attribute="assignee_member_id", allow_none=True)
    group_id = PublicIdField("grp", allow_none=True)
    followers = fields.Function(
        lambda t: [encode_public_id("mem", uuid.UUID(v)) for v in t.followers or []],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    tags = fields.List(fields.String())
    due_at = fields.AwareDateTime(allow_none=True)
    custom_fields = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    status_changed_at = fields.AwareDateTime()
    solved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    first_replied_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer(metadata={"description": "Also the ETag; send it as If-Match."})
    merged_into_id = PublicIdField("tkt", allow_none=True)


class TicketPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(allow_none=True)


class CommentCreateSchema(ma.Schema):
    """A reply (``public: true``, the default) or an internal note (``public: false``).

    ``author_kind`` defaults to ``agent``; ``author_id`` is a member (``mem_…``) for agents and
    a customer (``cus_…``) for customers, by default the calling member or the ticket's customer.
    ``attachment_ids`` names uploaded (stored) attachments of the ticket the comment carries.
    """

    body = fields.String(required=True, validate=validate.Length(1, 65_535))
    public = fields.Boolean(load_default=True)
    author_kind = fields.String(validate=validate.OneOf(AUTHOR_KINDS))
    author_id = fields.String(validate=validate.Length(max=40))
    author_name = fields.String(validate=validate.Length(max=200))
    attachment_ids = fields.List(
        PublicIdField("att"), validate=validate.Length(max=20),
        metadata={"description": "Stored attachments of this ticket that the comment carries."},
    )

    @ma.post_load
    def _decode_author(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "author_id" in data:
            prefix = AUTHOR_PREFIXES.get(data.get("author_kind") or "agent")
            try:
                if prefix is None:
                    raise InvalidPublicId(data["author_id"])
                data["author_id"] = decode_public_id(prefix, data["author_id"])
            except InvalidPublicId as exc:
                expected = f"{prefix}_…" if prefix else "no id for this author_kind"
                message = f"Not a valid author id ({expected})."
                raise ma.ValidationError(message, field_name="author_id") from exc
        return data


class CommentSchema(AttributeSchema):
    id = PublicIdField("cmt", dump_only=True)
    ticket_id = PublicIdField("tkt", dump_only=True)
    author_kind = fields.String()
    author_id = fields.Function(
        lambda c: _author_id(c.author_kind, c.author_id), metadata={"type": "string"}
    )
    author_name = fields.String()
    public = fields.Boolean()
    body = fields.String()
    created_at = fields.AwareDateTime()


class CommentPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CommentSchema))
    next_cursor = fields.String(allow_none=True)


class TicketDetailArgsSchema(ma.Schema):
    comments_limit = fields.Integer(
        load_default=100, validate=validate.Range(0, 100),
        metadata={"description": "How many comments (oldest first) to include; page on with /comments."},
    )


class TicketDetailSchema(TicketSchema):
    """A ticket with its first comments (oldest first), the cursor to the rest, and its running
    SLA clocks in brief."""

    comments = fields.List(fields.Nested(CommentSchema))
    comments_next_cursor = fields.String(allow_none=True)
    sla = fields.Nested(
        TicketSlaSummarySchema,
        metadata={"description": "The unfinished SLA clocks; GET /tickets/{id}/sla has every clock in full."},
    )


#: A trigger or automation acts as the system; its history rows keep the rule's id.
RULE_PREFIXES = {"trigger": "trg", "automation": "aut"}


def _actor_id(change: Any) -> str | None:
    if change.actor_kind == "system" and change.actor_id and change.via in RULE_PREFIXES:
        return encode_public_id(RULE_PREFIXES[change.via], change.actor_id)
    return _author_id(change.actor_kind, change.actor_id)


class ChangeSchema(AttributeSchema):
    """One changed field: ``custom_fields.<key>`` for custom fields, values as the API shows them."""

    id = PublicIdField("chg", dump_only=True)
    field = fields.String()
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    actor_kind = fields.String()
    actor_id = fields.Function(_actor_id, metadata={"type": "string"})
    via = fields.String()
    created_at = fields.AwareDateTime()


class ChangePageSchema(ma.Schema):
    items = fields.List(fields.Nested(ChangeSchema))
    next_cursor = fields.String(allow_none=True)

