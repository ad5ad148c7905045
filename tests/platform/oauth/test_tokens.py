"""Access-token verification and the signing key ring.

Verification is what every API request runs, so it is tested against forged, expired, retyped
and revoked tokens, and for its cost: no key read from the database once warm, one query for
revocation. The key ring is tested on a database of its own, where pods can race for the first
key and rotate it without disturbing the other tests' keys.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import event, func, select

from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit.platform.migrate import migrate
from ccokit.platform.oauth.keys import MIN_REFRESH_INTERVAL, SigningKeys
from ccokit.platform.oauth.models import OAuthSigningKey
from ccokit.platform.oauth.tokens import InvalidAccessToken, revoke, signing_keys, verify_access_token
from ccokit.tenants.database import Database
from tests.conftest import PG_ADMIN, PG_HOST, PG_PORT, TEST_SECRET, TenantInfo


def _verify(app: Flask, token: str) -> dict[str, Any]:
    with app.app_context():
        session = current_kernel(app).db.session()
        try:
            return verify_access_token(token, session).claims
        finally:
            session.close()


def _sign(app: Flask, claims: dict[str, Any], **header: Any) -> str:
    with app.app_context():
        key = signing_keys().signing_key()
        return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **header}, claims, key)


def test_a_valid_token_verifies_and_scopes_the_session(app: Flask, token: str, tenant: TenantInfo) -> None:
    with app.app_context():
        session = current_kernel(app).db.session()
        try:
            claims = verify_access_token(token, session).claims
            assert session.tenant_id == tenant.tenant_id
        finally:
            session.close()
    assert claims["tenant_id"] == str(tenant.tenant_id)
    assert claims["iss"] == current_kernel(app).settings.base_url


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "https://evil.example"},
        {"aud": "https://evil.example/api"},
        {"exp": -3600, "iat": -4000},
        {"iat": 3600},
        {"tenant_id": "not-a-uuid"},
        {"jti": "not-a-uuid"},
        {"client_id": "someone"},
        {"tenant_id": None},
        {"role": None},
    ],
)
def test_tokens_with_wrong_claims_are_refused(app: Flask, token: str, change: dict[str, Any]) -> None:
    claims = dict(_verify(app, token))
    now = int(time.time())
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        elif name in ("exp", "iat"):
            claims[name] = now + value
        else:
            claims[name] = value
    with pytest.raises(InvalidAccessToken):
        _verify(app, _sign(app, claims))


def test_forged_or_retyped_tokens_are_refused(app: Flask, token: str) -> None:
    claims = _verify(app, token)
    with app.app_context():
        kid = signing_keys().signing_key().kid
    stranger = RSAKey.generate_key(2048, private=True)
    forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims, stranger)
    header, payload, signature = token.split(".")
    candidates = [
        forged,
        _sign(app, claims, typ="JWT"),  # an ID token or other JWT is not an access token
        _sign(app, claims, kid="unknown-kid"),
        f"{header}.{payload}.{signature[::-1]}",
        f"eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.{payload}.",  # alg none
        "", "a.b.c", "not a token", "x" * 10000,
    ]
    for value in candidates:
        with pytest.raises(InvalidAccessToken):
            _verify(app, value)


def test_verifying_reads_no_key_and_checks_revocations_against_the_configuration_version(
    app: Flask, token: str
) -> None:
    _verify(app, token)  # warm the key cache and the tenant's cached revocations
    statements: list[str] = []
    engine = current_kernel(app).db.engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            _verify(app, token)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in statements if "oauth_signing_keys" in s]
    assert not [s for s in statements if "oauth_revoked_tokens" in s]
    assert len([s for s in statements if "config_version" in s]) == 3  # one read per verification


def test_a_verified_token_is_not_decoded_again_until_the_key_ring_changes(
    app: Flask, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _verify(app, token)
    decodes: list[str] = []
    real_decode = jwt.decode

    def counting_decode(value: str, *args: Any, **kwargs: Any) -> Any:
        decodes.append(value)
        return real_decode(value, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert _verify(app, token) == first
    assert decodes == []
    # A reloaded or rotated ring is a new KeySet object: the token is checked against it.
    real_keys = SigningKeys.verification_keys
    monkeypatch.setattr(SigningKeys, "verification_keys", lambda self: KeySet(list(real_keys(self).keys)))
    assert _verify(app, token) == first
    assert decodes == [token]


def test_a_verified_token_is_refused_once_it_expires(
    app: Flask, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = _verify(app, token)
    later = claims["exp"] + 60
    monkeypatch.setattr(time, "time", lambda: float(later))
    with pytest.raises(InvalidAccessToken, match="expired"):
        _verify(app, token)


def test_a_revoked_token_or_client_is_refused(app: Flask, token: str, tenant: TenantInfo) -> None:
    claims = _verify(app, token)
    with app.app_context():
        session = current_kernel(app).db.session(tenant.tenant_id)
        try:
            revoke(session, {uuid.UUID(claims["jti"]): datetime.now(UTC) + timedelta(minutes=10)})
            session.commit()
        finally:
            session.close()
    with pytest.raises(InvalidAccessToken):
        _verify(app, token)


# -- the key ring, on a database of its own ------------------------------------------------------
def _admin(statement: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def key_db(pg_settings: Settings) -> Iterator[Database]:
    name = f"ccokit_keys_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        migrate(pg_settings.with_overrides(database_url=url, migration_database_url=None))
        db = Database(url)
        yield db
        db.dispose()
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _rows(db: Database) -> list[OAuthSigningKey]:
    with db.transaction() as session:
        return list(session.scalars(select(OAuthSigningKey).order_by(OAuthSigningKey.generation)))


def test_pods_racing_for_the_first_key_all_use_one_key(key_db: Database) -> None:
    pods = [SigningKeys(key_db, TEST_SECRET, 900) for _ in range(8)]
    start = threading.Barrier(len(pods))
    kids: list[str] = []

    def first_use(pod: SigningKeys) -> None:
        start.wait()
        kids.append(str(pod.signing_key().kid))

    threads = [threading.Thread(target=first_use, args=(pod,)) for pod in pods]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = _rows(key_db)
    assert len(rows) == 1
    assert set(kids) == {rows[0].kid}
    assert rows[0].private_key.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert "d" not in rows[0].public_jwk  # the public JWK holds no private part


def test_rotation_keeps_old_tokens_verifiable_and_other_pods_catch_up(key_db: Database) -> None:
    now = [1000.0]
    pod_a = SigningKeys(key_db, TEST_SECRET, 900)
    pod_b = SigningKeys(key_db, TEST_SECRET, 900, clock=lambda: now[0])
    old_kid = pod_a.signing_key().kid
    assert {k.kid for k in pod_b.verification_keys().keys} == {old_kid}
    new_kid = pod_a.rotate()
    assert pod_a.signing_key().kid == new_kid != old_kid
    assert {k["kid"] for k in pod_a.public_jwks()["keys"]} == {old_kid, new_kid}
    # pod_b still has the old ring cached; a token with the new kid makes it reload, but
    # made-up kids cannot make it read the database more than once per interval.
    assert new_kid not in {k.kid for k in pod_b.verification_keys().keys}
    assert pod_b.refresh_for_unknown_kid() is False
    now[0] += MIN_REFRESH_INTERVAL
    assert pod_b.refresh_for_unknown_kid() is True
    assert {k.kid for k in pod_b.verification_keys().keys} == {old_kid, new_kid}
    assert pod_b.refresh_for_unknown_kid() is False
    with key_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OAuthSigningKey)) == 2


def test_a_changed_secret_key_replaces_the_unreadable_key(key_db: Database) -> None:
    old_kid = SigningKeys(key_db, TEST_SECRET, 900).signing_key().kid
    other = SigningKeys(key_db, "another-secret-key-0123456789-abcdefghijkl", 900)
    new_kid = other.signing_key().kid
    assert new_kid != old_kid
    assert {k["kid"] for k in other.public_jwks()["keys"]} == {old_kid, new_kid}
    rows = _rows(key_db)
    assert [r.retired_at is None for r in rows] == [False, True]
