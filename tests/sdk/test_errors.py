"""The exception tree: every error status becomes one class carrying the problem document."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel
from ccokit_sdk import (
    APIError,
    CcokitError,
    Client,
    Conflict,
    NotFound,
    RateLimited,
    ServerError,
    ValidationError,
)
from tests.conftest import PASSWORD, TenantInfo, signup
from tests.sdk.conftest import FAST_RETRIES, Fault, Loopback, Recorder


@pytest.fixture
def limited_app(pg_settings: Settings) -> Iterator[Flask]:
    app = create_app(pg_settings.with_overrides(tenant_rate_limit="3 per hour"))
    app.config["TESTING"] = True
    yield app
    current_kernel(app).db.dispose()


def test_the_tenants_rate_limit_is_rate_limited_with_retry_after(limited_app: Flask) -> None:
    tenant = signup(limited_app.test_client())
    with Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                transport=httpx.WSGITransport(app=limited_app)) as sdk:
        for _ in range(3):
            sdk.tenant.get()
        with pytest.raises(RateLimited) as limited:
            sdk.tenant.get()  # Retry-After is far beyond max_retry_after: raised without waiting
    error = limited.value
    assert error.status == 429
    assert error.code == "too-many-requests"
    assert error.retry_after is not None
    assert error.retry_after > 60
    assert error.headers["ratelimit-remaining"] == "0"
    assert isinstance(error, APIError)
    assert isinstance(error, CcokitError)


def test_a_problem_is_read_member_by_member(sdk: Client) -> None:
    with pytest.raises(NotFound) as missing:
        sdk.members.get("mem_01J00000000000000000000000")
    error = missing.value
    assert error.status == 404
    assert error.type == "https://ccokit.dev/problems/not-found"
    assert error.code == "not-found"
    assert error.title == "Not found"
    assert error.request_id
    assert error.request_id == error.headers["x-request-id"]
    assert error.body["instance"] == "/api/v1/members/mem_01J00000000000000000000000"
    assert error.errors == {}
    assert str(error).startswith("404 Not found")
    assert error.request_id in str(error)


def test_a_malformed_id_is_not_found_and_bad_input_is_a_validation_error(sdk: Client) -> None:
    with pytest.raises(NotFound):
        sdk.members.get("not-an-id")  # like an unknown id: nothing to tell apart
    with pytest.raises(ValidationError) as invalid:
        sdk.members.list(limit=1000).first_page()
    assert invalid.value.status == 422
    assert "limit" in invalid.value.errors


def test_titles_come_in_the_clients_language(recorder: Recorder, tenant: TenantInfo) -> None:
    with Client("http://localhost", client_id=tenant.client_id, client_secret=tenant.client_secret,
                locale="zh", transport=httpx.WSGITransport(app=recorder)) as sdk:
        sdk.members.create(email="x@shop.example", display_name="X", role="agent", password=PASSWORD)
        with pytest.raises(Conflict) as conflict:
            sdk.members.create(email="x@shop.example", display_name="X", role="agent", password=PASSWORD,
                               idempotency_key="second-attempt")
    assert conflict.value.code == "email-taken"
    assert conflict.value.title
    assert not conflict.value.title.isascii()


def test_an_answer_that_is_not_a_problem_still_becomes_an_error(flaky: Loopback, tenant: TenantInfo) -> None:
    page = b"<html><body>502 Bad Gateway</body></html>"
    flaky.recorder.fail(Fault("GET", "/api/v1/tenant", times=5, status=502, body=page))
    with Client(flaky.url, client_id=tenant.client_id, client_secret=tenant.client_secret,
                retry=FAST_RETRIES) as sdk, pytest.raises(ServerError) as failed:
        sdk.tenant.get()
    assert failed.value.status == 502
    assert failed.value.body == page.decode()
    assert failed.value.type is None
    assert failed.value.code is None


def test_a_success_that_is_not_json_is_an_api_error(flaky: Loopback, tenant: TenantInfo) -> None:
    flaky.recorder.fail(Fault("GET", "/api/v1/tenant", times=1, status=200, body=b"<html>welcome</html>"))
    with Client(flaky.url, client_id=tenant.client_id, client_secret=tenant.client_secret,
                retry=FAST_RETRIES) as sdk, pytest.raises(APIError) as failed:
        sdk.tenant.get()
    assert "not JSON" in (failed.value.detail or "")


def test_the_tree() -> None:
    from ccokit_sdk import errors

    for cls in (errors.BadRequest, errors.AuthenticationError, errors.PermissionDenied, errors.NotFound,
                errors.Conflict, errors.ValidationError, errors.RateLimited, errors.ServerError):
        assert issubclass(cls, errors.APIError)
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert issubclass(errors.APIConnectionError, errors.CcokitError)
    assert not issubclass(errors.APIConnectionError, errors.APIError)
    assert issubclass(errors.WebhookVerificationError, errors.CcokitError)
