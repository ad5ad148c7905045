"""Retries against a real HTTP server on loopback that fails chosen requests, then serves the app.

Every POST carries one ``Idempotency-Key`` across its tries, so a retry of a request whose answer
was lost is answered from the server's record instead of acting twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ccokit_sdk import (
    APIConnectionError,
    APITimeoutError,
    BadRequest,
    Client,
    Conflict,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from ccokit_sdk.retries import parse_retry_after
from tests.conftest import PASSWORD, TenantInfo
from tests.sdk.conftest import FAST_RETRIES, Fault, Loopback, free_port

MEMBERS = "/api/v1/members"
TENANT = "/api/v1/tenant"


def _client(flaky: Loopback, tenant: TenantInfo, retry: RetryPolicy = FAST_RETRIES, **kwargs: object) -> Client:
    return Client(flaky.url, client_id=tenant.client_id, client_secret=tenant.client_secret, retry=retry,
                  **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_retryable_status_is_tried_again_until_it_succeeds(
    flaky: Loopback, tenant: TenantInfo, status: int
) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=2, status=status))
    with _client(flaky, tenant) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    assert [s.status for s in flaky.recorder.requests("GET", TENANT)] == [status, status, 200]


def test_a_conflict_is_tried_again_only_when_it_says_when(flaky: Loopback, tenant: TenantInfo) -> None:
    """An Idempotency-Key still in use by the first try answers 409 with Retry-After: tried again.
    Any other 409 (a taken email, an offer gone to someone else) is final: raised at once."""
    flaky.recorder.fail(Fault("GET", TENANT, times=2, status=409, headers={"Retry-After": "0"}))
    with _client(flaky, tenant) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    assert [s.status for s in flaky.recorder.requests("GET", TENANT)] == [409, 409, 200]
    flaky.recorder.fail(Fault("GET", MEMBERS, times=1, status=409))
    with _client(flaky, tenant) as sdk, pytest.raises(Conflict):
        list(sdk.members.list())
    assert [s.status for s in flaky.recorder.requests("GET", MEMBERS)] == [409]


def test_retries_stop_after_max_retries_with_the_last_error(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=10, status=503))
    with _client(flaky, tenant, max_retries=3) as sdk, pytest.raises(ServerError) as failed:
        sdk.tenant.get()
    assert failed.value.status == 503
    assert len(flaky.recorder.requests("GET", TENANT)) == 4  # the call and three retries


def test_max_retries_zero_tries_once(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=1, status=502))
    with _client(flaky, tenant, max_retries=0) as sdk, pytest.raises(ServerError):
        sdk.tenant.get()
    assert len(flaky.recorder.requests("GET", TENANT)) == 1


def test_other_errors_are_not_retried(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=1, status=400))
    with _client(flaky, tenant) as sdk, pytest.raises(BadRequest):
        sdk.tenant.get()
    assert len(flaky.recorder.requests("GET", TENANT)) == 1


def test_a_dropped_connection_is_retried(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=2, drop=True))
    with _client(flaky, tenant) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    assert len(flaky.recorder.requests("GET", TENANT)) == 3


def test_a_connection_that_keeps_dropping_raises_a_connection_error(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=5, drop=True))
    with _client(flaky, tenant) as sdk, pytest.raises(APIConnectionError) as failed:
        sdk.tenant.get()
    assert not isinstance(failed.value, APITimeoutError)
    assert failed.value.method == "GET"
    assert failed.value.url == f"{flaky.url}{TENANT}"
    assert type(failed.value.__cause__).__module__.startswith("httpx")  # kept as the cause, not raised
    assert len(flaky.recorder.requests("GET", TENANT)) == 3


def test_a_refused_connection_is_an_api_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, access_token="t", retry=FAST_RETRIES) as sdk, pytest.raises(APIConnectionError) as failed:
        sdk.tenant.get()
    assert "connection failed" in str(failed.value)


def test_a_slow_answer_is_a_timeout(flaky: Loopback, tenant: TenantInfo) -> None:
    with _client(flaky, tenant, max_retries=0) as sdk:
        sdk.tenant.get()  # the token is fetched before the fault
        flaky.recorder.fail(Fault("GET", TENANT, times=1, delay=2.0))
        with Client(flaky.url, access_token=flaky.recorder.seen[-1].headers["authorization"][7:],
                    timeout=0.2, max_retries=0) as impatient, pytest.raises(APITimeoutError):
            impatient.tenant.get()


def test_a_lost_answer_to_a_post_is_replayed_not_repeated(flaky: Loopback, tenant: TenantInfo) -> None:
    # The app creates the member, but the answer is replaced by a 502 on the way back.
    flaky.recorder.fail(Fault("POST", MEMBERS, times=1, status=502, after_app=True))
    with _client(flaky, tenant) as sdk:
        member = sdk.members.create(email="once@shop.example", display_name="Once", role="agent",
                                    password=PASSWORD)
        emails = [m.email for m in sdk.members.list()]
    assert emails.count("once@shop.example") == 1
    tries = flaky.recorder.requests("POST", MEMBERS)
    assert [t.status for t in tries] == [502, 201]
    keys = {t.headers["idempotency-key"] for t in tries}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 4
    assert tries[1].response_headers.get("idempotent-replayed") == "true"
    assert member.email == "once@shop.example"


def test_each_call_gets_its_own_key_and_a_given_key_is_used(flaky: Loopback, tenant: TenantInfo) -> None:
    with _client(flaky, tenant) as sdk:
        sdk.members.create(email="a@shop.example", display_name="A", role="agent", password=PASSWORD)
        sdk.members.create(email="b@shop.example", display_name="B", role="agent", password=PASSWORD)
        sdk.members.create(email="c@shop.example", display_name="C", role="agent", password=PASSWORD,
                           idempotency_key="order-42-agent")
        again = sdk.members.create(email="c@shop.example", display_name="C", role="agent", password=PASSWORD,
                                   idempotency_key="order-42-agent")
    tries = flaky.recorder.requests("POST", MEMBERS)
    keys = [t.headers["idempotency-key"] for t in tries]
    assert len(set(keys[:2])) == 2
    assert keys[2:] == ["order-42-agent", "order-42-agent"]
    assert tries[3].response_headers.get("idempotent-replayed") == "true"
    assert again.email == "c@shop.example"
    assert all("idempotency-key" not in s.headers for s in flaky.recorder.requests("GET"))


def test_retry_after_is_honoured_and_too_long_a_wait_raises_at_once(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", TENANT, times=2, status=429, headers={"Retry-After": "0"}))
    with _client(flaky, tenant) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
        assert len(flaky.recorder.requests("GET", TENANT)) == 3
        flaky.recorder.fail(Fault("GET", TENANT, times=1, status=429, headers={"Retry-After": "3600"}))
        with pytest.raises(RateLimited) as limited:
            sdk.tenant.get()
    assert limited.value.retry_after == 3600
    assert len(flaky.recorder.requests("GET", TENANT)) == 4  # no retry: an hour is longer than allowed


def test_the_token_request_is_retried_too(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("POST", "/oauth/token", times=2, status=503))
    with _client(flaky, tenant) as sdk:
        assert sdk.tenant.get().slug == tenant.slug
    assert [s.status for s in flaky.recorder.requests("POST", "/oauth/token")] == [503, 503, 200]


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(max_retries=10, initial_delay=0.5, max_delay=4.0)
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (8, 4.0)]:
        delays = {policy.backoff(retry) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Tue, 01 Jan 2030 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Tue, 01 Jan 2030 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay_for(0, {"retry-after": "61"}) is None
    assert policy.delay_for(0, {"retry-after": "3"}) == 3
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert policy.delay_for(0, {"retry-after": later}) is None
