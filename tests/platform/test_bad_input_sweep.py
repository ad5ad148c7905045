"""The bad-input sweep: every operation, fed malformed input, answers problem+json and never 500.

Like the cross-tenant sweep, it reads the OpenAPI document, so a route added by the platform or
any plugin joins it without anyone editing this file. For every operation under ``/api/`` it
sends, with a token holding every scope:

- path parameters that name nothing (a well-formed id of no object, garbage, a very long string);
- on one of tenant A's real objects (found as the cross-tenant sweep finds them), query
  parameters of the wrong type or out of range, and JSON bodies that are not objects, that give
  one property a value of the wrong type, an unknown enum value, a number beyond any column, a
  too-long string or deep garbage, that are not JSON at all, or that are not JSON by type;

and requires each answer to be below 500 and, when it refuses (4xx), ``application/problem+json``
with the same ``status``. A request that happens to be valid may succeed; what matters is that
nothing a client sends gets a 500. Operations that take no input at all are left out: there is
nothing to get wrong, and running them (disable a plugin, rotate a secret) would change the
workspace under the sweep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import bearer, issue_token, signup
from tests.platform.test_cross_tenant_sweep import NOT_OBJECTS, PARAM, _populate

#: Path values that name no object: well-formed ids of nothing, garbage, a very long segment.
MISSING_IDS = ("zzz_01J00000000000000000000000", "not-an-id", "%E5%95%8A", "a%00b", "x" * 400)
#: A JSON text that stops halfway.
BROKEN_JSON = b'{"subject": "half'


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref`` (and a lone ``allOf``) followed into ``components``."""
    for _ in range(10):
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif len(schema.get("allOf", ())) == 1:
            schema = schema["allOf"][0]
        else:
            break
    return schema


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _bad_values(schema: dict[str, Any]) -> list[Any]:
    """Values a field of ``schema`` must refuse (or, for a free-form field, may take harmlessly)."""
    kind = _kind(schema)
    values: list[Any] = []
    if schema.get("enum"):
        values.append("no_such_value_at_all")
    if kind == "string":
        values += [12345, ["a", "b"], {"deep": {"er": [1]}}, "界" * 20_000, "nul\x00inside"]
        if schema.get("format") in ("date-time", "date"):
            values += ["not-a-date", "2026-13-45T99:99:99Z"]
    elif kind in ("integer", "number"):
        values += ["abc", 10**30, -(10**30), 1.5e308, True]
    elif kind == "boolean":
        values += ["maybe", 2]
    elif kind == "array":
        values += ["abc", {"a": 1}, [None, [], {}], ["界" * 5000] * 200, ["nul\x00inside"]]
    elif kind == "object":
        values += ["abc", [1, 2], {"a": {"b": {"c": [None] * 50}}}, {"nul\x00key": "nul\x00value"}]
    else:
        values += [None, ["x"], "x" * 20_000]
    return values


def _bad_query_values(schema: dict[str, Any]) -> list[str]:
    kind = _kind(schema) or _kind(schema.get("items", {}))
    values = ["", "\x00", "界" * 3000]
    if kind in ("integer", "number"):
        values += ["abc", "1e999", "-99999999999999999999999999", "1.5"]
    if kind == "boolean":
        values += ["maybe"]
    if schema.get("format") == "date-time":
        values += ["2026-13-45T99:99:99Z", "yesterday"]
    return values


def _bodies(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[tuple[str, bytes, str]]:
    """``(label, data, content type)`` of every malformed body for ``operation``."""
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return
    yield "not JSON by type", b"subject=x", "text/plain"
    yield "broken JSON", BROKEN_JSON, "application/json"
    for top in ([], "text", 7):
        yield f"JSON {type(top).__name__}", json.dumps(top).encode(), "application/json"
    schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
    for name, prop in (schema.get("properties") or {}).items():
        prop = _resolve(spec, prop)
        if prop.get("readOnly"):
            continue
        for value in _bad_values(prop):
            label = f"{name}={json.dumps(value)[:40]}"
            yield label, json.dumps({name: value}).encode(), "application/json"


def _object_id(client: FlaskClient, headers: dict[str, str], path: str, param: str) -> str | None:
    """One of tenant A's objects under ``path``'s collection, if the collection lists any."""
    collection = path[: path.index("{" + param + "}")].rstrip("/")
    if PARAM.search(collection):
        return None
    resp = client.get(collection, headers=headers)
    items = (resp.get_json(silent=True) or {}).get("items") if resp.status_code == 200 else None
    if not items:
        return None
    key = "client_id" if param == "client_id" else "id"
    return str(items[-1].get(key)) if items[-1].get(key) else None


def _requests(client: FlaskClient, headers: dict[str, str], spec: dict[str, Any]
              ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(method, url, request keywords)`` of every malformed request of the document."""
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        params = PARAM.findall(path)
        real: dict[str, str] = {}
        for param in params:
            prefix = path[: path.index("{" + param + "}") + len(param) + 2]
            found = None if (prefix, param) in NOT_OBJECTS else _object_id(client, headers, path, param)
            if found is None:
                break
            real[param] = found
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            query = [p for p in operation.get("parameters", []) + item.get("parameters", []) if p.get("in") == "query"]
            bodies = list(_bodies(spec, operation))
            if not params and not query and not bodies:
                continue  # nothing a client can get wrong
            for missing in MISSING_IDS if params else ():
                yield method, PARAM.sub(lambda _m, missing=missing: missing, path), {}
            if len(real) != len(params):
                continue  # no object of A to aim the bad queries and bodies at
            url = PARAM.sub(lambda m, real=real: real[m.group(1)], path)
            for parameter in query:
                for value in _bad_query_values(_resolve(spec, parameter.get("schema", {}))):
                    yield method, url, {"query_string": {parameter["name"]: value}}
            for _label, data, content_type in bodies:
                yield method, url, {"data": data, "content_type": content_type}


def _check(client: FlaskClient, headers: dict[str, str], method: str, url: str, kwargs: dict[str, Any]) -> str | None:
    """What is wrong with the answer to one malformed request, or ``None``."""
    try:
        resp = client.open(url, method=method.upper(), headers=headers, **kwargs)
    except Exception as exc:  # an exception escaping the app is the finding
        return f"{method.upper()} {url[:120]} {str(kwargs)[:160]}: raised {exc!r}"[:600]
    if resp.status_code >= 500:
        return f"{method.upper()} {url[:120]} {str(kwargs)[:160]}: {resp.status_code} {resp.get_data(as_text=True)[:200]}"
    if resp.status_code >= 400:
        body = resp.get_json(silent=True) or {}
        if resp.mimetype != "application/problem+json" or body.get("status") != resp.status_code:
            return f"{method.upper()} {url[:120]} {str(kwargs)[:160]}: {resp.status_code} {resp.mimetype}"
    return None


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_no_malformed_request_gets_a_500(backend: str, request: pytest.FixtureRequest) -> None:
    app: Flask = request.getfixturevalue("app" if backend == "postgres" else "sqlite_app")
    client = app.test_client()
    tenant = signup(client)
    token = issue_token(client, tenant)
    _populate(client, token)
    headers = bearer(token)
    spec = client.get("/api/openapi.json").get_json()
    failures, sent, operations = [], 0, set()
    for method, url, kwargs in list(_requests(client, headers, spec)):
        sent += 1
        operations.add((method, url.split("?")[0]))
        failure = _check(client, headers, method, url, kwargs)
        if failure:
            failures.append(failure)
    assert sent > 1000, f"the sweep sent only {sent} requests"
    assert not failures, f"{len(failures)} of {sent} malformed requests were not refused cleanly:\n" + "\n".join(
        failures[:40])
