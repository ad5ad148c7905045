"""The chart lints, renders valid Kubernetes objects, and keeps the invariants operators rely on.

Every values file under ``values/`` (defaults, high availability, existing secret, ingress with
TLS, workers split by queue) is linted and rendered with Helm's own library, and every rendered
object is validated against the OpenAPI schemas of Kubernetes 1.29 and 1.33 (strict: an unknown
field is an error). The invariants then read the same manifests.
"""

from __future__ import annotations

import helm_python
import kubernetes_validate
import pytest
import yaml

from tests.helm.rendering import (
    CHART,
    KUBE_VERSIONS,
    RELEASE,
    VALUES_FILES,
    by_kind,
    component,
    containers,
    load_values,
    notes,
    pod_spec,
    rendered,
)

EVERY_FILE = pytest.mark.parametrize("values_name", VALUES_FILES)


def test_every_scenario_has_a_values_file() -> None:
    assert set(VALUES_FILES) >= {
        "defaults", "high-availability", "existing-secret", "ingress-tls", "workers-split",
    }


@EVERY_FILE
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_lint_is_clean(values_name: str, kube_version: str) -> None:
    report = helm_python.lint(CHART, load_values(values_name), strict=True, kube_version=f"v{kube_version}")
    assert report["errors"] == []
    # The one finding allowed: the chart has no icon yet (an INFO, severity 1).
    assert [m for m in report["messages"] if m["error"] != "icon is recommended"] == []
    assert all(m["severity"] == 1 for m in report["messages"])


@EVERY_FILE
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_manifest_is_valid_kubernetes(values_name: str, kube_version: str) -> None:
    for upgrade in (False, True):
        manifests = rendered(values_name, upgrade)
        assert manifests
        for manifest in manifests:
            try:
                kubernetes_validate.validate(manifest.body, kube_version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{manifest} is not valid on Kubernetes {kube_version}: {exc.message} at {exc.path}")


@EVERY_FILE
def test_every_long_running_container_has_probes(values_name: str) -> None:
    """Deployments' containers have startup, liveness and readiness probes.

    The migration Job and the ``helm test`` pod run to completion: a probe cannot make a finished
    process healthier, so they are bounded by ``activeDeadlineSeconds`` instead.
    """
    deployments = by_kind(rendered(values_name), "Deployment")
    assert deployments
    for deployment in deployments:
        for container in containers(deployment):
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, f"{deployment}: container {container['name']} has no {probe}"
    job = _migration_job(values_name)
    assert job.body["spec"]["activeDeadlineSeconds"] > 0


@EVERY_FILE
def test_web_probes_are_healthz_and_readyz(values_name: str) -> None:
    (web,) = [d for d in by_kind(rendered(values_name), "Deployment") if component(d) == "web"]
    (container,) = containers(web)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


@EVERY_FILE
def test_every_container_has_resources_and_a_non_root_read_only_security_context(values_name: str) -> None:
    pods = [m for m in rendered(values_name) if pod_spec(m) is not None]
    assert {m.kind for m in pods} == {"Deployment", "Job", "Pod"}
    for manifest in pods:
        pod_context = pod_spec(manifest).get("securityContext", {})  # type: ignore[union-attr]
        assert pod_context.get("runAsNonRoot") is True, manifest
        for container in containers(manifest):
            where = f"{manifest}: container {container['name']}"
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
            assert "memory" in resources.get("limits", {}), where
            context = container.get("securityContext", {})
            assert context.get("runAsNonRoot") is True, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert context.get("privileged", False) is False, where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where
            user = context.get("runAsUser", pod_context.get("runAsUser"))
            assert user is not None, where
            assert user != 0, where
            # A read-only root needs somewhere to write: gunicorn, heartbeats, jieba's cache.
            assert {"name": "tmp", "mountPath": "/tmp"} in container.get("volumeMounts", []), where


@EVERY_FILE
def test_the_scheduler_has_exactly_one_replica(values_name: str) -> None:
    manifests = rendered(values_name)
    schedulers = [d for d in by_kind(manifests, "Deployment") if component(d) == "scheduler"]
    assert len(schedulers) == 1
    (scheduler,) = schedulers
    assert scheduler.body["spec"]["replicas"] == 1
    # An upgrade stops the old pod before starting the new one, so two never overlap.
    assert scheduler.body["spec"]["strategy"] == {"type": "Recreate"}
    scaled = {h.body["spec"]["scaleTargetRef"]["name"] for h in by_kind(manifests, "HorizontalPodAutoscaler")}
    assert scheduler.name not in scaled


def _least_replicas(manifests: tuple, deployment) -> int:  # type: ignore[no-untyped-def]
    for hpa in by_kind(manifests, "HorizontalPodAutoscaler"):
        if hpa.body["spec"]["scaleTargetRef"]["name"] == deployment.name:
            return int(hpa.body["spec"]["minReplicas"])
    return int(deployment.body["spec"].get("replicas", 1))


@EVERY_FILE
def test_every_deployment_with_more_than_one_replica_has_a_disruption_budget(values_name: str) -> None:
    manifests = rendered(values_name)
    budgets = by_kind(manifests, "PodDisruptionBudget")
    for deployment in by_kind(manifests, "Deployment"):
        labels = deployment.body["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets
            if b.body["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        if _least_replicas(manifests, deployment) > 1:
            assert len(covering) == 1, f"{deployment} runs several replicas without a PodDisruptionBudget"
        else:
            assert covering == [], f"{deployment} has one replica: a budget would block node drains"


def test_the_values_files_exercise_budgets_and_autoscalers() -> None:
    """The PDB invariant is tested on replicas, autoscaler minimums and single replicas alike."""
    split = rendered("workers-split")
    assert {component(b) for b in by_kind(split, "PodDisruptionBudget")} == {"worker-events", "worker-webhooks"}
    assert {component(h) for h in by_kind(split, "HorizontalPodAutoscaler")} == {"worker-webhooks"}
    ha = rendered("high-availability")
    assert {component(h) for h in by_kind(ha, "HorizontalPodAutoscaler")} == {"web", "worker-all"}
    assert {component(b) for b in by_kind(ha, "PodDisruptionBudget")} == {"web", "worker-all", "relay"}


def test_workers_split_by_queue_get_one_deployment_per_group() -> None:
    workers = {
        component(d): d for d in by_kind(rendered("workers-split"), "Deployment")
        if component(d).startswith("worker-")
    }
    assert set(workers) == {"worker-events", "worker-webhooks"}
    commands = {name: containers(d)[0]["command"] for name, d in workers.items()}
    assert commands["worker-events"][:6] == ["ccokit", "worker", "--queue", "events", "--queue", "default"]
    assert commands["worker-webhooks"][:4] == ["ccokit", "worker", "--queue", "webhooks"]
    assert workers["worker-events"].body["spec"]["replicas"] == 3
    assert "replicas" not in workers["worker-webhooks"].body["spec"]  # its autoscaler decides


def _migration_job(values_name: str, upgrade: bool = False):  # type: ignore[no-untyped-def]
    (job,) = by_kind(rendered(values_name, upgrade), "Job")
    return job


@EVERY_FILE
@pytest.mark.parametrize("upgrade", [False, True], ids=["install", "upgrade"])
def test_migrations_run_before_web_pods_of_the_new_release(values_name: str, upgrade: bool) -> None:
    """Helm runs pre-install/pre-upgrade hooks in weight order and waits for each Job to complete
    before it applies the release's other objects. So the migration Job must be such a hook, the
    Deployments must not be hooks, and everything the Job needs that the chart creates must be a
    hook of the same events with a lower weight (the ordinary Secret and ServiceAccount do not
    exist yet on the first install)."""
    manifests = rendered(values_name, upgrade)
    job = _migration_job(values_name, upgrade)
    assert containers(job)[0]["command"] == ["ccokit", "migrate"]
    assert {"pre-install", "pre-upgrade"} <= job.hook_events
    assert "hook-succeeded" in job.annotations["helm.sh/hook-delete-policy"]
    for deployment in by_kind(manifests, "Deployment"):
        assert not deployment.hook_events, f"{deployment} must not be a hook"

    spec = pod_spec(job)
    assert spec is not None
    needed: set[tuple[str, str]] = {("ServiceAccount", spec["serviceAccountName"])}
    for container in containers(job):
        assert "envFrom" not in container, "the ConfigMap is not a hook: the Job takes its values inline"
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                needed.add(("Secret", ref["name"]))
            assert "configMapKeyRef" not in variable.get("valueFrom", {})
    created = {(m.kind, m.name): m for m in manifests}
    values = load_values(values_name)
    for kind, name in needed:
        if (kind, name) not in created:
            # Not the chart's: the operator's existing Secret or ServiceAccount, there before.
            assert name in (values.get("secrets", {}).get("existingSecret"),
                            values.get("serviceAccount", {}).get("name")), f"{kind}/{name} is missing"
            continue
        dependency = created[(kind, name)]
        assert {"pre-install", "pre-upgrade"} <= dependency.hook_events, f"{dependency} is not a hook"
        assert dependency.hook_weight < job.hook_weight, f"{dependency} is not created before the Job"


@EVERY_FILE
def test_only_the_migration_job_sees_the_owner_credentials(values_name: str) -> None:
    for manifest in rendered(values_name):
        for container in containers(manifest):
            names = {v["name"] for v in container.get("env", [])}
            if manifest.kind == "Job":
                assert "CCOKIT_MIGRATION_DATABASE_URL" in names
            else:
                assert "CCOKIT_MIGRATION_DATABASE_URL" not in names, manifest
        if manifest.kind == "Secret" and not manifest.hook_events:
            assert "CCOKIT_MIGRATION_DATABASE_URL" not in manifest.body.get("stringData", {})


def test_existing_secret_renders_no_secret_and_every_pod_reads_it() -> None:
    manifests = rendered("existing-secret")
    assert by_kind(manifests, "Secret") == []
    for manifest in manifests:
        for container in containers(manifest):
            refs = {
                v["valueFrom"]["secretKeyRef"]["name"]
                for v in container.get("env", []) if "secretKeyRef" in v.get("valueFrom", {})
            }
            if manifest.kind != "Pod":  # the helm test pod needs no secret
                assert refs == {"ccokit-credentials"}, manifest
    assert by_kind(manifests, "ServiceAccount") == []


def test_ingress_terminates_tls_for_the_web_service() -> None:
    manifests = rendered("ingress-tls")
    (ingress,) = by_kind(manifests, "Ingress")
    assert ingress.body["spec"]["tls"] == [{"secretName": "ccokit-tls", "hosts": ["ccokit.example.com"]}]
    (rule,) = ingress.body["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    (service,) = by_kind(manifests, "Service")
    assert backend == {"name": service.name, "port": {"name": "http"}}
    assert by_kind(rendered("defaults"), "Ingress") == []


@EVERY_FILE
def test_the_relay_runs_in_production(values_name: str) -> None:
    """With Redis (always, with this chart) nothing reaches the workers without ``ccokit relay``."""
    relays = [d for d in by_kind(rendered(values_name), "Deployment") if component(d) == "relay"]
    assert len(relays) == 1
    assert relays[0].body["spec"]["replicas"] >= 1


@EVERY_FILE
def test_network_policy_admits_only_web_traffic_and_the_test_pod(values_name: str) -> None:
    policies = {p.name: p for p in by_kind(rendered(values_name), "NetworkPolicy")}
    assert set(policies) == {f"{RELEASE}-web", f"{RELEASE}-no-ingress"}
    (web_rule,) = policies[f"{RELEASE}-web"].body["spec"]["ingress"]
    assert web_rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    if load_values(values_name).get("networkPolicy", {}).get("webIngressFrom"):
        selectors = [peer.get("podSelector", {}).get("matchLabels", {}) for peer in web_rule["from"]]
        assert any(s.get("app.kubernetes.io/component") == "test" for s in selectors)
    closed = policies[f"{RELEASE}-no-ingress"].body["spec"]
    assert "ingress" not in closed
    assert closed["policyTypes"] == ["Ingress"]


@EVERY_FILE
def test_helm_test_pod_checks_readyz_of_the_web_service(values_name: str) -> None:
    manifests = rendered(values_name)
    (pod,) = by_kind(manifests, "Pod")
    assert pod.hook_events == {"test"}
    (service,) = by_kind(manifests, "Service")
    command = containers(pod)[0]["command"]
    port = service.body["spec"]["ports"][0]["port"]
    assert command[:4] == ["ccokit", "probe", "--url", f"http://{service.name}:{port}/readyz"]


@EVERY_FILE
def test_notes_tell_how_to_check_and_where_to_read_more(values_name: str) -> None:
    text = notes(values_name)
    assert f"helm test {RELEASE}" in text
    assert "docs/operations.md" in text
    assert "exactly 1 replica" in text


#: A kubeconfig with no cluster: a client-side dry run never connects.
NO_CLUSTER = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


@EVERY_FILE
def test_helm_itself_runs_the_migration_job_as_a_hook_before_the_release(values_name: str) -> None:
    """Helm's install action (a client-side dry run, offline) sorts the Job, its Secret and
    ServiceAccount, and the test pod out of the release manifest into hooks; the release manifest,
    applied only after the pre-install hooks succeed, holds every Deployment."""
    with helm_python.Config(storage_driver="memory", namespace="support", kubeconfig_content=NO_CLUSTER) as cfg:
        release = cfg.install(CHART, RELEASE, load_values(values_name), dry_run="client")
    applied = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(release["manifest"]) if d}
    hooks = {(m.kind, m.name) for m in rendered(values_name) if m.hook_events}
    assert ("Job", f"{RELEASE}-migrate") in hooks
    assert not applied & hooks
    deployments = {(m.kind, m.name) for m in by_kind(rendered(values_name), "Deployment")}
    assert deployments <= applied
