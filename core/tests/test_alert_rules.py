"""The PrometheusRule parses and names only metrics (and labels) that core.metrics exposes: an alert on
a misspelt metric would never fire."""

import re

import yaml
from django.conf import settings
from prometheus_client import REGISTRY

from core import metrics

RULES_FILE = settings.BASE_DIR / "deploy" / "k8s" / "base" / "prometheusrule.yaml"
SELECTOR = re.compile(r"\b(tabib_[a-z0-9_]+)\s*(?:\{([^}]*)\})?")
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}


def exposed_series() -> dict[str, set[str]]:
    """Every series name our metrics expose -> the label names it carries."""
    series: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if not hasattr(value, "_labelnames") or not hasattr(value, "_type"):
            continue
        for suffix in SUFFIXES[value._type]:
            labels = set(value._labelnames) | ({"le"} if suffix == "_bucket" else set())
            series[value._name + suffix] = labels
    return series


def alert_rules() -> list[dict]:
    document = yaml.safe_load(RULES_FILE.read_text())
    assert document["apiVersion"] == "monitoring.coreos.com/v1" and document["kind"] == "PrometheusRule"
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


def test_rules_are_well_formed_and_cover_the_required_failures():
    rules = alert_rules()

    for rule in rules:
        assert rule["alert"].startswith("Tabib") and rule["expr"].strip()
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
    names = " ".join(rule["expr"] for rule in rules)
    for required in (
        "tabib_payment_failures_total",
        "tabib_notification_failures_total",
        'tabib_http_request_duration_seconds_count{status=~"5.."}',
        "tabib_socket_delivery_errors_total",
    ):
        assert required in names


def test_every_metric_and_label_in_the_rules_is_exposed():
    exposed = exposed_series()
    registered = {family.name for family in REGISTRY.collect()}
    assert {name.removesuffix("_total") for name in exposed if name.endswith("_total")} <= registered

    for rule in alert_rules():
        expr = rule["expr"]
        used = SELECTOR.findall(expr)
        assert used, f"{rule['alert']} names no tabib metric"
        for name, selector in used:
            assert name in exposed, f"{rule['alert']}: {name} is not a metric we expose"
            for label in re.findall(r"([a-z_]+)\s*[=!~]", selector):
                assert label in exposed[name], f"{rule['alert']}: {name} has no label {label}"
        for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            for label in (part.strip() for part in grouping.split(",")):
                assert any(label in exposed[name] for name, _ in used), f"{rule['alert']}: no label {label}"
