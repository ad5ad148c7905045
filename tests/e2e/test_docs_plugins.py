"""Every snippet of ``docs/plugins.md`` runs, in a plugin developer's environment.

The convention, stated at the top of the page:

- ```` ```sh ```` blocks run in order with ``sh -e``, in one scratch folder inside ``plugin_venv``
  (the venv's ``ccokit``, ``pip`` and ``pytest`` first on ``PATH``); a ``cd`` carries over to the
  next block, as in a terminal. The block that is only ``ccokit serve`` runs in the background,
  on a free port, while the rest of the page runs.
- ```` ```python ```` blocks whose first line is a comment naming a path (``# src/….py``,
  ``# tests/….py``) are files of the ``gift_cards`` project: written there once the walk-through
  is done, after which the project's tests (the generated ones and the page's) must all pass.
- The other ```` ```python ```` blocks run in order in one namespace against that server, with
  ``http://127.0.0.1:8000`` replaced by its address; a ```` ```text ```` block right after one is
  what it prints (``...`` stands for any text).
- The ```` ```toml ```` block is part of the ``pyproject.toml`` that ``ccokit plugin new`` writes.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from ccokit.platform.scaffold import render_plugin
from tests.e2e.conftest import ROOT, PluginVenv, serving
from tests.sdk.test_docs_sdk import FENCE, _matches

DOC = ROOT / "docs" / "plugins.md"
SERVER = "http://127.0.0.1:8000"
FILE_HEADER = re.compile(r"^# ((?:src|tests)/[\w/]+\.py)\n")
CWD_MARK = "\n__cwd__="


@dataclass
class Block:
    language: str
    code: str
    line: int
    output: str | None = None

    @property
    def file(self) -> str | None:
        """The project path a python block is the content of, if its first line names one."""
        match = FILE_HEADER.match(self.code) if self.language == "python" else None
        return match.group(1) if match else None


def _blocks() -> list[Block]:
    """The page's fenced blocks, each ``text`` block folded into the python block it follows."""
    text = DOC.read_text()
    blocks: list[Block] = []
    previous_end = -1
    for match in FENCE.finditer(text):
        language, body = match.group(1), match.group(2)
        between = text[previous_end:match.start()] if previous_end >= 0 else "not adjacent"
        if language == "text" and blocks and blocks[-1].language == "python" and not between.strip():
            blocks[-1].output = body
        else:
            blocks.append(Block(language, body, text.count("\n", 0, match.start()) + 1))
        previous_end = match.end()
    assert {b.language for b in blocks} <= {"sh", "python", "toml"}, "a block the convention does not name"
    return blocks


def _run_sh(block: Block, cwd: Path, venv: PluginVenv) -> Path:
    """Run one ``sh`` block in ``cwd``; returns the folder it ended in."""
    run = subprocess.run(["sh", "-ec", block.code + f'\nprintf "{CWD_MARK}%s" "$PWD"'], cwd=cwd,
                         env=venv.env(), capture_output=True, text=True)
    assert run.returncode == 0, f"docs/plugins.md:{block.line} failed:\n{run.stdout}\n{run.stderr}"
    return Path(run.stdout.rpartition(CWD_MARK)[2])


def _run_python(block: Block, namespace: dict[str, object], server: str) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = compile(block.code.replace(SERVER, server), f"docs/plugins.md:{block.line}", "exec")
        exec(code, namespace)  # noqa: S102 - the page's own code
    if block.output is not None:
        assert _matches(block.output, printed.getvalue()), (
            f"docs/plugins.md:{block.line} printed:\n{printed.getvalue()}\nthe page says:\n{block.output}"
        )


def _close_clients(namespace: dict[str, object]) -> None:
    """Close the page's httpx clients, which a reader's script leaves to the interpreter's exit."""
    for value in namespace.values():
        if isinstance(value, httpx.Client):
            value.close()


def test_the_first_hour_and_every_example_run_as_written(plugin_venv: PluginVenv, tmp_path: Path) -> None:
    blocks = _blocks()
    files = {b.file: b for b in blocks if b.file}
    assert {"src/ccokit/plugins/gift_cards/plugin.py", "tests/test_jobs.py", "tests/test_images.py"} <= set(files)
    cwd = tmp_path
    namespace: dict[str, object] = {"__name__": "docs_plugins"}
    server = ""
    printed_checks = 0
    with ExitStack() as stack:
        stack.callback(_close_clients, namespace)
        for block in blocks:
            if block.language == "sh" and block.code.split() == ["ccokit", "serve"]:
                server = stack.enter_context(serving(["ccokit", "serve"], cwd, plugin_venv.env()))
            elif block.language == "sh":
                cwd = _run_sh(block, cwd, plugin_venv)
            elif block.language == "python" and not block.file:
                assert server, f"docs/plugins.md:{block.line} runs before `ccokit serve`"
                _run_python(block, namespace, server)
                printed_checks += block.output is not None
    assert printed_checks >= 3
    assert (cwd / "pyproject.toml").exists(), "the walk-through ends inside the scaffolded project"

    for path, block in files.items():
        target = cwd / path
        assert target.parent.is_dir(), f"docs/plugins.md:{block.line}: {path} is not in a generated folder"
        target.write_text(block.code)
    run = subprocess.run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=cwd, env=plugin_venv.env(),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    tests = sum(len(re.findall(r"^def test_", p.read_text(), re.MULTILINE)) for p in (cwd / "tests").glob("test_*.py"))
    assert re.search(rf"^{tests} passed in ", run.stdout.splitlines()[-1]), run.stdout


def test_the_entry_point_is_what_the_scaffold_writes(tmp_path: Path) -> None:
    render_plugin("gift_cards", tmp_path / "gift")
    pyproject = (tmp_path / "gift" / "pyproject.toml").read_text()
    tomls = [b for b in _blocks() if b.language == "toml"]
    assert tomls
    for block in tomls:
        assert block.code in pyproject, f"docs/plugins.md:{block.line} is not in the generated pyproject.toml"


def test_the_convention_is_stated_on_the_page() -> None:
    head = DOC.read_text().split("## Your first hour")[0]
    for term in ("tests/e2e/test_docs_plugins.py", "ccokit serve", "http://127.0.0.1:8000",
                 "# src/ccokit/plugins/gift_cards/jobs.py"):
        assert term in head, term

