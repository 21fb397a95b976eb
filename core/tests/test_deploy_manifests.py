"""deploy/check_manifests.py (run by `make lint`) and what the rendered Kubernetes manifests promise."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_manifests", ROOT / "deploy" / "check_manifests.py")
check_manifests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_manifests)

needs_kustomize = pytest.mark.skipif(
    not (shutil.which("kubectl") or shutil.which("kustomize")), reason="needs kubectl or kustomize on the PATH"
)


def deployment(env: list[dict], env_from: list[dict]) -> dict:
    container = {"name": "web", "image": "tabib", "env": env, "envFrom": env_from}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "tabib-web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
        },
    }


def test_every_way_the_settings_read_a_variable_is_found(tmp_path):
    (tmp_path / "base.py").write_text(
        'A = env("ALPHA")\nB = env.int("BETA", default=1)\nC = env.email_url(\n    "GAMMA")\nD = env.list(\'DELTA\')\n'
    )

    assert check_manifests.settings_env_vars(tmp_path) == {"ALPHA", "BETA", "GAMMA", "DELTA"}


def test_a_variable_no_manifest_gives_is_reported():
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"ALPHA": "1"}}
    secret_env = [{"name": "BETA", "valueFrom": {"secretKeyRef": {"name": "s", "key": "BETA"}}}]
    documents = [config_map, deployment(secret_env, [{"configMapRef": {"name": "cfg"}}])]

    assert check_manifests.env_gaps(documents, {"ALPHA", "BETA"}) == []
    assert check_manifests.env_gaps(documents, {"ALPHA", "BETA", "GAMMA"}) == ["Deployment/tabib-web lacks GAMMA"]


def test_schema_validation_refuses_a_misspelt_field():
    broken = deployment([], [])
    broken["spec"]["template"]["spec"]["terminationGracePeriodSecondz"] = 60

    errors = check_manifests.schema_errors([broken], "1.33.0")

    assert len(errors) == 1
    assert "terminationGracePeriodSecondz" in errors[0]


@needs_kustomize
def test_rendered_production_overlay_keeps_its_promises():
    documents = check_manifests.render(ROOT / "deploy" / "k8s" / "overlays" / "prod")
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}

    assert check_manifests.schema_errors(documents, "1.33.0") == []
    required = check_manifests.settings_env_vars() | check_manifests.env_example_vars()
    assert check_manifests.env_gaps(documents, required) == []
    beat = by_name[("Deployment", "tabib-beat")]["spec"]
    assert (beat["replicas"], beat["strategy"]["type"]) == (1, "Recreate")
    web = by_name[("Deployment", "tabib-web")]["spec"]["template"]["spec"]
    container = web["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert web["terminationGracePeriodSeconds"] > int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    config = next(doc for doc in documents if doc["kind"] == "ConfigMap")["data"]
    assert config["BEHIND_PROXY"] == "true" and "--proxy-headers" in container["args"]
    assert not any(doc["kind"] == "Secret" for doc in documents)
    for doc in documents:
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert all(c["securityContext"]["readOnlyRootFilesystem"] for c in pod["containers"])
    assert {"PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Ingress", "Job"} <= {
        doc["kind"] for doc in documents
    }


@needs_kustomize
def test_prometheus_can_scrape_each_web_pod_by_its_ip_and_nobody_outside_can():
    documents = check_manifests.render(ROOT / "deploy" / "k8s" / "overlays" / "prod")
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}

    web = by_name[("Deployment", "tabib-web")]["spec"]["template"]["spec"]["containers"][0]
    pod_ip = next(entry for entry in web["env"] if entry["name"] == "POD_IP")
    assert pod_ip["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    sources = by_name[("NetworkPolicy", "tabib-web-ingress")]["spec"]["ingress"][0]["from"]
    namespaces = {source["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for source in sources}
    assert namespaces == {"ingress-nginx", "monitoring"}
    snippet = by_name[("Ingress", "tabib")]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/server-snippet"]
    assert "location = /metrics { return 404; }" in snippet


def prometheus_rule(rules: list[dict]) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "tabib"},
        "spec": {"groups": [{"name": "g", "rules": rules}]},
    }


def test_a_prometheus_rule_is_checked_by_shape_not_by_the_kubernetes_schemas():
    good = prometheus_rule([{"alert": "A", "expr": "up == 0", "for": "5m", "labels": {"severity": "warning"}}])
    broken = prometheus_rule([{"alert": "A", "record": "r", "expr": " ", "fro": "5m"}])

    assert check_manifests.schema_errors([good], "1.33.0") == []
    assert check_manifests.schema_errors([broken], "1.33.0") == [
        "PrometheusRule/tabib: spec.groups.0.rules.0: unknown field 'fro'",
        "PrometheusRule/tabib: spec.groups.0.rules.0: exactly one of alert or record",
        "PrometheusRule/tabib: spec.groups.0.rules.0: expr is required",
    ]


@needs_kustomize
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_overlay_renders_the_alert_rules(overlay):
    documents = check_manifests.render(ROOT / "deploy" / "k8s" / "overlays" / overlay)

    rules = [doc for doc in documents if doc["kind"] == "PrometheusRule"]
    assert [doc["apiVersion"] for doc in rules] == ["monitoring.coreos.com/v1"]
    alerts = {rule["alert"] for group in rules[0]["spec"]["groups"] for rule in group["rules"]}
    assert {"TabibPaymentGatewayErrors", "TabibNotificationsFailing", "TabibHigh5xxRate"} <= alerts
    assert {"TabibSocketDeliveryErrors"} <= alerts
    assert check_manifests.prometheus_rule_errors(rules[0]) == []
