"""A plugin developer's first hour: scaffold, install, run the plugin's own tests, see it served.

The scaffolded distribution goes into its own virtual environment, which sees the workspace's
installed packages (the platform, the SDK, their dependencies) but is otherwise separate, so the
new plugin's entry point is found only there, as in a plugin developer's own project.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccokit.platform.cli import cli

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"

SERVE_CHECK = """
import json, sys, tempfile, pathlib
from ccokit_sdk.testing import load_harness
harness = load_harness()
app = harness.make_app(pathlib.Path(tempfile.mkdtemp()))
tenant = harness.signup(app)
token = harness.token(app, tenant)
client = app.test_client()
paths = client.get("/api/openapi.json").get_json()["paths"]
listed = client.get("/api/v1/gift_cards/items", headers={"Authorization": "Bearer " + token})
print(json.dumps({"in_openapi": "/api/v1/gift_cards/items" in paths, "status": listed.status_code}))
harness.close(app)
"""


@pytest.fixture
def plugin_env(tmp_path: Path) -> tuple[Path, Path]:
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run `make install` first")
    result = CliRunner().invoke(cli, ["plugin", "new", "gift_cards", "--dir", str(tmp_path / "gift")])
    assert result.exit_code == 0, result.output
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    pth = next((venv / "lib").glob("python3*/site-packages")) / "ccokit_workspace.pth"
    pth.write_text(f"import site; site.addsitedir({str(site_packages)!r})\n")
    python = venv / "bin" / "python"
    subprocess.run(
        [str(UV), "pip", "install", "--python", str(python), "--no-deps", "-e", str(tmp_path / "gift")],
        check=True, capture_output=True,
    )
    return python, tmp_path / "gift"


def test_a_scaffolded_plugin_installs_and_passes_its_own_tests(plugin_env: tuple[Path, Path]) -> None:
    python, project = plugin_env
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout


def test_a_scaffolded_plugin_is_served_and_documented(plugin_env: tuple[Path, Path]) -> None:
    python, project = plugin_env
    run = subprocess.run([str(python), "-c", SERVE_CHECK], cwd=project, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == '{"in_openapi": true, "status": 200}'


def test_bad_names_and_existing_folders_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["plugin", "new", "Bad-Name", "--dir", str(tmp_path / "x")])
    assert bad.exit_code == 1
    assert "plugin name" in bad.output
    (tmp_path / "taken").mkdir()
    taken = runner.invoke(cli, ["plugin", "new", "fine", "--dir", str(tmp_path / "taken")])
    assert taken.exit_code == 1
    assert "exists already" in taken.output
