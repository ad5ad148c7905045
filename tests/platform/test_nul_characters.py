"""NUL (U+0000) in API input is a 422 naming the field, on every route and both databases."""

from __future__ import annotations

from flask import Flask

from tests.conftest import bearer, issue_token, signup

TICKETS = "/api/v1/ticketing/tickets"


def test_nul_in_a_body_or_a_query_is_refused_with_the_fields_named(any_app: Flask) -> None:
    client = any_app.test_client()
    tenant = signup(client)
    auth = bearer(issue_token(client, tenant))
    resp = client.post(TICKETS, headers=auth, json={
        "subject": "ok", "description": "bad\x00", "tags": ["fine", "b\x00d"],
        "requester": {"name": "N\x00"}, "custom_fields": {"k\x00": "v"},
    })
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert set(errors) == {"description", "tags", "requester", "custom_fields"}
    assert set(errors["tags"]) == {"1"}
    assert set(errors["requester"]) == {"name"}
    assert set(errors["custom_fields"]) == {"k\\u0000"}
    assert "NUL" in errors["description"][0]
    assert client.get(f"{TICKETS}?limit=5", headers=auth).get_json()["items"] == []  # nothing written

    resp = client.get(f"{TICKETS}?tag=a%00b", headers={**auth, "Accept-Language": "zh"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"tag": ["文本不能包含 NUL 字符（U+0000）。"]}


def test_a_backslash_and_u0000_as_text_are_just_text(any_app: Flask) -> None:
    client = any_app.test_client()
    tenant = signup(client)
    auth = bearer(issue_token(client, tenant))
    resp = client.post(TICKETS, headers=auth, json={"subject": "C string ends at \\u0000"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["subject"] == "C string ends at \\u0000"
