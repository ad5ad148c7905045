"""Lint and render the chart in-process with Helm's own Go library (``helm_python``).

Nothing here needs a cluster, a ``helm`` binary or the network: ``helm-python-sdk`` carries
Helm's SDK as a shared library, and rendering is offline (``lookup`` returns nothing).
Renders are cached per values file and action, since every invariant reads the same manifests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "ccokit"
VALUES_DIR = Path(__file__).with_name("values")
#: The values files every invariant is checked against.
VALUES_FILES = sorted(p.stem for p in VALUES_DIR.glob("*.yaml"))
RELEASE = "ccokit"
NAMESPACE = "support"
#: Kubernetes versions every manifest is validated against (oldest supported and a recent one).
KUBE_VERSIONS = ("1.29.0", "1.33.0")


@dataclass(frozen=True)
class Manifest:
    """One rendered object and the template it came from."""

    template: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.body["metadata"].get("annotations") or {})

    @property
    def hook_events(self) -> set[str]:
        raw = self.annotations.get("helm.sh/hook", "")
        return {event.strip() for event in raw.split(",") if event.strip()}

    @property
    def hook_weight(self) -> int:
        return int(self.annotations.get("helm.sh/hook-weight", "0"))

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} ({self.template})"


def load_values(name: str) -> dict[str, Any]:
    data = yaml.safe_load((VALUES_DIR / f"{name}.yaml").read_text())
    return data or {}


def render_values(values: dict[str, Any], *, upgrade: bool = False) -> dict[str, str]:
    """Rendered templates by path, after checking ``values`` against the chart's schema."""
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema(values)
        return chart.render(
            values, name=RELEASE, namespace=NAMESPACE, revision=2 if upgrade else 1,
            is_install=not upgrade, is_upgrade=upgrade,
        )


def parse(rendered: dict[str, str]) -> list[Manifest]:
    manifests = []
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            continue
        for body in yaml.safe_load_all(text):
            if body:
                manifests.append(Manifest(template, body))
    return manifests


@functools.cache
def rendered(values_name: str, upgrade: bool = False) -> tuple[Manifest, ...]:
    return tuple(parse(render_values(load_values(values_name), upgrade=upgrade)))


@functools.cache
def notes(values_name: str) -> str:
    return render_values(load_values(values_name))[f"{CHART.name}/templates/NOTES.txt"]


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod spec of a Deployment, Job or Pod; ``None`` for other kinds."""
    if manifest.kind in ("Deployment", "Job"):
        return dict(manifest.body["spec"]["template"]["spec"])
    if manifest.kind == "Pod":
        return dict(manifest.body["spec"])
    return None


def containers(manifest: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(manifest) or {}
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def by_kind(manifests: tuple[Manifest, ...], kind: str) -> list[Manifest]:
    return [m for m in manifests if m.kind == kind]


def component(manifest: Manifest) -> str:
    return str(manifest.body["metadata"]["labels"]["app.kubernetes.io/component"])
