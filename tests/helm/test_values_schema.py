"""Wrong values stop ``helm install`` with a message that names the value.

values.schema.json catches types, formats and combinations (Helm checks it before rendering);
``templates/validate.yaml`` catches what a schema cannot express (duplicate names, a queue no
worker serves, minimum above maximum) with a ``fail`` message.
"""

from __future__ import annotations

import copy
from typing import Any

import helm_python
import pytest

from tests.helm.rendering import CHART, load_values, render_values

RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _group(name: str, queues: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "queues": queues, "replicaCount": 1, "resources": RESOURCES, **extra}


# (what is wrong, the change to the defaults scenario, what the message must say)
SCHEMA_CASES = [
    ("no secret key", {"secrets": {"secretKey": ""}}, "/secrets/secretKey': minLength: got 0, want 32"),
    ("short secret key", {"secrets": {"secretKey": "too-short"}}, "/secrets/secretKey': minLength"),
    ("no database", {"secrets": {"databaseUrl": ""}}, "/secrets/databaseUrl'"),
    ("a MySQL database", {"secrets": {"databaseUrl": "mysql://db/ccokit"}}, "/secrets/databaseUrl': 'mysql://db/ccokit' does not match"),
    ("no Redis", {"secrets": {"redisUrl": ""}}, "/secrets/redisUrl'"),
    ("one S3 key of two", {"secrets": {"awsAccessKeyId": "AKIA"}}, "/secrets/awsSecretAccessKey': minLength"),
    ("inline secrets with an existing Secret", {"secrets": {"existingSecret": "mine"}}, "/secrets/secretKey': value must be ''"),
    ("plain http in production", {"config": {"baseUrl": "http://ccokit.example.com"}}, "/config/baseUrl': 'http://ccokit.example.com' does not match pattern '^https://'"),
    ("no base URL", {"config": {"baseUrl": ""}}, "/config/baseUrl'"),
    ("blobs on a local disk", {"config": {"storageUrl": "file:///var/blobs"}}, "/config/storageUrl': 'file:///var/blobs' does not match"),
    ("an unknown environment", {"config": {"env": "staging"}}, "/config/env': value must be one of"),
    ("an unknown log level", {"config": {"logLevel": "verbose"}}, "/config/logLevel'"),
    ("a secret as plain configuration", {"config": {"extraEnv": {"CCOKIT_SECRET_KEY": "x" * 40}}}, "invalid propertyName 'CCOKIT_SECRET_KEY'"),
    ("a variable that is not ccokit's", {"config": {"extraEnv": {"DEBUG": "1"}}}, "invalid propertyName 'DEBUG'"),
    ("a scheduler replica count", {"scheduler": {"replicaCount": 2}}, "/scheduler': additional properties 'replicaCount' not allowed"),
    ("a misspelt key", {"web": {"replicas": 3}}, "/web': additional properties 'replicas' not allowed"),
    ("replicas as text", {"web": {"replicaCount": "3"}}, "/web/replicaCount'"),
    ("a privileged port", {"web": {"port": 80}}, "/web/port': minimum: got 80"),
    ("no relay", {"relay": {"replicaCount": 0}}, "/relay/replicaCount': minimum: got 0, want 1"),
    ("an unknown queue", {"workers": {"groups": [_group("all", ["events", "webhook", "default"])]}}, "/workers/groups/0/queues/1': value must be one of 'events', 'webhooks', 'default'"),
    ("no worker groups", {"workers": {"groups": []}}, "/workers/groups': minItems: got 0, want 1"),
    ("a group name that is not a DNS label", {"workers": {"groups": [_group("Web Hooks", ["events", "webhooks", "default"])]}}, "/workers/groups/0/name'"),
    # Values merge into the defaults, so removing limits takes a null, as with `--set ...=null`.
    ("a container without limits", {"relay": {"resources": {"limits": None}}}, "/relay/resources': missing property 'limits'"),
    ("a container without a memory request", {"web": {"resources": {"requests": {"memory": None}}}}, "/web/resources/requests': missing property 'memory'"),
    ("root", {"securityContext": {"runAsNonRoot": False}}, "/securityContext/runAsNonRoot': value must be true"),
    ("a writable root filesystem", {"securityContext": {"readOnlyRootFilesystem": False}}, "/securityContext/readOnlyRootFilesystem': value must be true"),
    ("privilege escalation", {"securityContext": {"allowPrivilegeEscalation": True}}, "/securityContext/allowPrivilegeEscalation': value must be false"),
    ("an Ingress without hosts", {"ingress": {"enabled": True}}, "/ingress/hosts'"),
    ("a TLS entry without a Secret", {"ingress": {"enabled": True, "hosts": [{"host": "a.example.com"}], "tls": [{"hosts": ["a.example.com"]}]}}, "/ingress/tls/0': missing property 'secretName'"),
    ("an unknown pull policy", {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy'"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in SCHEMA_CASES], ids=[c[0] for c in SCHEMA_CASES])
def test_the_schema_rejects_wrong_values_naming_them(change: dict[str, Any], message: str) -> None:
    values = _merge(load_values("defaults"), change)
    with helm_python.Chart.load(CHART) as chart, pytest.raises(helm_python.HelmValuesError) as caught:
        chart.validate_schema(values)
    assert message in str(caught.value)


def test_lint_reports_schema_errors_too() -> None:
    values = _merge(load_values("defaults"), {"secrets": {"secretKey": ""}})
    report = helm_python.lint(CHART, values, strict=True)
    assert any("/secrets/secretKey" in m["error"] for m in report["messages"])


def test_the_chart_defaults_alone_are_refused_until_the_operator_says_where_things_are() -> None:
    with helm_python.Chart.load(CHART) as chart, pytest.raises(helm_python.HelmValuesError) as caught:
        chart.validate_schema({})
    for path in ("/config/baseUrl", "/config/storageUrl", "/secrets/secretKey"):
        assert path in str(caught.value)


TEMPLATE_CASES = [
    ("a queue nobody serves", {"workers": {"groups": [_group("events", ["events", "default"])]}},
     'no group serves the queue "webhooks"'),
    ("two groups with one name", {"workers": {"groups": [_group("a", ["events", "default"]), _group("a", ["webhooks"])]}},
     'the name "a" is used twice'),
    ("a web autoscaler upside down", {"web": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}},
     "web.autoscaling: minReplicas (5) is above maxReplicas (2)"),
    ("a worker autoscaler upside down",
     {"workers": {"groups": [_group("all", ["events", "webhooks", "default"],
                                    autoscaling={"enabled": True, "minReplicas": 3, "maxReplicas": 1})]}},
     "workers.groups[all].autoscaling: minReplicas (3) is above maxReplicas (1)"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in TEMPLATE_CASES], ids=[c[0] for c in TEMPLATE_CASES])
def test_the_templates_reject_what_the_schema_cannot_express(change: dict[str, Any], message: str) -> None:
    with pytest.raises(helm_python.HelmError) as caught:
        render_values(_merge(load_values("defaults"), change))
    assert message in str(caught.value)


def test_development_environments_may_use_plain_http() -> None:
    values = _merge(load_values("defaults"), {"config": {"env": "development", "baseUrl": "http://ccokit.local"}})
    assert render_values(values)
