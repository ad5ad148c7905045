"""Credential guessing is throttled per client IP at the token endpoint and the sign-in form."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from flask import Flask

from ccokit.platform.app import create_app
from ccokit.platform.config import Settings
from ccokit.platform.kernel import current_kernel


@pytest.fixture
def strict_app(sqlite_settings: Settings) -> Iterator[Flask]:
    app = create_app(sqlite_settings.with_overrides(token_rate_limit="2 per minute", signin_rate_limit="2 per minute"))
    yield app
    current_kernel(app).db.dispose()


def test_token_endpoint_answers_429_past_its_limit(strict_app: Flask) -> None:
    client = strict_app.test_client()
    basic = {"Authorization": "Basic " + base64.b64encode(b"cli_nobody:wrong").decode()}
    statuses = [
        client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic).status_code
        for _ in range(3)
    ]
    assert statuses[:2] == [401, 401]
    assert statuses[2] == 429
    last = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic)
    assert last.mimetype == "application/problem+json"
    assert int(last.headers["Retry-After"]) > 0


def test_sign_in_posts_are_limited_but_the_page_still_loads(strict_app: Flask) -> None:
    client = strict_app.test_client()
    statuses = [client.post("/oauth/authorize", data={}).status_code for _ in range(3)]
    assert statuses[2] == 429
    assert client.get("/oauth/authorize").status_code != 429
