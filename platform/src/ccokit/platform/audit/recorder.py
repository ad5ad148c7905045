"""Writing audit events: in the session (hence the transaction) of the change they describe.

An admin route calls :func:`record_audit` before it commits, so a change that fails leaves no
audit row and a committed change always has one. Who acted, from which IP and in which request
are taken from the authenticated request; ``before`` and ``after`` are the object's state as the
API shows it, with anything that looks like a secret replaced by ``"[redacted]"``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from ccokit.platform.audit.models import AuditEvent
from ccokit_sdk.ids import encode_public_id

__all__ = ["REDACTED", "record_audit", "redact"]

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(r"password|secret|token|api_?key|private_?key|credential|authorization", re.I)


def redact(value: Any) -> Any:
    """A JSON-safe copy of ``value`` in which every field whose name suggests a secret is hidden."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _SECRET_NAME.search(str(k)) and v is not None else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _actor() -> tuple[str, str, str | None]:
    """``(actor_type, actor_id, client_id)`` of the current request; ``system`` outside one."""
    ctx = g.get("ccokit") if has_request_context() else None
    if ctx is None:
        return "system", "system", None
    principal = ctx.principal
    if principal.member_id is not None:
        return "member", encode_public_id("mem", principal.member_id), principal.client_id
    return "client", principal.client_id, principal.client_id


def record_audit(
    session: Session,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` on ``target_type``/``target_id`` to ``session``.

    The caller commits (with the change itself). ``action`` reads ``<thing>.<past tense>``, e.g.
    ``member.created``; ``target_id`` is the object's public id.
    """
    actor_type, actor_id, client_id = _actor()
    in_request = has_request_context()
    event = AuditEvent(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        client_id=client_id,
        target_type=target_type,
        target_id=target_id,
        before=redact(before) if before is not None else None,
        after=redact(after) if after is not None else None,
        ip=(request.remote_addr or None) if in_request else None,
        request_id=g.get("request_id") if in_request else None,
    )
    session.add(event)
    return event
