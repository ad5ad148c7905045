"""Every command the chart runs is one the ``ccokit`` CLI has, with options it accepts, and every
``CCOKIT_*`` variable the chart sets is one the platform reads.

Commands are parsed by the real click group (without running them), so a renamed command, a
removed option or a queue spelled as an option fails here rather than in a crash-looping pod.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from ccokit.platform import config
from ccokit.platform.cli import cli
from tests.helm.rendering import VALUES_FILES, by_kind, containers, rendered


def _commands(values_name: str) -> Iterator[tuple[str, list[str]]]:
    """(where, argv) of every container command and exec probe in the rendered chart."""
    for manifest in rendered(values_name):
        for container in containers(manifest):
            where = f"{manifest}: container {container['name']}"
            yield where, [*container.get("command", []), *container.get("args", [])]
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                exec_ = container.get(probe, {}).get("exec")
                if exec_:
                    yield f"{where} {probe}", list(exec_["command"])


def parse_cli(argv: list[str]) -> click.Context:
    """Parse ``argv`` (``ccokit SUB ... OPTIONS``) as the CLI would, raising on anything wrong."""
    assert argv, "an empty command"
    assert argv[0] == "ccokit", f"not a ccokit command: {argv}"
    command: click.Command = cli
    parent = None
    name, rest = "ccokit", argv[1:]
    while True:
        ctx = command.make_context(name, list(rest), parent=parent, resilient_parsing=False)
        if not isinstance(command, click.Group):
            return ctx
        assert rest, f"{argv}: a group needs a subcommand"
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            raise click.UsageError(f"no such command {rest[0]!r}")
        parent, name, command, rest = ctx, rest[0], sub, rest[1:]


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_every_command_in_the_chart_is_a_real_ccokit_command(values_name: str) -> None:
    seen = set()
    for where, argv in _commands(values_name):
        try:
            ctx = parse_cli(argv)
        except click.ClickException as exc:
            pytest.fail(f"{where}: {argv} is not a valid ccokit command: {exc.format_message()}")
        seen.add(ctx.info_name)
    assert seen == {"serve", "worker", "relay", "scheduler", "migrate", "probe"}


def test_the_parser_refuses_what_the_cli_refuses(tmp_path: Path) -> None:
    """The check above would catch a broken command."""
    for argv in (
        ["ccokit", "serv"],
        ["ccokit", "worker", "--queues", "events"],
        ["ccokit", "probe", "--max-age", "0"],
        ["ccokit", "tenant"],
    ):
        with pytest.raises((click.ClickException, AssertionError)):
            parse_cli(argv)
    # A path of this test's own: a file path the machine happens to hold as a folder is refused.
    heartbeat = str(tmp_path / "heartbeat")
    worker = parse_cli(["ccokit", "worker", "--queue", "events", "--heartbeat-file", heartbeat])
    assert worker.params["queues"] == ("events",)


def _variables_the_platform_reads() -> set[str]:
    source = Path(config.__file__).read_text()
    return set(re.findall(r'"(CCOKIT_[A-Z0-9_]+)"', source))


def _set_variables(container: dict[str, Any]) -> set[str]:
    return {v["name"] for v in container.get("env", [])}


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_every_ccokit_variable_in_the_chart_is_one_the_platform_reads(values_name: str) -> None:
    known = _variables_the_platform_reads()
    assert {"CCOKIT_DATABASE_URL", "CCOKIT_SECRET_KEY", "CCOKIT_STORAGE_URL"} <= known
    manifests = rendered(values_name)
    used: set[str] = set()
    for manifest in by_kind(manifests, "ConfigMap"):
        used |= set(manifest.body["data"])
    for manifest in by_kind(manifests, "Secret"):
        used |= set(manifest.body.get("stringData", {}))
    for manifest in manifests:
        for container in containers(manifest):
            used |= _set_variables(container)
    ccokit_vars = {name for name in used if name.startswith("CCOKIT_")}
    assert ccokit_vars, "the chart sets no configuration"
    assert ccokit_vars <= known, f"not read by ccokit.platform.config: {sorted(ccokit_vars - known)}"
    assert used - ccokit_vars <= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.mark.parametrize("values_name", VALUES_FILES)
def test_pods_get_the_configuration_a_production_start_needs(values_name: str) -> None:
    """What ``load_settings`` refuses to start without in production reaches every ccokit pod."""
    manifests = rendered(values_name)
    (configmap,) = by_kind(manifests, "ConfigMap")
    assert configmap.body["data"]["CCOKIT_ENV"] == "production"
    for deployment in by_kind(manifests, "Deployment"):
        (container,) = containers(deployment)
        assert {"CCOKIT_SECRET_KEY", "CCOKIT_DATABASE_URL", "CCOKIT_REDIS_URL"} <= _set_variables(container)
        assert container["envFrom"] == [{"configMapRef": {"name": configmap.name}}]
