"""``Idempotency-Key``: a retried POST acts once, on the platform's routes and every plugin's.

Everything runs against the real PostgreSQL (and SQLite where said): keys are claimed with real
INSERTs, so the races below are decided by the database's primary key, as in production.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_smorest import Blueprint
from sqlalchemy import func, select, text, update

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.idempotency.models import IdempotencyKey
from ccokit.platform.idempotency.store import KeyScope, claim_key, fingerprint, purge_expired_keys
from ccokit.platform.kernel import current_kernel
from ccokit.platform.plugin_host import discover_plugins
from ccokit.tenants.database import make_engine
from ccokit.tenants.models import Member
from ccokit_sdk.models import utcnow
from ccokit_sdk.plugin import Plugin, PluginContext, Scope, require_scope
from tests.conftest import TenantInfo, bearer, issue_token, signup

# -- a test plugin whose POSTs fail, block or count on demand -----------------------------------


class ThingSchema(ma.Schema):
    name = ma.fields.String(required=True)
    number = ma.fields.Integer(dump_only=True)


class Behaviour:
    def __init__(self) -> None:
        self.failures_left = 0
        self.runs = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()


behaviour = Behaviour()
things = Blueprint("idem_things", __name__, description="Things for the idempotency tests")


@things.post("/things")
@require_scope("idem:write")
@things.arguments(ThingSchema)
@things.response(201, ThingSchema)
def create_thing(data: dict[str, Any]) -> Any:
    behaviour.runs += 1
    behaviour.entered.set()
    behaviour.release.wait(timeout=30)
    if behaviour.failures_left:
        behaviour.failures_left -= 1
        raise RuntimeError("the merchant's system fell over")
    return {"name": data["name"], "number": behaviour.runs}, 201, {"Location": f"/things/{behaviour.runs}"}


def _setup(ctx: PluginContext) -> None:
    ctx.register_blueprint(things)


IDEM = Plugin(name="idem", version="1", title={"en": "Idem"}, setup=_setup,
              scopes=(Scope("idem:write", "Make things", "agent"),))


@pytest.fixture
def idem_app(pg_settings: Settings) -> Iterator[Flask]:
    global behaviour
    behaviour = Behaviour()
    app = create_app(pg_settings, plugins=[*discover_plugins(), IDEM])
    app.config["TESTING"] = True
    yield app
    behaviour.release.set()
    current_kernel(app).db.dispose()


MEMBER = {"email": "new@x.example", "display_name": "New", "role": "agent", "password": "x" * 12}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _members(app: Flask, tenant: TenantInfo) -> int:
    with current_kernel(app).db.transaction(tenant.tenant_id) as session:
        return int(session.scalar(select(func.count()).select_from(Member)) or 0)


# -- replay, mismatch, scope ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_a_retry_returns_the_first_answer_and_acts_once(backend: str, request: pytest.FixtureRequest) -> None:
    app: Flask = request.getfixturevalue("app" if backend == "postgres" else "sqlite_app")
    client = app.test_client()
    shop = signup(client)
    token = issue_token(client, shop)
    headers = {**bearer(token), **_key()}
    before = _members(app, shop)

    first = client.post("/api/v1/members", json=MEMBER, headers=headers)
    again = client.post("/api/v1/members", json=dict(reversed(list(MEMBER.items()))), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]  # the replay's own request id
    assert _members(app, shop) == before + 1


def test_the_same_key_with_another_body_answers_422(client: FlaskClient, tenant: TenantInfo, token: str) -> None:
    headers = {**bearer(token), **_key()}
    assert client.post("/api/v1/members", json=MEMBER, headers=headers).status_code == 201
    other = client.post("/api/v1/members", json={**MEMBER, "email": "other@x.example"}, headers=headers)
    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"
    assert other.get_json()["type"] == "https://ccokit.dev/problems/idempotency-key-reused"
    zh = client.post("/api/v1/members", json={**MEMBER, "email": "other@x.example"},
                     headers={**headers, "Accept-Language": "zh"})
    assert zh.get_json()["title"] == "该 Idempotency-Key 已用于另一个不同的请求"
    # ... and on another path too: a key names one request.
    assert client.post("/api/v1/clients", json={"name": "x"}, headers=headers).status_code == 422


def test_keys_of_two_tenants_never_meet(client: FlaskClient) -> None:
    a, b = signup(client), signup(client)
    key = _key()
    first_a = client.post("/api/v1/members", json=MEMBER, headers={**bearer(issue_token(client, a)), **key})
    first_b = client.post("/api/v1/members", json=MEMBER, headers={**bearer(issue_token(client, b)), **key})
    assert first_a.status_code == first_b.status_code == 201
    assert "Idempotent-Replayed" not in first_b.headers
    assert first_a.get_json()["id"] != first_b.get_json()["id"]


def test_the_draft_quoted_form_is_the_same_key(client: FlaskClient, token: str) -> None:
    key = str(uuid.uuid4())
    first = client.post("/api/v1/members", json=MEMBER, headers={**bearer(token), "Idempotency-Key": key})
    quoted = client.post("/api/v1/members", json=MEMBER, headers={**bearer(token), "Idempotency-Key": f'"{key}"'})
    assert quoted.headers.get("Idempotent-Replayed") == "true"
    assert quoted.get_json() == first.get_json()


@pytest.mark.parametrize("bad", ["", "   ", "x" * 256, "caf\u00e9"])
def test_a_malformed_key_answers_422_with_the_field(client: FlaskClient, token: str, bad: str) -> None:
    resp = client.post("/api/v1/members", json=MEMBER,
                       headers={**bearer(token), "Idempotency-Key": bad.encode().decode("latin-1")})
    assert resp.status_code == 422
    assert "Idempotency-Key" in resp.get_json()["errors"]


# -- failures are not saved ----------------------------------------------------------------------


def test_a_4xx_is_not_saved_so_the_corrected_state_can_succeed(client: FlaskClient, tenant: TenantInfo) -> None:
    headers = _key()
    narrow = issue_token(client, tenant, ["tenant:read"])
    refused = client.post("/api/v1/members", json=MEMBER, headers={**bearer(narrow), **headers})
    assert refused.status_code == 403
    full = issue_token(client, tenant)
    created = client.post("/api/v1/members", json=MEMBER, headers={**bearer(full), **headers})
    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created.headers


def test_a_5xx_is_not_saved_and_the_retry_runs(idem_app: Flask) -> None:
    client = idem_app.test_client()
    token = issue_token(client, signup(client))
    headers = {**bearer(token), **_key()}
    behaviour.failures_left = 1
    failed = client.post("/api/v1/idem/things", json={"name": "a"}, headers=headers)
    assert failed.status_code == 500
    retried = client.post("/api/v1/idem/things", json={"name": "a"}, headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    replayed = client.post("/api/v1/idem/things", json={"name": "a"}, headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.headers["Location"] == retried.headers["Location"] == "/things/2"
    assert replayed.get_json() == {"name": "a", "number": 2}
    assert behaviour.runs == 2


# -- concurrency -----------------------------------------------------------------------------------


def test_the_same_key_while_the_first_request_runs_answers_409(idem_app: Flask) -> None:
    client = idem_app.test_client()
    token = issue_token(client, signup(client))
    headers = {**bearer(token), **_key()}
    behaviour.release.clear()
    results: dict[str, Any] = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "first", idem_app.test_client().post("/api/v1/idem/things", json={"name": "a"}, headers=headers)))
    first.start()
    assert behaviour.entered.wait(timeout=30)
    busy = client.post("/api/v1/idem/things", json={"name": "a"}, headers=headers)
    behaviour.release.set()
    first.join(timeout=30)
    assert busy.status_code == 409
    assert busy.get_json()["type"] == "https://ccokit.dev/problems/idempotency-key-in-use"
    assert busy.headers["Retry-After"] == "1"
    assert results["first"].status_code == 201
    after = client.post("/api/v1/idem/things", json={"name": "a"}, headers=headers)
    assert after.headers["Idempotent-Replayed"] == "true"
    assert behaviour.runs == 1


def test_racing_retries_create_one_member(app: Flask) -> None:
    client = app.test_client()
    shop = signup(client)
    token = issue_token(client, shop)
    headers = {**bearer(token), **_key()}
    start = threading.Barrier(8)
    answers: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        own = app.test_client()
        start.wait()
        resp = own.post("/api/v1/members", json=MEMBER, headers=headers)
        with lock:
            answers.append(resp)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in answers)
    assert len(answers) == 8
    assert set(statuses) <= {201, 409}
    created = [r for r in answers if r.status_code == 201]
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert len({r.get_json()["id"] for r in created}) == 1
    assert _members(app, shop) == 2  # the owner and the one new member


def test_a_claim_whose_request_died_is_taken_over_after_its_lease(app: Flask, token: str, tenant: TenantInfo) -> None:
    client = app.test_client()
    kernel = current_kernel(app)
    key = str(uuid.uuid4())
    scope = KeyScope(tenant.tenant_id, tenant.client_id, key)
    body = b'{"email":"new@x.example","display_name":"New","role":"agent","password":"xxxxxxxxxxxx"}'
    claim_key(kernel.db, kernel.settings.secret_key, scope, fingerprint("POST", "/api/v1/members", body))
    assert client.post("/api/v1/members", json=MEMBER,
                       headers={**bearer(token), "Idempotency-Key": key}).status_code == 409
    with kernel.db.transaction(tenant.tenant_id) as session:
        session.execute(update(IdempotencyKey).values(locked_at=utcnow() - timedelta(minutes=5))
                        .execution_options(synchronize_session=False))
    taken = client.post("/api/v1/members", json=MEMBER, headers={**bearer(token), "Idempotency-Key": key})
    assert taken.status_code == 201


# -- storage ------------------------------------------------------------------------------------------


def test_a_saved_answer_keeps_a_new_clients_secret_encrypted(
    app: Flask, pg_settings: Settings, tenant: TenantInfo, token: str
) -> None:
    client = app.test_client()
    headers = {**bearer(token), **_key()}
    body = {"name": "Shop app", "scopes": ["tenant:read"], "role": "agent"}
    first = client.post("/api/v1/clients", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    secret = first.get_json()["client_secret"]
    replay = client.post("/api/v1/clients", json=body, headers=headers)
    assert replay.get_json()["client_secret"] == secret
    engine = make_engine(pg_settings.owner_database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT response_body FROM idempotency_keys WHERE key = :k"),
                                  {"k": headers["Idempotency-Key"]}).scalar_one()
    finally:
        engine.dispose()
    assert secret.encode() not in bytes(stored)
    assert first.get_json()["client_id"].encode() not in bytes(stored)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_expired_keys_are_purged_for_every_tenant(backend: str, request: pytest.FixtureRequest) -> None:
    app: Flask = request.getfixturevalue("app" if backend == "postgres" else "sqlite_app")
    client = app.test_client()
    kernel = current_kernel(app)
    shops = [signup(client), signup(client)]
    for shop in shops:
        token = issue_token(client, shop)
        for _ in range(2):
            resp = client.post("/api/v1/members", json={**MEMBER, "email": f"{uuid.uuid4().hex}@x.example"},
                               headers={**bearer(token), **_key()})
            assert resp.status_code == 201
        with kernel.db.transaction(shop.tenant_id) as session:  # one key of each shop is a day old
            oldest = session.scalars(select(IdempotencyKey).limit(1)).one()
            oldest.expires_at = utcnow() - timedelta(seconds=1)
    purged = 0
    while batch := purge_expired_keys(kernel.db, batch=1):
        purged += batch
    assert purged >= 2  # (other tests' expired keys may go too)
    for shop in shops:
        with kernel.db.transaction(shop.tenant_id) as session:
            assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_openapi_documents_the_header_on_authenticated_posts(idem_app: Flask) -> None:
    spec = idem_app.test_client().get("/api/openapi.json").get_json()
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path in ("/api/v1/members", "/api/v1/clients", "/api/v1/idem/things", "/api/v1/quick_replies/replies"):
        assert ref in spec["paths"][path]["post"]["parameters"], path
    assert ref not in spec["paths"]["/api/v1/signup"]["post"].get("parameters", [])
    assert spec["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
