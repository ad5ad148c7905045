"""A plugin developer's environment and a served platform, for the end-to-end and live SDK tests.

``plugin_venv`` is a virtual environment that sees the workspace's installed packages (the
platform, the SDK, their dependencies) but is otherwise separate, so a plugin installed into it is
found through its entry point only there, as in a plugin developer's own project. Its ``bin``
holds what such a developer has on ``PATH``: ``python``, ``ccokit`` and ``pytest`` running on the
environment's interpreter, and ``pip``, which installs with uv and without dependencies because
the workspace already provides them (there is no package index to resolve against). It is built
once per test module: creating it and installing into it is the slow part.

``serving`` runs a command that serves the platform (``ccokit serve``) as a process until
``/readyz`` answers, and stops it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from tests.sdk.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"

PIP = """#!/bin/sh
# pip of this environment: the workspace provides every dependency, so only the project is installed.
[ "$1" = install ] || {{ echo "pip: only 'pip install' is available here" >&2; exit 2; }}
shift
exec {uv} pip install --quiet --python {python} --no-deps "$@"
"""


@dataclass(frozen=True)
class PluginVenv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a shell in this venv, without the workspace's CCOKIT_ settings."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("CCOKIT_") and k != "UV_PROJECT_ENVIRONMENT"}
        return base | {
            "VIRTUAL_ENV": str(self.root),
            "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        } | extra

    def install_editable(self, project: Path) -> None:
        subprocess.run([str(self.root / "bin" / "pip"), "install", "-e", str(project)], check=True,
                       capture_output=True, env=self.env())


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run `make install` first")
    root = tmp_path_factory.mktemp("plugin-env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    pth = next((root / "lib").glob("python3*/site-packages")) / "ccokit_workspace.pth"
    pth.write_text(f"import site; site.addsitedir({str(site_packages)!r})\n")
    venv = PluginVenv(root)
    scripts = {"pip": PIP.format(uv=UV, python=venv.python)}
    for name in ("ccokit", "pytest"):
        (script,) = entry_points(group="console_scripts", name=name)
        module, _, function = script.value.partition(":")
        scripts[name] = f"#!{venv.python}\nimport sys\nfrom {module} import {function}\nsys.exit({function}())\n"
    for name, text in scripts.items():
        path = root / "bin" / name
        path.write_text(text)
        path.chmod(0o755)
    return venv


@contextmanager
def serving(command: Sequence[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Run ``command`` with ``CCOKIT_PORT`` set to a free port; yields the base URL once ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = env | {"CCOKIT_PORT": str(port), "CCOKIT_BASE_URL": url, "CCOKIT_WEB_WORKERS": "1"}
    # The output goes to a file: a pipe nobody reads would fill up and block the server.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            for _ in range(300):
                if proc.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"{' '.join(command)} exited: {log.read()}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"{' '.join(command)} did not become ready")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
