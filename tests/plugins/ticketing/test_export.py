"""CSV export: every matching ticket, streamed in keyset batches, filters as on the list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Flask

from ccokit.platform.kernel import current_kernel
from tests.conftest import bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, Workspace, insert_tickets

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def _csv(workspace: Workspace, query: str = "") -> list[dict[str, str]]:
    resp = workspace.client.get(f"{API}/tickets/export.csv{query}", headers=workspace.auth)
    try:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.mimetype == "text/csv"
        assert resp.is_streamed
        assert "attachment" in resp.headers["Content-Disposition"]
        return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    finally:
        resp.close()  # as a WSGI server does: ends the request context and releases the session


def test_a_few_thousand_tickets_stream_out_whole_and_in_order(workspace: Workspace) -> None:
    workspace.client.post(f"{API}/fields", json={
        "key": "order_amount", "type": "number", "titles": {"en": "Amount", "zh": "金额"},
    }, headers=workspace.auth)
    rows = [{
        "subject": f"订单 {n}", "created_at": T0 + timedelta(seconds=n),
        "status": "solved" if n % 5 == 0 else "open", "tags": ["vip", "x"] if n % 7 == 0 else [],
        "custom_fields": {"order_amount": n},
    } for n in range(2500)]
    insert_tickets(workspace.app, workspace.tenant, rows)

    exported = _csv(workspace, "?sort=created_at")
    assert len(exported) == 2500
    assert [r["subject"] for r in exported] == [f"订单 {n}" for n in range(2500)]
    assert exported[7]["tags"] == "vip;x"
    assert exported[3]["cf.order_amount"] == "3"
    assert exported[0]["id"].startswith("tkt_")
    assert len({r["number"] for r in exported}) == 2500

    solved = _csv(workspace, "?status=solved&sort=-created_at")
    assert len(solved) == 500
    assert solved[0]["subject"] == "订单 2495"


def test_formulas_are_defused_and_bad_filters_refused_before_streaming(workspace: Workspace) -> None:
    workspace.ticket(subject="=HYPERLINK(\"http://evil.example\")", requester={"name": "+Mallory"})
    row = _csv(workspace)[0]
    assert row["subject"] == "'=HYPERLINK(\"http://evil.example\")"
    assert row["requester_name"] == "'+Mallory"
    resp = workspace.client.get(f"{API}/tickets/export.csv?cf.nope=1", headers=workspace.auth)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"


def test_a_client_that_leaves_mid_export_releases_the_connection(app: Flask) -> None:
    client = app.test_client()
    tenant = signup(client)
    auth = bearer(issue_token(client, tenant))
    insert_tickets(app, tenant, [{"subject": f"t{n}"} for n in range(1200)])
    pool = current_kernel(app).db.engine.pool
    resp = client.get(f"{API}/tickets/export.csv", headers=auth)
    chunks = iter(resp.response)
    assert next(chunks).startswith(b"id,number,subject")
    assert next(chunks).count(b"\n") == 500  # the first batch
    resp.close()  # the client went away
    assert pool.checkedout() == 0
