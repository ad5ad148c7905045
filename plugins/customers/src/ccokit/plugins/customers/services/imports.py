"""Importing customers from CSV: streamed, all or nothing, with a report per row.

The file is read row by row (``csv`` over the upload stream, never the whole file at once) and
written 500 rows at a time inside one savepoint, so memory stays flat however long the file is.
If any row is wrong, the savepoint is rolled back at the end: nothing was imported, and the
report lists every problem (row, column, message in the caller's language) up to 1,000. A dry
run does all the same work and always rolls back, so its counts are exactly what a real import
would do.

Rows are upserts by contact point: a row whose email, phone, chat id or external id names an
existing customer (or one an earlier row of the file created) updates that customer (name,
language and tier when given; tags and contact points are added, nothing is removed); a row
that names nobody creates a customer; a row whose contact points name two different customers
is an error (merge them first). An import publishes one ``customers.imported``, not an event
per row.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from ccokit.plugins.customers.models import ContactPoint, Customer, CustomerTag, Tier
from ccokit.plugins.customers.schemas.contact import (
    MAX_CONTACTS,
    MAX_TAGS,
    normalise_channel,
    normalise_email,
    normalise_identifier,
    normalise_key,
    normalise_locale,
    normalise_phone,
    normalise_tag,
)
from ccokit.plugins.customers.services.contacts import ContactKey, owners
from ccokit.plugins.customers.services.errors import Publish
from ccokit.plugins.customers.services.profiles import public_id
from ccokit.plugins.customers.texts import text
from ccokit_sdk.ids import encode_public_id, new_id
from ccokit_sdk.models import utcnow

__all__ = ["COLUMNS", "MAX_ERRORS", "ImportReport", "RowError", "import_customers"]

COLUMNS = ("name", "email", "phone", "chat_ids", "external_ids", "tier", "tags", "locale")
#: Other spellings of the columns a merchant's spreadsheet may use (after lower-casing and
#: turning spaces and hyphens into ``_``), Chinese headers included.
ALIASES = {
    "emails": "email", "phones": "phone", "mobile": "phone", "chat_id": "chat_ids",
    "external_id": "external_ids", "tag": "tags", "language": "locale",
    "姓名": "name", "名称": "name", "邮箱": "email", "电子邮箱": "email", "电话": "phone", "手机": "phone",
    "手机号": "phone", "聊天账号": "chat_ids", "外部编号": "external_ids", "会员等级": "tier", "等级": "tier",
    "标签": "tags", "语言": "locale",
}
IDENTITY_COLUMNS = ("email", "phone", "chat_ids", "external_ids")
MAX_ERRORS = 1000
_CHUNK = 500
_LIST_SEPARATORS = re.compile(r"[;；,，]")
_PAIR_SEPARATORS = re.compile(r"[;；]")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    id: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return len(self.errors) >= MAX_ERRORS


@dataclass
class _Row:
    number: int
    keys: list[ContactKey]
    name: str | None = None
    tier: Tier | None = None
    tags: list[str] = field(default_factory=list)
    locale: str | None = None


class _Stop(Exception):
    """The file cannot be read further (header, encoding, CSV syntax, limits, too many errors)."""


def _split(cell: str, separators: re.Pattern[str]) -> list[str]:
    return [part.strip() for part in separators.split(cell) if part.strip()]


def _pairs(cell: str, normalise_first: Callable[[str], str]) -> list[tuple[str, str]]:
    """``member_id:M001;shop_account:tb_wang`` -> ``[("member_id", "M001"), …]``."""
    pairs = []
    for part in _split(cell, _PAIR_SEPARATORS):
        first, sep, second = part.replace("：", ":").partition(":")
        if not sep:
            raise ma.ValidationError(text("csv_external"))
        pairs.append((normalise_first(first), normalise_identifier(second)))
    return pairs


class _Reader:
    """Turns CSV records into checked rows, collecting errors in the report."""

    def __init__(self, session: Session, report: ImportReport, max_rows: int) -> None:
        self.report = report
        self.max_rows = max_rows
        self.columns: list[str] = []
        tiers = list(session.scalars(select(Tier)))
        self.tiers: dict[str, Tier] = {}
        for tier in tiers:  # by name in any language, then by key (a key wins over a name)
            for name in (tier.name, *(tier.names or {}).values()):
                self.tiers[name.strip().casefold()] = tier
        self.tiers.update({tier.key: tier for tier in tiers})

    def error(self, row: int, column: str | None, message: str) -> None:
        self.report.errors.append(RowError(row, column, message))
        if len(self.report.errors) >= MAX_ERRORS:
            raise _Stop

    def header(self, cells: list[str]) -> None:
        seen: set[str] = set()
        for cell in cells:
            raw = cell.strip().lstrip("\ufeff")
            name = re.sub(r"[\s\-]+", "_", raw.lower())
            name = ALIASES.get(name, name)
            if name not in COLUMNS:
                self.error(1, raw, text("csv_unknown_column", column=raw, columns=", ".join(COLUMNS)))
            elif name in seen:
                self.error(1, name, text("csv_repeated_column", column=name))
            seen.add(name)
            self.columns.append(name)
        if not seen & set(IDENTITY_COLUMNS):
            self.error(1, None, text("csv_no_identity_column"))
        if self.report.errors:
            raise _Stop

    def row(self, number: int, cells: list[str]) -> _Row | None:
        """The checked row, or ``None`` when it is blank or wrong (its errors are reported)."""
        if not any(cell.strip() for cell in cells):
            return None
        self.report.rows += 1
        if self.report.rows > self.max_rows:
            self.error(number, None, text("csv_too_many_rows", limit=self.max_rows))
            raise _Stop
        if len(cells) > len(self.columns):
            self.error(number, None, text("csv_extra_cells", count=len(cells), columns=len(self.columns)))
            return None
        row = _Row(number, keys=[])
        failed = False
        for column, cell in zip(self.columns, cells, strict=False):
            if not cell.strip():
                continue
            if "\x00" in cell:  # PostgreSQL cannot store it: the row's error, not a failed import
                self.error(number, column, text("csv_nul_character"))
                failed = True
                continue
            try:
                self._cell(row, column, cell)
            except ma.ValidationError as exc:
                messages = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
                self.error(number, column, str(messages[0]))
                failed = True
        if not failed and not row.keys:
            self.error(number, None, text("csv_no_identity"))
            failed = True
        return None if failed else row

    def _cell(self, row: _Row, column: str, cell: str) -> None:
        if column == "name":
            row.name = cell.strip()
            if len(row.name) > 200:
                raise ma.ValidationError(text("identifier"))
        elif column == "email":
            row.keys += [("email", "", normalise_email(v)) for v in _split(cell, _LIST_SEPARATORS)]
        elif column == "phone":
            row.keys += [("phone", "", normalise_phone(v)) for v in _split(cell, _LIST_SEPARATORS)]
        elif column == "chat_ids":
            row.keys += [("chat", c, i) for c, i in _pairs(cell, normalise_channel)]
        elif column == "external_ids":
            row.keys += [("external", k, v) for k, v in _pairs(cell, normalise_key)]
        elif column == "tier":
            wanted = cell.strip()
            row.tier = self.tiers.get(wanted.lower()) or self.tiers.get(wanted.casefold())
            if row.tier is None:
                raise ma.ValidationError(text("unknown_tier", key=wanted))
        elif column == "tags":
            row.tags = list(dict.fromkeys(normalise_tag(v) for v in _split(cell, _LIST_SEPARATORS)))
            if len(row.tags) > MAX_TAGS:
                raise ma.ValidationError(text("tag"))
        elif column == "locale":
            row.locale = normalise_locale(cell)
        row.keys = list(dict.fromkeys(row.keys))
        if len(row.keys) > MAX_CONTACTS * len(IDENTITY_COLUMNS):
            raise ma.ValidationError(text("identifier"))


class _Writer:
    """Upserts checked rows 500 at a time; each chunk is flushed and let go of.

    Contact points and tags are added as rows of their own (not through the customers'
    collections): with tens of thousands of rows, the collections' bookkeeping would cost more
    than the database does.
    """

    def __init__(self, session: Session, report: ImportReport, reader: _Reader) -> None:
        self.session = session
        self.report = report
        self.reader = reader
        self.touched: set[uuid.UUID] = set()

    def chunk(self, rows: list[_Row]) -> None:
        taken = owners(self.session, [key for row in rows for key in row.keys])
        loaded = self.session.scalars(select(Customer).where(Customer.id.in_(set(taken.values()))))
        existing = {c.id: c for c in loaded}
        keys = {c.id: {p.key() for p in c.contact_points} for c in existing.values()}
        tags = {c.id: set(c.tags) for c in existing.values()}
        claimed: dict[ContactKey, Customer] = {}
        added: list[object] = []
        now = utcnow()
        for row in rows:
            found = {c.id: c for key in row.keys
                     if (c := claimed.get(key) or (existing.get(taken[key]) if key in taken else None))}
            if len(found) > 1:
                names = ", ".join(sorted(public_id(c) for c in found.values()))
                self.reader.error(row.number, None, text("csv_two_customers", customers=names))
                continue
            customer = next(iter(found.values()), None)
            if customer is None:
                customer = Customer(id=new_id(), name=row.name, locale=row.locale,
                                    tier_id=row.tier.id if row.tier is not None else None)
                added.append(customer)
                keys[customer.id], tags[customer.id] = set(), set()
                self.report.created += 1
            else:
                if customer.id in existing and customer.id not in self.touched:
                    self.report.updated += 1
                if customer.id in existing:
                    customer.name = row.name or customer.name
                    customer.locale = row.locale or customer.locale
                    customer.tier = row.tier or customer.tier
                    customer.updated_at = now
                else:  # made by an earlier row of this chunk, still pending
                    customer.name = row.name or customer.name
                    customer.locale = row.locale or customer.locale
                    customer.tier_id = row.tier.id if row.tier is not None else customer.tier_id
            self.touched.add(customer.id)
            for key in row.keys:
                claimed[key] = customer
                if key not in keys[customer.id]:
                    keys[customer.id].add(key)
                    kind, channel, value = key
                    point = ContactPoint(customer_id=customer.id, kind=kind, channel=channel, value=value)
                    added.append(point)
            for tag in row.tags:
                if tag not in tags[customer.id]:
                    tags[customer.id].add(tag)
                    added.append(CustomerTag(tag, customer_id=customer.id))
        self.session.add_all(added)
        self.session.flush()
        for obj in [*existing.values(), *added]:
            self.session.expunge(obj)  # memory stays flat however long the file is


def _records(lines: Iterable[str], reader: _Reader, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` of each CSV record; decoding and syntax errors stop the import."""
    records = csv.reader(lines)
    number = 0
    while True:
        try:
            cells = next(records)
        except StopIteration:
            return
        except UnicodeDecodeError:
            reader.error(number + 1, None, text("csv_encoding", encoding=encoding))
            raise _Stop from None
        except csv.Error as exc:
            reader.error(number + 1, None, text("csv_malformed", reason=str(exc)))
            raise _Stop from None
        number += 1
        yield number, cells


#: PostgreSQL plans every chunk's look-ups afresh for the rest of the import's transaction.
#: The driver prepares a statement run five times, and the server then keeps a generic plan
#: made when the tables held few of the workspace's contact points: it read every contact point
#: of the kind to find a chunk's 500 values, so each chunk cost more than the one before (20,000
#: rows took minutes). A custom plan sees the tables' current size and probes the unique index.
_PLAN_EACH_CHUNK = sql_text("SET LOCAL plan_cache_mode = force_custom_plan")


def import_customers(
    session: Session,
    lines: Iterable[str],
    *,
    max_rows: int,
    dry_run: bool,
    publish: Publish,
    encoding: str = "utf-8",
) -> ImportReport:
    """Import the CSV whose lines are ``lines`` (a text stream); see the module's docstring.

    Writes happen in a savepoint of ``session`` that is released only when every row was good
    and this is not a dry run; the caller commits (and audits) a successful import.
    """
    report = ImportReport(id=encode_public_id("cimp", new_id()), dry_run=dry_run)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PLAN_EACH_CHUNK)
    reader = _Reader(session, report, max_rows)
    writer = _Writer(session, report, reader)
    savepoint = session.begin_nested()
    try:
        records = _records(lines, reader, encoding)
        first = next(records, None)
        if first is None:
            reader.error(1, None, text("csv_empty"))
            raise _Stop
        reader.header(first[1])
        pending: list[_Row] = []
        for number, cells in records:
            row = reader.row(number, cells)
            if row is not None:
                pending.append(row)
            if len(pending) >= _CHUNK:
                writer.chunk(pending)
                pending = []
        if pending:
            writer.chunk(pending)
    except _Stop:
        pass
    except BaseException:
        savepoint.rollback()
        raise
    if report.errors or dry_run:
        savepoint.rollback()
        return report
    savepoint.commit()
    publish("customers.imported", {
        "import_id": report.id, "rows": report.rows, "created": report.created, "updated": report.updated,
    })
    return report
