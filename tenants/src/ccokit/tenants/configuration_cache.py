"""What a process keeps of its tenants' configuration between requests, and how it knows when
to let go.

Nearly every request of a workspace reads the same few configuration rows (enabled plugins and
their settings, revoked tokens, custom field definitions, SLA policies, triggers, tier ladders)
that change perhaps once a day. Reading them from the database every time costs more than the
request's own work. So each tenant row carries a ``config_version``; every transaction that
changes a :class:`~ccokit_sdk.models.TenantConfiguration` row adds one to it (the listeners in
:mod:`ccokit.tenants.database` see to that), and a value cached under an older version is
simply not used again.

Why this is safe across processes and pods: the version is read from the database once per
transaction, before any cached value is used, and a loader reads after that. A value loaded
while another transaction's change is still uncommitted is stored under the old version and
dropped as soon as the change commits and the version moves. Within a transaction that itself
changed configuration the cache is bypassed, so a request sees its own writes.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, Uuid, bindparam, text
from sqlalchemy.orm import Session

from ccokit_sdk.models import TenantConfiguration

__all__ = ["DEFAULT_ENTRIES", "ConfigurationCache", "bump_version", "is_configuration_table", "read_version"]

#: Entries kept per process; a workspace uses a handful, so this holds thousands of workspaces.
DEFAULT_ENTRIES = 20_000

_MISSING = object()
# Plain SQL on purpose: an ORM update of Tenant would also move its updated_at.
_READ = text("SELECT config_version FROM tenants WHERE id = :id").bindparams(bindparam("id", type_=Uuid))
_BUMP = text("UPDATE tenants SET config_version = config_version + 1 WHERE id = :id").bindparams(
    bindparam("id", type_=Uuid)
)


class ConfigurationCache:
    """A bounded, thread-safe map of (tenant, key) to the value loaded under a version.

    Least recently used entries go first when it is full. Values are shared by every thread of
    the process, so loaders return data nobody changes.
    """

    def __init__(self, max_entries: int = DEFAULT_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[uuid.UUID, str], tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, tenant_id: uuid.UUID, version: int, key: str) -> Any:
        """The value cached for ``key`` under exactly ``version``, or ``_MISSING``."""
        with self._lock:
            entry = self._entries.get((tenant_id, key))
            if entry is None or entry[0] != version:
                self.misses += 1
                return _MISSING
            self._entries.move_to_end((tenant_id, key))
            self.hits += 1
            return entry[1]

    def put(self, tenant_id: uuid.UUID, version: int, key: str, value: Any) -> None:
        with self._lock:
            current = self._entries.get((tenant_id, key))
            if current is not None and current[0] > version:
                return  # a newer value arrived from another thread meanwhile
            self._entries[(tenant_id, key)] = (version, value)
            self._entries.move_to_end((tenant_id, key))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def fetch(self, tenant_id: uuid.UUID, version: int, key: str, load: Callable[[], Any]) -> Any:
        """The cached value, or ``load()`` stored under ``version``."""
        value = self.get(tenant_id, version, key)
        if value is _MISSING:
            value = load()
            self.put(tenant_id, version, key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def read_version(session: Session, tenant_id: uuid.UUID) -> int:
    """The tenant's configuration version as committed now (a primary-key read of a shared table)."""
    value = session.execute(
        _READ, {"id": tenant_id}
    ).scalar()
    return int(value or 0)


def bump_version(session: Session, tenant_id: uuid.UUID) -> None:
    """Move the tenant's configuration version on, in the session's transaction.

    The row lock this takes is the weak ``FOR NO KEY UPDATE``: it does not stop the inserts
    whose foreign keys point at the tenant, only another configuration change of the same
    tenant until this transaction ends.
    """
    session.execute(_BUMP, {"id": tenant_id})


_configuration_tables: dict[int, frozenset[Table]] = {}


def _tables() -> frozenset[Table]:
    """Tables of every mapped :class:`TenantConfiguration` model (recomputed when more appear)."""
    classes = _subclasses(TenantConfiguration)
    cached = _configuration_tables.get(len(classes))
    if cached is None:
        cached = frozenset(t for c in classes if isinstance(t := getattr(c, "__table__", None), Table))
        _configuration_tables.clear()
        _configuration_tables[len(classes)] = cached
    return cached


def _subclasses(cls: type) -> list[type]:
    found, stack = [], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def is_configuration_table(table: Any) -> bool:
    """Whether ``table`` (a Table, or anything else a statement targets) holds configuration."""
    return isinstance(table, Table) and table in _tables()
