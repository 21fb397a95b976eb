"""`make lint`: render every Kubernetes overlay, validate it against the Kubernetes schemas, and check
that every environment variable the settings read is listed in .env.example and given to every
process (Deployment and Job) by the manifests.

Renders with `kubectl kustomize` (or a `kustomize` binary); validates with kubernetes-validate.
Usage: python deploy/check_manifests.py [--kubernetes-version 1.33.0]
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
SETTINGS_DIR = ROOT / "config" / "settings"
ENV_EXAMPLE = ROOT / ".env.example"
# env("X"), env.int("X", ...), env.email_url("X"), env.db("X"), ... as django-environ reads them.
ENV_READ = re.compile(r"\benv(?:\.[a-z_]+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
# `NAME=value`, or `#NAME=` for an optional setting whose default an empty value would override.
ENV_EXAMPLE_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
WORKLOAD_KINDS = ("Deployment", "Job")
# Custom resources kubernetes-validate has no schema for (it knows the core API only): checked here
# by shape instead, and said so in the output.
CRD_GROUPS = ("monitoring.coreos.com",)
RULE_GROUP_KEYS = {"name", "interval", "limit", "rules", "partial_response_strategy"}
RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def settings_env_vars(settings_dir: Path = SETTINGS_DIR) -> set[str]:
    return {name for path in settings_dir.glob("*.py") for name in ENV_READ.findall(path.read_text())}


def env_example_vars(path: Path = ENV_EXAMPLE) -> set[str]:
    return set(ENV_EXAMPLE_LINE.findall(path.read_text()))


def kustomize_command() -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    sys.exit("kubectl (Debian: apt-get install kubernetes-client) or kustomize is needed to render deploy/k8s")


def render(overlay: Path) -> list[dict]:
    command = [*kustomize_command(), str(overlay)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603 (our own paths)
    return [doc for doc in yaml.safe_load_all(output) if doc]


def is_custom_resource(doc: dict) -> bool:
    return doc["apiVersion"].split("/")[0] in CRD_GROUPS


def prometheus_rule_errors(doc: dict) -> list[str]:
    """The shape of a PrometheusRule (monitoring.coreos.com/v1): groups of named rules, each an
    alert or a recording rule with an expression; unknown keys are refused as the CRD would."""
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    groups = doc.get("spec", {}).get("groups")
    if not isinstance(groups, list) or not groups:
        return [f"{name}: spec.groups: a non-empty list is required"]
    errors = []
    for i, group in enumerate(groups):
        where = f"{name}: spec.groups.{i}"
        errors += [f"{where}: unknown field {key!r}" for key in sorted(set(group) - RULE_GROUP_KEYS)]
        if not group.get("name") or not group.get("rules"):
            errors.append(f"{where}: needs a name and rules")
        for j, rule in enumerate(group.get("rules") or []):
            at = f"{where}.rules.{j}"
            errors += [f"{at}: unknown field {key!r}" for key in sorted(set(rule) - RULE_KEYS)]
            if ("alert" in rule) == ("record" in rule):
                errors.append(f"{at}: exactly one of alert or record")
            if not str(rule.get("expr", "")).strip():
                errors.append(f"{at}: expr is required")
    return errors


def schema_errors(documents: list[dict], kubernetes_version: str) -> list[str]:
    errors = []
    for doc in documents:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if is_custom_resource(doc):
            errors += prometheus_rule_errors(doc) if doc["kind"] == "PrometheusRule" else [f"{name}: unknown CRD"]
            continue
        try:
            kubernetes_validate.validate(doc, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{name}: {'.'.join(str(part) for part in error.path)}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{name}: no schema ({error})")
    return errors


def provided_env(container: dict, documents: list[dict]) -> set[str]:
    """Names the container gets: its env entries and the keys of the ConfigMaps/Secrets it loads whole."""
    names = {entry["name"] for entry in container.get("env", [])}
    by_kind_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}
    for source in container.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                doc = by_kind_name.get((kind, source[key]["name"]), {})
                names |= set(doc.get("data", {})) | set(doc.get("stringData", {}))
    return names


def env_gaps(documents: list[dict], required: set[str]) -> list[str]:
    gaps = []
    for doc in documents:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        container = doc["spec"]["template"]["spec"]["containers"][0]
        missing = required - provided_env(container, documents)
        if missing:
            gaps.append(f"{doc['kind']}/{doc['metadata']['name']} lacks {', '.join(sorted(missing))}")
    return gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes-version", default="1.33.0")
    args = parser.parse_args()
    failures = []
    read = settings_env_vars()
    listed = env_example_vars()
    if read - listed:
        failures.append(f".env.example does not list {', '.join(sorted(read - listed))} (read by config/settings)")
    for overlay in sorted(path for path in OVERLAYS.iterdir() if path.is_dir()):
        documents = render(overlay)
        errors = schema_errors(documents, args.kubernetes_version)
        gaps = env_gaps(documents, read | listed)
        failures += [f"{overlay.name}: {line}" for line in errors + gaps]
        for doc in filter(is_custom_resource, documents):
            print(
                f"deploy/k8s/overlays/{overlay.name}: {doc['kind']}/{doc['metadata']['name']} "
                f"({doc['apiVersion']}): no Kubernetes schema for this CRD, its shape checked instead"
            )
        print(
            f"deploy/k8s/overlays/{overlay.name}: {len(documents)} objects, "
            f"{'valid' if not errors else 'INVALID'} against Kubernetes {args.kubernetes_version}, "
            f"{len(read | listed)} settings variables {'given to every process' if not gaps else 'MISSING'}"
        )
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
