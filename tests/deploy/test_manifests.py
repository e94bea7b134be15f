"""The deployment files agree with the code they deploy: every manifest parses, the search
attributes created on the cluster are the ones the dev stack and the workflows use, the probes
name paths the processes serve, and every setting they pass is one the code reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.routes import health
from cli.devstack import load_config
from observability.worker_http import PATHS as WORKER_PATHS
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
SOURCES = ("settings", "api", "workers", "connection", "cli", "activities", "observability")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def names_the_code_reads() -> set[str]:
    """Every quoted upper-case name in the processes' code: the environment settings among them."""
    text = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in SOURCES
        for path in (ROOT / folder).rglob("*.py")
    )
    return set(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", text))


def test_there_are_manifests_and_each_parses_to_named_kubernetes_objects() -> None:
    assert len(MANIFESTS) >= 4
    for path in MANIFESTS:
        for doc in documents(path):
            assert doc["apiVersion"] and doc["kind"], path.name
            assert doc["metadata"]["name"], path.name


def test_the_cluster_gets_the_dev_stacks_search_attributes() -> None:
    job = documents(DEPLOY / "k8s" / "temporal-search-attributes.yaml")[0]
    script = containers(job)[0]["args"][0]
    kinds = "Keyword|Int|Bool|Datetime|Double|Text"
    created = dict(re.findall(rf"\b([A-Z][A-Za-z]+)=({kinds})\b", script))
    assert created == load_config(ROOT / "temporal-dev.yml").search_attributes


def test_the_temporal_values_keep_history_and_sql_visibility_on_postgresql() -> None:
    values = yaml.safe_load((DEPLOY / "helm" / "temporal-values.yaml").read_text(encoding="utf-8"))
    persistence = values["server"]["config"]["persistence"]
    for store in ("default", "visibility"):
        assert persistence[store]["driver"] == "sql"
        assert persistence[store]["sql"]["driver"] == "postgres12"
    assert values["server"]["config"]["numHistoryShards"] >= 512
    assert values["elasticsearch"]["enabled"] is False
    namespaces = values["server"]["config"]["namespaces"]["namespace"]
    config = documents(DEPLOY / "k8s" / "hotline-config.yaml")[0]
    assert config["data"]["TEMPORAL_NAMESPACE"] in {n["name"] for n in namespaces}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_setting_a_manifest_passes_is_read_by_the_code(path: Path) -> None:
    read = names_the_code_reads()
    for doc in documents(path):
        names = list(doc.get("data", {})) if doc["kind"] == "ConfigMap" else []
        for container in containers(doc):
            names += [env["name"] for env in container.get("env", [])]
        for name in names:
            # OTEL_* are read by the OpenTelemetry SDK itself.
            assert name in read or name.startswith("OTEL_"), f"{path.name}: {name} is unread"


def test_probes_name_paths_the_processes_serve() -> None:
    api_paths = {getattr(route, "path", "") for route in health.router.routes}
    worker_paths = set(WORKER_PATHS)
    probed = 0
    for path in MANIFESTS:
        for doc in documents(path):
            for container in containers(doc):
                served = api_paths if container["command"][-1] == "api" else worker_paths
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if probe in container:
                        assert container[probe]["httpGet"]["path"] in served, (path.name, probe)
                        probed += 1
    assert probed >= 7
