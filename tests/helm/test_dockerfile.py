"""The Dockerfile, read rather than built (no Docker engine runs where the tests run).

It must stay a multi-stage build that installs from ``uv.lock`` with the uv the Makefile pins,
copy every workspace member it needs, run as a numeric non-root user, and start the real CLI,
which is the command every Deployment, the migration Job and the test pod of the chart run.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field

from tests.helm.rendering import ROOT
from tests.helm.test_commands import parse_cli

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) with continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    parsed = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
    return parsed


def _stages() -> tuple[dict[str, str], list[Stage]]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for keyword, arguments in _instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            assert keyword == "ARG", f"only ARG may come before the first FROM, not {keyword}"
            key, _, default = arguments.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append((keyword, arguments))
    return args, stages


def _context_copies(stage: Stage) -> list[str]:
    """COPY instructions that read the build context (not another stage)."""
    return [arg for arg in stage.all("COPY") if not arg.startswith("--from=")]


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), "use the exec (JSON) form so signals reach ccokit"
    return [str(v) for v in value]


def test_it_is_a_multi_stage_build_whose_runtime_holds_no_build_tools() -> None:
    _, stages = _stages()
    assert len(stages) >= 3
    build = next(s for s in stages if s.name == "build")
    runtime = stages[-1]
    assert runtime.name == "runtime"
    assert runtime.base == build.base, "the environment's interpreter must be the same in both"
    copies = runtime.all("COPY")
    assert copies == ["--from=build /opt/ccokit/venv /opt/ccokit/venv"]
    assert not any("uv" in run.split() for run in runtime.all("RUN"))


def test_dependencies_install_from_the_lock_with_the_pinned_uv() -> None:
    args, stages = _stages()
    makefile_uv = re.search(r"^UV_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv is not None
    assert args["UV_VERSION"] == makefile_uv.group(1)
    assert stages[0].base == "ghcr.io/astral-sh/uv:${UV_VERSION}"
    build = next(s for s in stages if s.name == "build")
    syncs = [run for run in build.all("RUN") if "uv sync" in run]
    assert len(syncs) == 2
    for sync in syncs:
        words = shlex.split(sync)
        assert "--locked" in words, "install exactly what uv.lock pins, and fail when it is stale"
        assert "--no-dev" in words
    assert "--no-install-workspace" in shlex.split(syncs[0])  # dependencies first, cached
    assert "--no-editable" in shlex.split(syncs[1])  # the runtime stage copies only the venv
    assert _context_copies(build)[0] == "uv.lock pyproject.toml ./"


def test_every_workspace_member_the_image_installs_is_copied_before_the_first_sync() -> None:
    """uv reads every member's pyproject.toml to check the lock; a new member must be added."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    _, stages = _stages()
    build = next(s for s in stages if s.name == "build")
    first_sync = next(i for i, (kw, arg) in enumerate(build.instructions) if kw == "RUN" and "uv sync" in arg)
    copied = " ".join(_context_copies(Stage(build.base, build.name, build.instructions[:first_sync])))
    for member in workspace:
        assert f"{member}/pyproject.toml" in copied, f"the Dockerfile does not copy {member}/pyproject.toml"
        assert (ROOT / member / "pyproject.toml").is_file()
    for source in re.findall(r"(\S+/\S+) ", copied):
        assert (ROOT / source).exists(), f"COPY of a file that does not exist: {source}"


def test_the_example_plugin_stays_out_of_production_images() -> None:
    _, stages = _stages()
    build = next(s for s in stages if s.name == "build")
    for sync in (run for run in build.all("RUN") if "uv sync" in run):
        assert "--no-install-package ccokit-plugin-order-lookup" in " ".join(shlex.split(sync))


def test_it_runs_as_a_numeric_non_root_user() -> None:
    _, stages = _stages()
    runtime = stages[-1]
    (user,) = runtime.all("USER")
    stage_args = dict(a.partition("=")[::2] for a in runtime.all("ARG"))
    uid, _, gid = user.partition(":")
    resolved = [stage_args.get(v.strip("${}"), v) if v.startswith("$") else v for v in (uid, gid)]
    assert all(v.isdigit() and int(v) > 0 for v in resolved), f"USER {user} must be numeric and not root"
    # The chart's runAsUser is the same user, so files the image owns match.
    values = (ROOT / "helm" / "ccokit" / "values.yaml").read_text()
    assert f"runAsUser: {resolved[0]}" in values
    assert any("--uid \"${UID}\"" in run or f"--uid {resolved[0]}" in run for run in runtime.all("RUN"))


def test_the_entrypoint_is_the_ccokit_cli_and_the_default_command_is_real() -> None:
    _, stages = _stages()
    runtime = stages[-1]
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (cmd,) = runtime.all("CMD")
    argv = _exec_form(entrypoint) + _exec_form(cmd)
    assert argv == ["ccokit", "serve"]
    parse_cli(argv)
    scripts = tomllib.loads((ROOT / "platform" / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["ccokit"] == "ccokit.platform.cli:main"
    env = " ".join(runtime.all("ENV"))
    assert "PATH=/opt/ccokit/venv/bin:$PATH" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # the chart's root filesystem is read-only
    assert "CCOKIT_HOST=0.0.0.0" in env


def test_the_build_context_leaves_out_local_environments_and_secrets() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".tools", "var", ".env", "tests", "bench"} <= ignored
    for needed in ("uv.lock", "pyproject.toml", "platform", "tenants", "sdk", "plugins"):
        assert needed not in ignored
