"""docs/api.md names every route of the OpenAPI document, with its methods, and no route that
does not exist.

The guide writes routes for people, not machines, so this reads its shorthand: ``[/{id}]`` is
an optional part, ``…/merge`` (or ``.../merge``) ends a path written in full elsewhere, methods
are the ``GET``/``POST``… of the same table row, and a row that names none stands for the
usual set (``GET`` and ``POST`` on a collection; ``GET``, ``PATCH`` and ``DELETE`` on one item).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PATH = re.compile(r"(?:/api/v1|…|\.\.\.)(?:/[^\s`,;?]*)?")


def _spellings(path: str) -> list[str]:
    """``/a[/{id}[/b]]`` -> ``/a``, ``/a/{id}``, ``/a/{id}/b``."""
    inner = re.search(r"\[([^\[\]]*)\]", path)
    if inner is None:
        return [path]
    head, tail = path[: inner.start()], path[inner.end():]
    return _spellings(head + tail) + _spellings(head + inner.group(1) + tail)


def _pattern(spelling: str) -> re.Pattern[str]:
    for prefix in ("…", "..."):
        if spelling.startswith(prefix):
            return re.compile(".+" + re.escape(spelling[len(prefix):]) + "$")
    return re.compile(re.escape(spelling) + "$")


def _rows(guide: str) -> list[tuple[str, set[str], list[re.Pattern[str]]]]:
    """Each route row of the guide's tables after "## Routes": its text, methods and paths."""
    rows = []
    for line in guide.split("## Routes", 1)[1].splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split(" | ")[0]
        methods = {m for m in METHODS if re.search(rf"\b{m}\b", cell)}
        patterns = [_pattern(s) for p in PATH.findall(cell) for s in _spellings(p)]
        rows.append((cell, methods, patterns))
    return rows


def _usual(path: str) -> set[str]:
    return {"GET", "PATCH", "DELETE"} if path.endswith("}") else {"GET", "POST"}


def test_the_api_guide_names_every_route_and_invents_none(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    routes = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    assert ("GET", "/api/v1/ticketing/tickets/{ticket_id}") in routes
    rows = _rows((ROOT / "docs" / "api.md").read_text())

    invented = [
        f"{cell}: {pattern.pattern}"
        for cell, _methods, patterns in rows
        for pattern in patterns
        if not any(pattern.match(path) for _method, path in routes)
    ]
    invented += [
        f"{cell}: {method}"
        for cell, methods, patterns in rows
        for method in methods
        if not any(m == method and any(p.match(path) for p in patterns) for m, path in routes)
    ]
    assert not invented, f"docs/api.md names routes the app does not serve: {invented}"

    missing = []
    for method, path in sorted(routes, key=lambda r: (r[1], r[0])):
        rows_of_path = [(cell, methods) for cell, methods, patterns in rows if any(p.match(path) for p in patterns)]
        if not any(method in (methods or _usual(path)) for _cell, methods in rows_of_path):
            missing.append(f"{method} {path}")
    assert not missing, f"docs/api.md does not name {missing}"
