"""The example shop's compose files and k8s set: the one planted override conflict, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import SHOP_SECRETS, copy_shop, snapshot
from parity.project import discover
from parity.sources import collect, collect_values, secret_values, source_findings, writable_target


def test_production_has_exactly_the_planted_override_conflict(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    findings = source_findings(project, "production")
    assert [(f.code, f.service, f.key, f.file, f.line) for f in findings] == [
        ("SRC005", "worker", "LOG_LEVEL", "compose.production.yml", 11)
    ]
    (f,) = findings
    assert "services/worker/.env.production:2" in f.message
    assert f.fix is not None and f.fix.startswith("change LOG_LEVEL in compose.production.yml:11")
    target = writable_target(project, "worker", "production", "LOG_LEVEL")
    assert (target.file, target.line, target.env_file) == (root / "compose.production.yml", 11, False)


def test_staging_and_example_are_clean(tmp_path: Path) -> None:
    project = discover(copy_shop(tmp_path))
    assert source_findings(project, "staging") == []
    assert source_findings(project, "example") == []
    assert all(collect(project, s, "example") == () for s in project.services)


def test_production_layers_per_service(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    layers = {s.name: collect_values(project, s, "production") for s in project.services}
    # api runs on Kubernetes: one k8s layer, values from the ConfigMaps, the Secret and the Deployment.
    (api,) = layers["api"]
    assert {v.key: v.layer for v in api} == dict.fromkeys(
        [
            "LOG_FORMAT",
            "LOG_LEVEL",
            "DATABASE_URL",
            "TIMEZONE",
            "SENTRY_ENVIRONMENT",
            "PORT",
            "API_SECRET_KEY",
        ],
        "k8s",
    )
    secret = next(v for v in api if v.key == "API_SECRET_KEY")
    assert secret.secret and secret.file == root / "k8s/production/secrets.yaml"
    assert secret.value in secret_values(project, "production")
    # worker runs with compose; its env_files are the ones parity reads anyway.
    (worker,) = layers["worker"]
    assert [(v.key, v.value, v.detail) for v in worker] == [
        ("TIMEZONE", "Europe/Berlin", "environment"),
        ("LOG_LEVEL", "debug", "environment"),
    ]
    assert layers["web"] == ()


def test_reading_sources_writes_nothing_and_prints_no_secret(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    before = snapshot(root)
    project = discover(root)
    dumped = ""
    for env in ("production", "staging", "example"):
        for s in project.services:
            collect(project, s, env)
            writable_target(project, s, env, "API_SECRET_KEY")
        dumped += json.dumps([f.as_dict() for f in source_findings(project, env)])
    assert snapshot(root) == before
    for secret in SHOP_SECRETS:
        assert secret not in dumped


def test_results_follow_edits_to_the_sources(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    assert len(source_findings(project, "production")) == 1
    compose = root / "compose.production.yml"
    compose.write_text(compose.read_text().replace("LOG_LEVEL=debug", "LOG_LEVEL=info"), encoding="utf-8")
    assert source_findings(project, "production") == []
    cm = root / "k8s/production/api.yaml"
    cm.write_text(cm.read_text().replace("  LEVEL: info", "  LEVEL: warning"), encoding="utf-8")
    (f,) = source_findings(project, "production")
    assert (f.service, f.key, f.file, f.line) == ("api", "LOG_LEVEL", "k8s/production/api.yaml", 9)
