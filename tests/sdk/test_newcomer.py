"""A newcomer's first minutes: ``pip install ccokit-sdk``, then a few lines against a live server.

The script runs in a fresh environment that holds only the SDK, against the app on loopback,
in a workspace that already has 1,000 tickets: it opens one more and reads every one of them
through a list that pages itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from flask import Flask

from tests.conftest import LiveServer, TenantInfo
from tests.plugins.ticketing.conftest import insert_tickets

SEEDED = 1000
NEWCOMER = """\
from ccokit_sdk import Client

client = Client("{url}", client_id="{client_id}", client_secret="{client_secret}")
ticket = client.tickets.create(subject="Where is my parcel?", requester={{"email": "wang@buyer.example"}})
seen = sum(1 for _ in client.tickets.list(status=["new", "open"]))
print(ticket.number, ticket.status, seen)
"""


def test_a_newcomer_opens_a_ticket_and_reads_a_thousand(
    sdk_python: Path, live_server: LiveServer, app: Flask, tenant: TenantInfo, tmp_path: Path
) -> None:
    insert_tickets(app, tenant, [{"subject": f"Seeded {n}"} for n in range(SEEDED)])
    script = NEWCOMER.format(url=live_server.url, client_id=tenant.client_id, client_secret=tenant.client_secret)
    assert len(script.splitlines()) < 10
    out = subprocess.run([str(sdk_python), "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    number, status, seen = out.stdout.split()
    assert (int(number), status) == (SEEDED + 1, "new")
    assert int(seen) == SEEDED + 1 >= 1000
