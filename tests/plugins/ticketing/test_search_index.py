"""The search index beyond single writes: merges, rebuilding a workspace, the statements a search
costs, the migration, and the PostgreSQL search function's own tenant guard."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text

from ccokit.platform.config import Settings
from ccokit.platform.events.relay import run_pending
from ccokit.platform.kernel import current_kernel
from ccokit.plugins.ticketing.models.search import TicketSearch
from ccokit.plugins.ticketing.models.tickets import Ticket
from ccokit.plugins.ticketing.services.search import index
from ccokit.tenants.database import make_engine
from ccokit_sdk.ids import decode_public_id
from tests.conftest import bearer, issue_token, signup
from tests.plugins.ticketing.conftest import API, Workspace, insert_tickets
from tests.plugins.ticketing.migration_support import migrated, model_drift
from tests.plugins.ticketing.test_statement_counts import counting

SEARCH = f"{API}/search"


def _found(ws: Workspace, q: str, **params: Any) -> list[str]:
    resp = ws.client.get(SEARCH, query_string={"q": q, "limit": 100, **params}, headers=ws.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [item["id"] for item in resp.get_json()["items"]]


def _index_rows(ws: Workspace) -> int:
    with current_kernel(ws.app).db.transaction(ws.tenant.tenant_id) as session:
        return int(session.scalar(select(func.count()).select_from(TicketSearch)) or 0)


def _drop_index(ws: Workspace) -> None:
    with current_kernel(ws.app).db.transaction(ws.tenant.tenant_id) as session:
        session.execute(delete(TicketSearch))


def test_a_merge_moves_the_comments_words_to_the_target(workspace: Workspace) -> None:
    ws = workspace
    target = ws.ticket(subject="Parcel lost")
    source = ws.ticket(subject="Also lost")
    resp = ws.client.post(f"{API}/tickets/{source['id']}/comments", json={"body": "快递员说放在驿站了"}, headers=ws.auth)
    assert resp.status_code == 201
    assert _found(ws, "驿站") == [source["id"]]
    resp = ws.client.post(f"{API}/tickets/{target['id']}/merge", json={"source_ids": [source["id"]]}, headers=ws.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _found(ws, "驿站") == [target["id"]]
    assert _found(ws, "also lost") == [source["id"]]  # the source keeps its own subject
    assert _found(ws, "merged", status="closed") == [source["id"]]  # and its merge note


def test_a_deleted_ticket_leaves_no_index_row(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket(subject="To be removed")
    ws.ticket(subject="Stays")
    assert _index_rows(ws) == 2
    with current_kernel(ws.app).db.transaction(ws.tenant.tenant_id) as session:
        session.execute(delete(Ticket).where(Ticket.id == decode_public_id("tkt", ticket["id"])))
    assert _index_rows(ws) == 1
    assert _found(ws, "removed") == []


def test_reindex_tenant_rebuilds_what_bulk_writes_missed(workspace: Workspace) -> None:
    ws = workspace
    ticket = ws.ticket(subject="我的快递三天了还没到", description="order SO-778899")
    ws.client.post(f"{API}/tickets/{ticket['id']}/comments", json={"body": "Refunds are slow", "public": False},
                   headers=ws.auth)
    imported = insert_tickets(ws.app, ws.tenant, [{"subject": f"导入的工单 {n}"} for n in range(3)])
    assert _index_rows(ws) == 4  # rows added through the ORM are indexed by the same listeners
    _drop_index(ws)
    assert _found(ws, "快递") == []
    with current_kernel(ws.app).db.transaction(ws.tenant.tenant_id) as session:
        assert index.reindex_tenant(session, limit=2)[0] == 2
        done, last = index.reindex_tenant(session)
    assert done == 4
    assert last == max(imported)
    assert _index_rows(ws) == 4
    assert _found(ws, "快递 so778899 refund") == [ticket["id"]]
    assert len(_found(ws, "导入")) == 3


def test_the_reindex_job_runs_in_batches_when_an_admin_asks(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    monkeypatch.setattr(index, "REINDEX_BATCH", 2)
    made = [ws.ticket(subject=f"赠品漏发 {n}")["id"] for n in range(5)]
    _drop_index(ws)
    reader = bearer(issue_token(ws.client, ws.tenant, ["tickets:read"]))
    assert ws.client.post(f"{SEARCH}/reindex", headers=reader).status_code == 403
    resp = ws.client.post(f"{SEARCH}/reindex", headers=ws.auth)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "queued"
    kernel = current_kernel(ws.app)
    rounds = 0
    while run_pending(kernel, tenant_id=ws.tenant.tenant_id):
        rounds += 1
        assert rounds < 10
    assert rounds == 3  # 2 + 2 + 1 tickets, each batch its own job and transaction
    assert _found(ws, "赠品") == made[::-1]
    audit = ws.client.get("/api/v1/audit-events", query_string={"action": "search_index.rebuild_requested"},
                          headers=ws.auth).get_json()["items"]
    assert [(a["target"]["type"], a["after"]["job_id"]) for a in audit] == [("search_index", resp.get_json()["job_id"])]


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_a_search_of_5_or_50_hits_costs_the_same_statements(backend: str, request: pytest.FixtureRequest) -> None:
    app: Flask = request.getfixturevalue("app" if backend == "postgres" else "sqlite_app")
    costs = []
    for n in (5, 50):
        client = app.test_client()
        tenant = signup(client)
        auth = bearer(issue_token(client, tenant))
        insert_tickets(app, tenant, [{"subject": f"发货延迟 {i}", "description": "客户催了三次"} for i in range(n)])
        url = f"{SEARCH}?q=发货+催&limit=100"
        assert len(client.get(url, headers=auth).get_json()["items"]) == n
        with counting(app) as statements:
            resp = client.get(url, headers=auth)
        assert resp.status_code == 200
        costs.append(len(statements))
    assert costs[0] == costs[1]


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_the_migrated_search_table_matches_its_model(backend: str, request: pytest.FixtureRequest) -> None:
    with migrated(backend, request) as conn:
        diffs = model_drift(conn)
        if backend == "postgres":
            indexes = set(conn.scalars(text(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'ticket_search'"
            )))
            functions = set(conn.scalars(text(
                "SELECT p.prosecdef::text FROM pg_proc p WHERE p.proname = 'ccokit_search_tickets'"
            )))
        else:
            indexes = set(conn.scalars(text(
                "SELECT name FROM sqlite_master WHERE tbl_name IN ('ticket_search', 'ticket_search_fts')"
            )))
            functions = set()

    def unexpected(diff: Any) -> bool:
        """A difference about the search table that the migration did not make on purpose:
        the GIN expression index (PostgreSQL), the doc_id index and the FTS5 tables (SQLite) are
        created by the migration for one database only."""
        kind, obj = diff[0], diff[1]
        name = getattr(obj, "name", "")
        if backend == "postgres" and (kind, name) in {
            ("remove_index", "ix_ticket_search_document"), ("add_index", "ix_ticket_search_doc_id"),
        }:
            return False
        if backend == "sqlite" and kind == "remove_table" and name.startswith("ticket_search_fts"):
            return False
        return "ticket_search" in repr(diff)

    assert [d for d in diffs if unexpected(d)] == []
    if backend == "postgres":
        assert any("USING gin" in i and "status:" in i for i in indexes), indexes
        assert functions == {"true"}
    else:
        assert {"ticket_search_fts", "ticket_search_fts_insert", "ticket_search_fts_update",
                "ticket_search_fts_delete"} <= indexes


def test_the_search_function_answers_for_the_transactions_tenant_only(app: Flask, pg_settings: Settings) -> None:
    """``ccokit_search_tickets`` reads past the tenant policy (to use its GIN index), so it must
    take the tenant from the transaction's setting, exactly as the policy does."""
    client = app.test_client()
    a, b = signup(client), signup(client)
    a_auth = bearer(issue_token(client, a))
    ticket = client.post(f"{API}/tickets", json={"subject": "A的机密快递"}, headers=a_auth).get_json()
    engine = make_engine(pg_settings.database_url)  # the application role, under row-level security
    call = text("SELECT ticket_id FROM ccokit_search_tickets(ARRAY['快递'], NULL, NULL, 10)")
    try:
        with engine.begin() as conn:
            assert conn.scalars(call).all() == []  # no tenant: nothing
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('ccokit.tenant_id', :t, true)"), {"t": str(b.tenant_id)})
            assert conn.scalars(call).all() == []
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('ccokit.tenant_id', :t, true)"), {"t": str(a.tenant_id)})
            assert conn.scalars(call).all() == [uuid.UUID(str(decode_public_id("tkt", ticket["id"])))]
            # Without the function, the application role reads the index under the tenant policy.
            assert conn.scalar(text("SELECT count(*) FROM ticket_search")) == 1
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('ccokit.tenant_id', :t, true)"), {"t": str(b.tenant_id)})
            assert conn.scalar(text("SELECT count(*) FROM ticket_search")) == 0
    finally:
        engine.dispose()


def test_deleting_a_workspace_removes_its_index_and_no_other(workspace: Workspace) -> None:
    ws = workspace
    other_client = ws.app.test_client()
    other_tenant = signup(other_client)
    other = Workspace(ws.app, other_client, other_tenant, bearer(issue_token(other_client, other_tenant)))
    ws.ticket(subject="快递丢了")
    kept = other.ticket(subject="快递丢了")
    engine = current_kernel(ws.app).db.engine
    sqlite = engine.dialect.name == "sqlite"

    def fts_rows() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM ticket_search_fts")) or 0)

    before = fts_rows() if sqlite else 0
    resp = ws.client.delete(f"/api/v1/tenant?confirm={ws.tenant.slug}", headers=ws.auth)
    assert resp.status_code == 204, resp.get_data(as_text=True)
    assert _index_rows(ws) == 0
    if sqlite:  # the FTS5 rows follow their index rows (triggers), the other workspace's stay
        assert fts_rows() == before - 1
    assert _found(other, "快递") == [kept["id"]]
