"""Discovery and env gap analysis on examples/shop and on small repos built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import SHOP

from parity.env.diff import diff_env
from parity.errors import ConfigError, ParityError
from parity.facts import env_files
from parity.model.findings import Severity
from parity.project import discover, environment_of
from parity.sources import source_findings
from parity.workflow.envflow import load_project


def _codes(findings: object) -> set[tuple[str, str | None, str | None]]:
    return {(f.code, f.service, f.key) for f in findings}  # type: ignore[attr-defined]


def test_discovery_of_the_example() -> None:
    project = discover(SHOP)
    assert [s.name for s in project.services] == ["api", "web", "worker"]
    assert project.environments == ("staging", "production")
    assert project.shared.env_files["production"] == SHOP / ".env.production"
    assert project.services[0].example == SHOP / "services/api/.env.example"


@pytest.mark.parametrize(
    ("name", "env"),
    [
        (".env.production", "production"),
        (".env.prod", "production"),
        (".env.staging", "staging"),
        (".env", None),
        (".env.example", None),
        (".env.production.bak", None),
        (".env.local", None),
    ],
)
def test_environment_names(name: str, env: str | None) -> None:
    assert environment_of(name) == env


def test_every_planted_gap_is_found() -> None:
    project, env = load_project(SHOP, "production")
    diff = diff_env(project, env, files=env_files(project))
    findings = (*diff.findings, *source_findings(project, env))
    found = _codes(findings)
    expected = {
        ("ENV001", "api", "FEATURE_ENABLE_EXPORTS"),
        ("ENV001", "api", "EXPORTS_BUCKET"),
        ("ENV002", "worker", "QUEUE_URL"),
        ("ENV003", "web", "OLD_ANALYTICS_ID"),
        ("ENV004", "api", "LOG_LEVEL"),
        ("ENV005", "worker", "MAX_RETRIES"),
        ("ENV006", None, "TIMEZONE"),
        ("ENV006", None, "LOG_LEVEL"),  # compose.production.yml sets debug for the worker at run time
        ("ENV007", None, "SENTRY_ENVIRONMENT"),
        ("SRC005", "worker", "LOG_LEVEL"),
        ("ENV008", "web", "CDN_URL"),
        ("ENV009", "worker", None),
    }
    assert expected <= found, expected - found
    # Nothing but the planted gaps fails the check.
    errors = {(f.code, f.service, f.key) for f in findings if f.severity is Severity.ERROR}
    assert errors == {e for e in expected if e[0] in {"ENV001", "ENV002", "ENV005", "ENV008", "ENV009"}}


def test_findings_point_at_file_and_line() -> None:
    project, env = load_project(SHOP, "production")
    by_code = {f.code: f for f in diff_env(project, env, files=env_files(project)).findings}
    assert (by_code["ENV009"].file, by_code["ENV009"].line) == ("services/worker/.env.production", 8)
    assert (by_code["ENV005"].file, by_code["ENV005"].line) == ("services/worker/.env.production", 6)
    assert by_code["ENV001"].file == "services/api/.env.production"
    assert "parity env sync" in (by_code["ENV001"].fix or "")


def test_staging_as_reference() -> None:
    project, env = load_project(SHOP, "production", "staging")
    diff = diff_env(project, env, "staging", env_files(project))
    assert ("ENV001", "api", "FEATURE_ENABLE_EXPORTS") in _codes(diff.findings)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_root_layer_is_inherited_and_service_wins(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            ".env.production": "REGION=eu\nLOG_LEVEL=info\n",
            "apps/a/.env.example": "REGION=\nLOG_LEVEL=\n",
            "apps/a/.env.production": "LOG_LEVEL=debug\n",
            "apps/b/.env.example": "REGION=\n",
            "apps/b/.env.production": "",
        },
    )
    project, env = load_project(root, "production")
    diff = diff_env(project, env, files=env_files(project))
    a = diff.targets["a"]
    assert a.get("REGION") == "eu" and a.values["REGION"].layer == "root"
    assert a.get("LOG_LEVEL") == "debug" and a.values["LOG_LEVEL"].layer == "service"
    assert not [f for f in diff.findings if f.code == "ENV001"]


def test_gitignored_and_vendor_folders_are_skipped(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            ".gitignore": "ignored/\n",
            "svc/.env.example": "A=1\n",
            "svc/.env.production": "A=1\n",
            "ignored/x/.env.production": "B=1\n",
            "node_modules/pkg/.env.production": "C=1\n",
            "a/b/c/d/.env.production": "TOO_DEEP=1\n",
        },
    )
    assert [s.name for s in discover(root).services] == ["svc"]


def test_declared_override_is_not_drift(tmp_path: Path) -> None:
    files = {
        "s1/.env.example": "CACHE_TTL=\n",
        "s1/.env.production": "CACHE_TTL=60\n",
        "s2/.env.example": "CACHE_TTL=\n",
        "s2/.env.production": "CACHE_TTL=300\n",
    }
    root = _repo(tmp_path, files)
    project, env = load_project(root, "production")
    assert "ENV006" in {f.code for f in diff_env(project, env, files=env_files(project)).findings}
    (root / "parity.toml").write_text('overrides = ["CACHE_TTL"]\n')
    project, env = load_project(root, "production")
    assert "ENV006" not in {f.code for f in diff_env(project, env, files=env_files(project)).findings}


def _drift(root: Path) -> set[str]:
    project, env = load_project(root, "production")
    return {
        f.key or "" for f in diff_env(project, env, files=env_files(project)).findings if f.code == "ENV006"
    }


def test_keys_meant_to_differ_are_no_drift(tmp_path: Path) -> None:
    # Shaped after microservice demos: each service listens on its own port and names itself for
    # tracing, while a shared collector must be the same server (the port may differ: gRPC or HTTP).
    compose = (
        "services:\n"
        "  cart:\n    image: demo/cart\n    environment:\n"
        "      PORT: '7070'\n      OTEL_SERVICE_NAME: cart\n      OTEL_RESOURCE_ATTRIBUTES: service.namespace=demo,service.name=cart\n"
        "      COLLECTOR_URL: http://otel:4317\n      SPRING_PROFILES_ACTIVE: docker,mysql\n"
        "  checkout:\n    image: demo/checkout\n    environment:\n"
        "      PORT: '5050'\n      OTEL_SERVICE_NAME: checkout\n      OTEL_RESOURCE_ATTRIBUTES: service.namespace=demo,service.name=checkout\n"
        "      SPRING_PROFILES_ACTIVE: production\n"
        "      COLLECTOR_URL: http://otel-old:4317\n"
    )
    root = _repo(tmp_path, {"compose.yaml": compose})
    assert _drift(root) == {"COLLECTOR_URL"}


def test_drift_is_within_one_deployment(tmp_path: Path) -> None:
    # A repository of separate compose projects (one folder each): the same name, different apps.
    def project(db: str, pool: str) -> str:
        return (
            f"services:\n  {db}-db:\n    image: postgres:16\n    environment:\n"
            f"      POSTGRES_DB: {db}\n      POOL: '{pool}'\n"
            f"  {db}-cache:\n    image: redis:7\n    environment:\n      POOL: '10'\n"
        )

    root = _repo(
        tmp_path, {"gitea/compose.yaml": project("gitea", "5"), "wiki/compose.yaml": project("wiki", "10")}
    )
    # POSTGRES_DB differs only across the two projects; POOL differs inside gitea's.
    assert _drift(root) == {"POOL"}


def test_invalid_config_names_file_and_key(tmp_path: Path) -> None:
    # An unknown reference name is checked against the environments at run time (tests/test_reference.py);
    # one that cannot name anything is refused with the config.
    root = _repo(tmp_path, {"svc/.env.production": "A=1\n", "parity.toml": "reference = '../staging'\n"})
    with pytest.raises(ConfigError) as info:
        discover(root)
    assert info.value.key == "reference"
    assert info.value.file and info.value.file.endswith("parity.toml")


def test_config_in_pyproject(tmp_path: Path) -> None:
    root = _repo(
        tmp_path, {"svc/.env.production": "A=1\n", "pyproject.toml": "[tool.parity]\nunknown_key = 1\n"}
    )
    with pytest.raises(ConfigError, match=r"tool\.parity\.unknown_key"):
        discover(root)


def test_unknown_environment_is_a_usage_error() -> None:
    with pytest.raises(ParityError, match="unknown environment 'qa'"):
        load_project(SHOP, "qa")
    _project, env = load_project(SHOP, "prod")  # alias
    assert env == "production"


def test_values_that_name_one_server_in_different_protocols_or_drivers_are_not_drift() -> None:
    # Shaped after opentelemetry-demo: OTLP over HTTP (4318) in one service and gRPC (4317) in
    # another, a .NET keyword connection string and a Go URL to the same database.
    from parity.env.diff import same_server

    assert same_server(["http://otel-collector:4318", "http://otel-collector:4317/v1"])
    assert same_server(
        ["Host=postgres;Username=a;Database=shop", "postgres://a:x@postgres/shop?sslmode=disable"]
    )
    assert not same_server(["http://collector-a:4318", "http://collector-b:4318"])
    assert not same_server(["debug", "info"])
