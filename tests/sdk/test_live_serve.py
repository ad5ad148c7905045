"""The SDK against ``ccokit serve`` as a merchant meets it: a separate process on loopback."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ccokit_sdk import AsyncClient, Client, NotFound
from tests.e2e.conftest import serving

CCOKIT = Path(sys.executable).with_name("ccokit")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``ccokit serve`` with the embedded default (SQLite, in-process jobs), until the test ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_")}
    with serving([str(CCOKIT), "serve"], tmp_path, env) as url:
        yield url


def test_the_sdk_against_a_live_server(served: str) -> None:
    signed_up = httpx.post(f"{served}/api/v1/signup", timeout=10, json={
        "name": "Tea House 茶馆", "slug": "tea-house", "owner_email": "owner@tea.example",
        "owner_password": "a long enough password",
    })
    assert signed_up.status_code == 201, signed_up.text
    creds = signed_up.json()["client"]

    with Client(served, client_id=creds["client_id"], client_secret=creds["client_secret"]) as client:
        assert client.tenant.get().name == "Tea House 茶馆"
        agent = client.members.create(email="agent@tea.example", display_name="Agent", role="agent",
                                      password="another long password", idempotency_key="hire-agent-1")
        again = client.members.create(email="agent@tea.example", display_name="Agent", role="agent",
                                      password="another long password", idempotency_key="hire-agent-1")
        assert again.id == agent.id  # the same key answered from the server's record
        assert [m.email for m in client.members.list(limit=1)] == ["owner@tea.example", "agent@tea.example"]
        for i in range(5):
            client.quick_replies.create(shortcut=f"/q{i}", title=f"Q{i}", body="body")
        assert len(list(client.quick_replies.list(limit=2))) == 6  # with sign-up's /hello
        with pytest.raises(NotFound):
            client.members.get("mem_01J00000000000000000000000")

    async def asynchronously() -> list[str]:
        async with AsyncClient(served, client_id=creds["client_id"], client_secret=creds["client_secret"]) as aio:
            return [r.shortcut async for r in aio.quick_replies.list(limit=4, q="Q")]

    assert asyncio.run(asynchronously()) == [f"/q{i}" for i in range(5)]
