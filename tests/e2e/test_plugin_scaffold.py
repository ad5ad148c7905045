"""A plugin developer's first hour: scaffold, install, run the plugin's own tests, see it served.

The scaffolded distribution goes into its own virtual environment (``plugin_venv`` of
``tests/e2e/conftest.py``), so the new plugin's entry point is found only there, as in a plugin
developer's own project. ``docs/plugins.md`` walks the same hour; ``test_docs_plugins`` runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccokit.platform.cli import cli
from tests.e2e.conftest import PluginVenv

SERVE_CHECK = """
import json, sys, tempfile, pathlib
from ccokit_sdk.testing import load_harness
harness = load_harness()
with tempfile.TemporaryDirectory() as folder:  # the app's database and blobs, removed after
    app = harness.make_app(pathlib.Path(folder))
    tenant = harness.signup(app)
    token = harness.token(app, tenant)
    client = app.test_client()
    paths = client.get("/api/openapi.json").get_json()["paths"]
    listed = client.get("/api/v1/gift_cards/items", headers={"Authorization": "Bearer " + token})
    print(json.dumps({"in_openapi": "/api/v1/gift_cards/items" in paths, "status": listed.status_code}))
    harness.close(app)
"""


@pytest.fixture(scope="module")
def plugin_env(plugin_venv: PluginVenv, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``gift_cards`` scaffolded and installed into the module's plugin environment."""
    project = tmp_path_factory.mktemp("scaffold") / "gift"
    result = CliRunner().invoke(cli, ["plugin", "new", "gift_cards", "--dir", str(project)])
    assert result.exit_code == 0, result.output
    plugin_venv.install_editable(project)
    return plugin_venv.python, project


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
