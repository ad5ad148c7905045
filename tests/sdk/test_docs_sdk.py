"""Every snippet of ``docs/sdk.md`` runs, against the real app behind a loopback server.

The convention, stated at the top of the page:

- ```` ```python ```` blocks run in order in one namespace (a later block uses the ``client`` of an
  earlier one), after these placeholders are replaced: ``https://ccokit.example.com`` by the
  server's address, ``cli_YOUR_CLIENT_ID`` and ``YOUR_CLIENT_SECRET`` by a freshly signed-up
  tenant's API client, ``whsec_YOUR_SIGNING_SECRET`` by a new signing secret.
- A ```` ```text ```` block that directly follows a python block (nothing but blank lines between)
  is what that block prints; ``...`` in it stands for any text.
- ```` ```console ```` blocks are install commands; the test installs ``sdk/`` the same way into a
  fresh virtual environment and checks that the client works there without the platform.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import LiveServer, TenantInfo
from tests.sdk.conftest import ROOT

DOC = ROOT / "docs" / "sdk.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass
class Snippet:
    code: str
    line: int
    output: str | None = None


def _blocks(text: str) -> tuple[list[Snippet], list[str]]:
    """The python snippets (each with the output block that follows it) and the console blocks."""
    snippets: list[Snippet] = []
    consoles: list[str] = []
    previous_end = -1
    for match in FENCE.finditer(text):
        language, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if language == "python":
            snippets.append(Snippet(body, line))
        elif language == "console":
            consoles.append(body)
        elif language == "text" and snippets and previous_end >= 0 and not text[previous_end:match.start()].strip():
            snippets[-1].output = body
        previous_end = match.end() if language == "python" else -1
    return snippets, consoles


def _matches(expected: str, printed: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in expected.strip().split("..."))
    return re.fullmatch(pattern, printed.strip(), re.DOTALL) is not None


def test_every_python_snippet_runs_and_prints_what_the_page_says(
    live_server: LiveServer, tenant: TenantInfo
) -> None:
    snippets, _ = _blocks(DOC.read_text())
    assert len(snippets) >= 10
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    placeholders = {
        "https://ccokit.example.com": live_server.url,
        "cli_YOUR_CLIENT_ID": tenant.client_id,
        "YOUR_CLIENT_SECRET": tenant.client_secret,
        "whsec_YOUR_SIGNING_SECRET": secret,
    }
    namespace: dict[str, object] = {"__name__": "docs_sdk"}
    checked = 0
    for snippet in snippets:
        code = snippet.code
        for placeholder, value in placeholders.items():
            code = code.replace(placeholder, value)
        assert "YOUR_" not in code, f"docs/sdk.md:{snippet.line} has a placeholder the convention does not name"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"docs/sdk.md:{snippet.line}", "exec"), namespace)  # noqa: S102 - the page's own code
        if snippet.output is not None:
            assert _matches(snippet.output, printed.getvalue()), (
                f"docs/sdk.md:{snippet.line} printed:\n{printed.getvalue()}\nthe page says:\n{snippet.output}"
            )
            checked += 1
    assert checked >= 8


def test_the_install_command_gives_a_working_client_without_the_platform(
    sdk_python: Path, tmp_path: Path
) -> None:
    _, consoles = _blocks(DOC.read_text())
    commands = [line.strip() for block in consoles for line in block.splitlines() if line.strip()]
    assert commands == ["pip install ccokit-sdk"]
    probe = (
        "import sys, ccokit_sdk\n"
        "from ccokit_sdk import Client, webhooks\n"
        "Client('https://ccokit.example.com', client_id='c', client_secret='s').close()\n"
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'ccokit') if m in sys.modules))\n"
    )
    out = subprocess.run([str(sdk_python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"


def test_the_convention_is_stated_on_the_page() -> None:
    text = DOC.read_text()
    for placeholder in ("https://ccokit.example.com", "cli_YOUR_CLIENT_ID", "YOUR_CLIENT_SECRET",
                        "whsec_YOUR_SIGNING_SECRET", "tests/sdk/test_docs_sdk.py"):
        assert placeholder in text.split("## Install")[0], placeholder
