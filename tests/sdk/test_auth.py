"""Client credentials: one token request for many calls, renewal before expiry and after a 401."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask.testing import FlaskClient

from ccokit_sdk import AuthenticationError, Client
from ccokit_sdk.auth import ClientCredentials
from tests.conftest import TenantInfo, issue_token
from tests.sdk.conftest import Recorder

TOKEN = "/oauth/token"


def _client(recorder: Recorder, tenant: TenantInfo, **kwargs: object) -> Client:
    return Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                  transport=httpx.WSGITransport(app=recorder), **kwargs)  # type: ignore[arg-type]


def test_one_token_serves_many_calls_and_many_threads(recorder: Recorder, tenant: TenantInfo) -> None:
    with _client(recorder, tenant) as sdk:
        sdk.tenant.get()
        with ThreadPoolExecutor(8) as pool:
            slugs = list(pool.map(lambda _: sdk.tenant.get().slug, range(16)))
    assert set(slugs) == {tenant.slug}
    token_requests = recorder.requests("POST", TOKEN)
    assert len(token_requests) == 1
    assert token_requests[0].headers["authorization"].startswith("Basic ")
    assert len({s.headers["authorization"] for s in recorder.requests("GET", "/api/v1/tenant")}) == 1


def test_threads_starting_cold_still_ask_for_one_token(recorder: Recorder, tenant: TenantInfo) -> None:
    with _client(recorder, tenant) as sdk, ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: sdk.tenant.get(), range(8)))
    assert len(recorder.requests("POST", TOKEN)) == 1


def test_a_revoked_token_is_renewed_once_within_the_call(
    recorder: Recorder, tenant: TenantInfo, client: FlaskClient
) -> None:
    with _client(recorder, tenant) as sdk:
        sdk.tenant.get()
        token = recorder.requests("GET", "/api/v1/tenant")[0].headers["authorization"].removeprefix("Bearer ")
        basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
        revoked = client.post("/oauth/revoke", data={"token": token}, headers={"Authorization": f"Basic {basic}"})
        assert revoked.status_code == 200
        assert sdk.tenant.get().slug == tenant.slug
    calls = recorder.requests("GET", "/api/v1/tenant")
    assert [c.status for c in calls] == [200, 401, 200]
    assert calls[1].headers["authorization"] != calls[2].headers["authorization"]
    assert len(recorder.requests("POST", TOKEN)) == 2


def test_a_fixed_access_token_is_not_renewed(
    recorder: Recorder, tenant: TenantInfo, client: FlaskClient
) -> None:
    token = issue_token(client, tenant)
    with Client("http://localhost", access_token=token, transport=httpx.WSGITransport(app=recorder)) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    with Client("http://localhost", access_token="not-a-token",
                transport=httpx.WSGITransport(app=recorder)) as sdk, pytest.raises(AuthenticationError) as refused:
        sdk.tenant.get()
    assert refused.value.status == 401
    assert refused.value.code == "invalid-token"
    assert "invalid_token" in refused.value.headers["www-authenticate"]
    assert not recorder.requests("POST", TOKEN)
    assert len(recorder.requests("GET", "/api/v1/tenant")) == 2


def test_a_wrong_secret_or_scope_is_an_authentication_error(recorder: Recorder, tenant: TenantInfo) -> None:
    with Client("http://localhost", client_id=tenant.client_id, client_secret="wrong",
                transport=httpx.WSGITransport(app=recorder)) as sdk, pytest.raises(AuthenticationError) as refused:
        sdk.tenant.get()
    assert refused.value.status == 401
    assert refused.value.title == "invalid_client"
    with _client(recorder, tenant, scopes=["no_such:scope"]) as sdk, pytest.raises(AuthenticationError) as scope:
        sdk.tenant.get()
    assert scope.value.status == 400
    assert scope.value.title == "invalid_scope"
    assert not recorder.requests("GET", "/api/v1/tenant")  # no API call without a token


def test_scopes_and_token_url_reach_the_token_endpoint(recorder: Recorder, tenant: TenantInfo) -> None:
    with _client(recorder, tenant, scopes=["tenant:read", "members:read"],
                 token_url="http://localhost/oauth/token") as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    assert len(recorder.requests("POST", TOKEN)) == 1


def test_the_cached_token_is_renewed_before_it_expires() -> None:
    creds = ClientCredentials("http://x/oauth/token", "cli_1", "s3cret")
    assert creds.cached(0.0) is None
    creds.store({"access_token": "first", "expires_in": 900}, now=1000.0)
    assert creds.cached(1000.0 + 839) == "first"
    assert creds.cached(1000.0 + 841) is None  # a minute early
    creds.store({"access_token": "short", "expires_in": 60}, now=0.0)
    assert creds.cached(44.0) == "short"
    assert creds.cached(46.0) is None
    creds.forget("another")
    assert creds.cached(1.0) == "short"
    creds.forget("short")
    assert creds.cached(1.0) is None


def test_the_client_id_and_secret_are_form_encoded_in_basic_auth() -> None:
    ask = ClientCredentials("http://x/oauth/token", "cli_1", "a:b%c", ["tenant:read"]).token_request()
    decoded = base64.b64decode(ask.headers["Authorization"].removeprefix("Basic ")).decode()
    assert decoded == "cli_1:a%3Ab%25c"
    assert ask.form == {"grant_type": "client_credentials", "scope": "tenant:read"}
    assert "s3cret" not in repr(ClientCredentials("http://x", "cli_1", "s3cret"))


def test_the_constructor_refuses_unclear_credentials() -> None:
    with pytest.raises(ValueError, match="client_id and client_secret"):
        Client("http://localhost")
    with pytest.raises(ValueError, match="not both"):
        Client("http://localhost", access_token="t", client_id="c", client_secret="s")
    with pytest.raises(ValueError, match="both be given"):
        Client("http://localhost", client_id="c")
    with pytest.raises(ValueError, match="base_url"):
        Client("localhost:8000", access_token="t")
    with pytest.raises(TypeError, match="list of scope names"):
        Client("http://localhost", client_id="c", client_secret="s", scopes="tenant:read")
