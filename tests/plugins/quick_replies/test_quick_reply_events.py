"""Quick replies publish their changes as events, in the transaction of the change."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ccokit.platform.events.models import OutboxEvent
from ccokit.platform.kernel import current_kernel
from tests.conftest import TenantInfo, bearer


def _events(app: Flask, tenant: TenantInfo) -> list[tuple[str, dict[str, str]]]:
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [(r.type, dict(r.payload)) for r in rows]


def test_create_update_delete_are_published(app: Flask, client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    created = client.post(
        "/api/v1/quick_replies/replies", json={"shortcut": "/ship", "title": "发货", "body": "已发货"},
        headers=bearer(token),
    ).get_json()
    client.patch(f"/api/v1/quick_replies/replies/{created['id']}", json={"title": "Shipping"}, headers=bearer(token))
    client.delete(f"/api/v1/quick_replies/replies/{created['id']}", headers=bearer(token))
    assert _events(app, tenant) == [
        ("quick_reply.created", {"id": created["id"], "shortcut": "/ship", "title": "发货"}),
        ("quick_reply.updated", {"id": created["id"], "shortcut": "/ship", "title": "Shipping"}),
        ("quick_reply.deleted", {"id": created["id"], "shortcut": "/ship", "title": "Shipping"}),
    ]


def test_a_rejected_change_publishes_nothing(app: Flask, client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    body = {"shortcut": "/dup", "title": "a", "body": "b"}
    assert client.post("/api/v1/quick_replies/replies", json=body, headers=bearer(token)).status_code == 201
    assert client.post("/api/v1/quick_replies/replies", json=body, headers=bearer(token)).status_code == 409
    assert [t for t, _ in _events(app, tenant)] == ["quick_reply.created"]
