"""The platform as an operator starts it: ``ccokit migrate`` and ``ccokit serve`` as processes.

Runs the embedded default (SQLite file, blobs on disk, no Redis) exactly as ``make run`` does and
walks the first minutes of a merchant: sign up, take a token, call the API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import serving

ROOT = Path(__file__).resolve().parents[2]
CCOKIT = Path(sys.executable).with_name("ccokit")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")}
    # The embedded default keeps its files under ./var, so run from a scratch directory.
    with serving([str(CCOKIT), "serve"], tmp_path, env) as url:
        yield url
    assert (tmp_path / "var" / "ccokit.db").exists()


def test_embedded_default_serves_a_merchant_end_to_end(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        resp = http.post("/api/v1/signup", json={
            "name": "Bakery 面包坊", "slug": "bakery", "owner_email": "owner@bakery.example",
            "owner_password": "a long enough password",
        })
        assert resp.status_code == 201, resp.text
        creds = resp.json()["client"]
        token = http.post(
            "/oauth/token", data={"grant_type": "client_credentials", "scope": "tenant:read quick_replies:read"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = http.get("/api/v1/tenant", headers=headers)
        assert me.status_code == 200
        assert me.json()["slug"] == "bakery"
        assert me.json()["name"] == "Bakery 面包坊"
        replies = http.get("/api/v1/quick_replies/replies", headers=headers)
        assert replies.status_code == 200
        assert [r["shortcut"] for r in replies.json()["items"]] == ["/hello"]
        assert http.get("/api/openapi.json").json()["info"]["title"] == "ccokit"


def test_stdlib_platform_is_not_shadowed_at_the_repository_root() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import platform, sqlalchemy; print(platform.system())"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "Linux"
    assert not (ROOT / "platform" / "__init__.py").exists()
