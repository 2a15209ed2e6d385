"""Docker Compose as a config source: real compose files on disk, no Docker engine.

Conformance cases take their inputs and expected container env from the Compose
specification's and Docker's documented examples (what ``docker compose config`` shows).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from parity.model.findings import Finding
from parity.project import discover
from parity.sources import collect, collect_values, source_findings, writable_target
from parity.sources.base import Collector
from parity.sources.compose import compose_files, load_compose


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def project_with(tmp_path: Path, files: dict[str, str], services: tuple[str, ...] = ("webapp",)) -> Path:
    base = {f"services/{s}/.env.example": "PLACEHOLDER=\n" for s in services}
    return write(tmp_path, {**base, **files})


def compose_env(root: Path, service: str = "webapp", environment: str = "production") -> dict[str, str]:
    """The container env the compose layers give (env files parity reads anyway excluded)."""
    project = discover(root)
    out: dict[str, str] = {}
    for layer in collect(project, project.service(service), environment):
        for v in layer:
            assert v.layer == "compose"
            out[v.key] = v.value
    return out


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


# --- conformance: the documented examples -------------------------------------------


def test_spec_environment_map_syntax(tmp_path: Path) -> None:
    # Compose spec, services.environment, map syntax; USER_INPUT has no value and no
    # variable to take it from, so the container does not get it.
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  RACK_ENV: development
                  SHOW: "true"
                  USER_INPUT:
            """
        },
    )
    assert compose_env(root) == {"RACK_ENV": "development", "SHOW": "true"}


def test_spec_environment_list_syntax_is_equivalent(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  - RACK_ENV=development
                  - SHOW=true
                  - USER_INPUT
                  - EMPTY=
                  - WITH_EQUALS=a=b
            """
        },
    )
    assert compose_env(root) == {"RACK_ENV": "development", "SHOW": "true", "EMPTY": "", "WITH_EQUALS": "a=b"}


def test_bare_key_takes_the_project_variable(tmp_path: Path) -> None:
    # `- DEBUG` passes the variable through; the project .env provides it.
    root = project_with(
        tmp_path,
        {
            ".env": "DEBUG=1\n",
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  - DEBUG
                  - NOT_DEFINED
            """,
        },
    )
    assert compose_env(root) == {"DEBUG": "1"}


def test_spec_env_file_order_last_file_wins(tmp_path: Path) -> None:
    # Compose spec, services.env_file: files are processed top down; for a variable in
    # two files, the value from the last file in the list stands. The example file format:
    # comments, blank lines and quoted values.
    root = project_with(
        tmp_path,
        {
            "a.env": """
            # Set Rails/Rack environment
            RACK_ENV=development
            VAR="quoted"
            ONLY_A=a
            """,
            "b.env": "RACK_ENV=production\n\nONLY_B=b\n",
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                env_file:
                  - ./a.env
                  - ./b.env
            """,
        },
    )
    assert compose_env(root) == {"RACK_ENV": "production", "VAR": "quoted", "ONLY_A": "a", "ONLY_B": "b"}


def test_docs_environment_attribute_wins_over_env_file(tmp_path: Path) -> None:
    # Docker docs, environment variable precedence: webapp.env says NODE_ENV=test, the
    # environment attribute says production; the container runs with production.
    root = project_with(
        tmp_path,
        {
            "webapp.env": "NODE_ENV=test\n",
            "compose.yaml": """
            services:
              webapp:
                image: 'webapp'
                build: ./services/webapp
                env_file:
                  - ./webapp.env
                environment:
                  - NODE_ENV=production
            """,
        },
    )
    project = discover(root)
    layers = collect(project, project.service("webapp"), "production")
    assert [[(v.key, v.value) for v in layer] for layer in layers] == [
        [("NODE_ENV", "test")],  # env_file layer (lower)
        [("NODE_ENV", "production")],  # environment layer (higher)
    ]
    assert compose_env(root) == {"NODE_ENV": "production"}


def test_docs_interpolation_from_project_dotenv(tmp_path: Path) -> None:
    # Docker docs, variable interpolation: .env has TAG=v1.5; image "webapp:${TAG}".
    root = project_with(
        tmp_path,
        {
            ".env": "TAG=v1.5\n",
            "compose.yaml": """
            services:
              webapp:
                image: "webapp:${TAG}"
                build: ./services/webapp
                environment:
                  IMAGE_TAG: ${TAG}
                  COMMAND: "$$VAR_NOT_INTERPOLATED_BY_COMPOSE"
            """,
        },
    )
    project = discover(root)
    col = Collector(project.root, "production")
    compose = load_compose(project, "production", col)
    assert compose is not None
    assert compose.services["webapp"].image == "webapp:v1.5"
    assert compose_env(root) == {"IMAGE_TAG": "v1.5", "COMMAND": "$VAR_NOT_INTERPOLATED_BY_COMPOSE"}


def test_docs_merge_adds_environment_of_later_file(tmp_path: Path) -> None:
    # Docker docs, merge: compose.admin.yaml adds DEBUG=1 to webapp; later files win per key.
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                image: examples/web
                build: ./services/webapp
                ports:
                  - "8000:8000"
                environment:
                  KEPT: base
                  CHANGED: base
            """,
            "compose.admin.yaml": """
            services:
              webapp:
                environment:
                  - DEBUG=1
                  - CHANGED=admin
            """,
            "parity.toml": """
            [sources]
            compose_files = { admin = ["compose.yaml", "compose.admin.yaml"] }
            """,
        },
    )
    assert compose_env(root, environment="admin") == {"KEPT": "base", "CHANGED": "admin", "DEBUG": "1"}


# --- interpolation in a real file: every form ------------------------------------------


def test_every_interpolation_form_in_a_compose_file(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            ".env": "SET=value\nEMPTY=\nHOST=db.internal\nURL=postgres://${HOST}/shop\n",
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  DIRECT: ${SET}
                  UNBRACED: $SET
                  DEFAULT_UNSET: ${UNSET:-fallback}
                  DEFAULT_EMPTY: ${EMPTY:-fallback}
                  DASH_EMPTY: ${EMPTY-fallback}
                  DASH_UNSET: ${UNSET-fallback}
                  ALT_SET: ${SET:+alternative}
                  ALT_EMPTY: ${EMPTY:+alternative}
                  PLUS_EMPTY: ${EMPTY+alternative}
                  REQUIRED_SET: ${SET:?SET is required}
                  NESTED: ${UNSET:-${HOST:-x}}
                  ESCAPED: $${SET}
                  INTERPOLATED_DOTENV: ${URL}
                  NUMBER: 8000
                  BOOL: true
            """,
        },
    )
    assert compose_env(root) == {
        "DIRECT": "value",
        "UNBRACED": "value",
        "DEFAULT_UNSET": "fallback",
        "DEFAULT_EMPTY": "fallback",
        "DASH_EMPTY": "",
        "DASH_UNSET": "fallback",
        "ALT_SET": "alternative",
        "ALT_EMPTY": "",
        "PLUS_EMPTY": "alternative",
        "REQUIRED_SET": "value",
        "NESTED": "db.internal",
        "ESCAPED": "${SET}",
        "INTERPOLATED_DOTENV": "postgres://db.internal/shop",
        "NUMBER": "8000",
        "BOOL": "true",
    }
    assert source_findings(discover(root), "production") == []


def test_machine_environment_is_not_consulted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARITY_TEST_ONLY_IN_SHELL", "from-shell")
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  X: ${PARITY_TEST_ONLY_IN_SHELL:-default}
            """
        },
    )
    assert compose_env(root) == {"X": "default"}


def test_env_file_values_interpolate_but_single_quotes_stay_literal(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            ".env": "REGION=eu\n",
            "app.env": "BUCKET=shop-${REGION}\nLITERAL='${REGION}'\nCHAIN=${BUCKET}-logs\n",
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                env_file: app.env
            """,
        },
    )
    assert compose_env(root) == {"BUCKET": "shop-eu", "LITERAL": "${REGION}", "CHAIN": "shop-eu-logs"}


def test_env_file_raw_format_takes_values_literally(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            "raw.env": 'JSON={"key": "value"}\nQUOTED="kept"\n',
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                env_file:
                  - path: ./raw.env
                    format: raw
            """,
        },
    )
    assert compose_env(root) == {"JSON": '{"key": "value"}', "QUOTED": '"kept"'}


# --- files per environment, overrides, env files parity already reads -------------------


def shop_like(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            ".env.production": "LOG_FORMAT=json\n",
            ".env.staging": "LOG_FORMAT=json\n",
            "services/api/.env.production": "LOG_LEVEL=info\nPORT=8000\n",
            "services/api/.env.staging": "LOG_LEVEL=info\nPORT=8000\n",
            "services/api/extra.env": "FROM_EXTRA=1\nLOG_LEVEL=warning\n",
            "compose.yaml": """
            x-env: &common
              LOG_FORMAT: json
            services:
              backend:
                build:
                  context: ./services/api
                environment:
                  <<: *common
                  FROM_BASE: base
            """,
            "compose.override.yaml": """
            services:
              backend:
                environment:
                  FROM_OVERRIDE: dev-only
            """,
            "docker-compose.prod.yml": """
            services:
              backend:
                env_file:
                  - ./services/api/extra.env
                  - ./.env.production
                  - path: ./services/api/.env.production
                  - path: ./services/api/.env.production.local
                    required: false
                environment:
                  FROM_PROD: "yes"
            """,
        },
    )


def test_environment_file_is_chosen_with_aliases_and_override_only_without_it(tmp_path: Path) -> None:
    root = shop_like(tmp_path)
    project = discover(root)
    assert [p.name for p in compose_files(project, "production")] == [
        "compose.yaml",
        "docker-compose.prod.yml",
    ]
    assert [p.name for p in compose_files(project, "staging")] == ["compose.yaml", "compose.override.yaml"]
    assert compose_files(project, "example") == []


def test_compose_service_maps_by_build_context_and_known_env_files_are_not_repeated(tmp_path: Path) -> None:
    root = shop_like(tmp_path)
    project = discover(root)
    layers = collect_values(project, "api", "production")
    flat = {v.key: v for layer in layers for v in layer}
    # extra.env is read by compose only; LOG_LEVEL=warning from it loses to the service's
    # own .env.production listed after it, which parity reads anyway.
    assert {k: v.value for k, v in flat.items()} == {
        "FROM_EXTRA": "1",
        "LOG_FORMAT": "json",
        "FROM_BASE": "base",
        "FROM_PROD": "yes",
    }
    assert flat["FROM_EXTRA"].detail == "env_file" and flat["FROM_EXTRA"].file.name == "extra.env"
    assert flat["FROM_EXTRA"].line == 1
    assert flat["FROM_PROD"].file.name == "docker-compose.prod.yml" and flat["FROM_PROD"].line == 10
    assert flat["FROM_BASE"].file.name == "compose.yaml" and flat["FROM_BASE"].line == 9
    assert source_findings(project, "production") == []  # the optional missing file is fine
    staging = {v.key: v.value for layer in collect(project, project.service("api"), "staging") for v in layer}
    assert staging == {"LOG_FORMAT": "json", "FROM_BASE": "base", "FROM_OVERRIDE": "dev-only"}


def test_mapping_by_env_file_path_by_name_and_by_config(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "services/worker/.env.production": "A=1\n",
            "services/web/.env.production": "A=1\n",
            "compose.yaml": """
            services:
              backend:
                image: x
                env_file: services/api/.env.production
                environment: [WHO=backend]
              worker:
                image: y
                environment: [WHO=worker]
              frontend:
                image: z
                environment: [WHO=frontend]
            """,
            "parity.toml": '[sources]\nworkloads = { frontend = "web" }\n',
        },
    )
    project = discover(root)
    who = {
        s.name: [v.value for layer in collect(project, s, "production") for v in layer]
        for s in project.services
    }
    assert who == {"api": ["backend"], "web": ["frontend"], "worker": ["worker"]}


def test_override_conflict_names_the_file_that_must_change(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".env": "LEVEL=warning\n",
            "services/worker/.env.production": "LOG_LEVEL=info\nQUEUE=redis://q\nSAME=1\n",
            "compose.yaml": "services:\n  worker:\n    build: ./services/worker\n",
            "compose.production.yml": """
            services:
              worker:
                environment:
                  LOG_LEVEL: debug
                  QUEUE: ${QUEUE_URL:-redis://other}
                  SAME: 1
                  REMOTE: ${LEVEL}
            """,
        },
    )
    project = discover(root)
    findings = source_findings(project, "production")
    assert codes(findings) == ["SRC005", "SRC005"]
    by_key = {f.key: f for f in findings}
    level = by_key["LOG_LEVEL"]
    assert (level.file, level.line, level.service) == ("compose.production.yml", 4, "worker")
    assert "services/worker/.env.production:1" in level.message and "debug" in level.message
    assert level.fix is not None and "compose.production.yml:4" in level.fix
    assert ".env.production" not in level.fix.split(" (or")[0]  # never pretends the .env edit fixes it

    target = writable_target(project, "worker", "production", "LOG_LEVEL")
    assert (target.file.name, target.line, target.layer, target.env_file) == (
        "compose.production.yml",
        4,
        "compose",
        False,
    )
    # ${LEVEL} from the project .env: that .env line is what has to change.
    remote = writable_target(project, "worker", "production", "REMOTE")
    assert (remote.file.name, remote.line, remote.env_file) == (".env", 1, True)
    # Not overridden: the env file that holds it; unknown: the service's file, to add it.
    same = writable_target(project, "worker", "production", "NEW_KEY")
    assert (same.file.name, same.line, same.env_file) == (".env.production", None, True)


# --- bad input: a finding with file:line, never a crash ----------------------------------


def test_invalid_yaml_is_a_finding_with_line(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {"compose.yaml": "services:\n  webapp:\n    environment: [A=1\n    image: x\n"},
    )
    project = discover(root)
    assert collect(project, project.service("webapp"), "production") == ()
    (f,) = source_findings(project, "production")
    assert (f.code, f.file, f.severity.value) == ("SRC001", "compose.yaml", "error")
    assert f.line is not None and f.line >= 3


def test_unset_required_variable_is_a_finding(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  OK: fine
                  DATABASE_URL: ${DATABASE_URL:?set DATABASE_URL in .env}
            """
        },
    )
    project = discover(root)
    assert compose_env(root) == {"OK": "fine"}
    (f,) = source_findings(project, "production")
    assert (f.code, f.file, f.line, f.key, f.service) == (
        "SRC004",
        "compose.yaml",
        6,
        "DATABASE_URL",
        "webapp",
    )
    assert "set DATABASE_URL in .env" in f.message


def test_missing_required_env_file_invalid_format_and_unset_warning(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                env_file:
                  - ./missing.env
                  - path: ./optional.env
                    required: false
                environment:
                  - BAD=${VAR/foo/bar}
                  - BLANK=${NOT_SET_ANYWHERE}
            """
        },
    )
    findings = source_findings(discover(root), "production")
    assert [(f.code, f.line) for f in sorted(findings, key=lambda f: f.code)] == [
        ("SRC006", 5),
        ("SRC008", 9),
        ("SRC011", 10),
    ]
    assert compose_env(root) == {"BLANK": ""}
    # A variable inside another key's value breaks that value: a warning.
    assert next(f for f in findings if f.code == "SRC011").severity == "warning"


def test_unset_passthrough_variable_is_a_note(tmp_path: Path) -> None:
    # Shaped after self-hosting compose files that forward every optional setting as X=${X}.
    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
                environment:
                  - SMTP_USERNAME=${SMTP_USERNAME}
                  - PUBLIC_URL=https://${DOMAIN}/app
            """
        },
    )
    got = {f.key: f.severity for f in source_findings(discover(root), "production") if f.code == "SRC011"}
    assert got == {"SMTP_USERNAME": "info", "PUBLIC_URL": "warning"}


@pytest.mark.parametrize(
    "text",
    [
        "- just\n- a list\n",
        "services: [a, b]\n",
        "services:\n  webapp: 3\n",
        "services:\n  webapp:\n    build: ./services/webapp\n    environment: 5\n",
        "services:\n  webapp:\n    build: ./services/webapp\n    environment:\n      A: [1, 2]\n    env_file:\n      - {required: false}\n",
        "a: &x [*x]\n",
        "\x00binary",
        "",
    ],
)
def test_odd_shapes_never_crash(tmp_path: Path, text: str) -> None:
    root = project_with(tmp_path, {})
    (root / "compose.yaml").write_text(text, encoding="utf-8")
    project = discover(root)
    collect(project, project.service("webapp"), "production")
    findings = source_findings(project, "production")
    assert all(f.code.startswith("SRC") and f.file == "compose.yaml" for f in findings)
    json.dumps([f.as_dict() for f in findings])
    if text.strip():
        assert findings, "a malformed compose file must say so"


def test_bare_key_without_a_variable_unsets_the_env_file_value(tmp_path: Path) -> None:
    # Compose spec, env_file: values in `environment` override env_file values "even if
    # those values are empty or undefined"; undefined reaches the engine as a bare KEY.
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "TOKEN_TTL=60\nKEEP=1\n",
            "extra.env": "FROM_EXTRA=1\nDROPPED=x\n",
            "compose.yaml": """
            services:
              api:
                build: ./services/api
                env_file: [./extra.env, ./services/api/.env.production]
                environment:
                  - TOKEN_TTL
                  - DROPPED
            """,
        },
    )
    project = discover(root)
    assert compose_env(root, "api") == {"FROM_EXTRA": "1"}
    (f,) = source_findings(project, "production")
    assert (f.code, f.key, f.file, f.line) == ("SRC014", "TOKEN_TTL", "compose.yaml", 6)
    assert "services/api/.env.production:1" in f.message


def test_extends_in_the_same_file_and_from_another_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "services/api/.env.production": "A=1\n",
            "common/base.env": "FROM_BASE_FILE=1\nSHARED=base\n",
            "common/services.yml": """
            services:
              base:
                env_file: ./base.env
                environment:
                  FROM_OTHER_FILE: other
                  SHARED: other
            """,
            "compose.yaml": """
            services:
              common:
                extends:
                  file: ./common/services.yml
                  service: base
                environment:
                  FROM_COMMON: common
              api:
                extends: {service: common}
                build: ./services/api
                environment:
                  SHARED: api
              loop-a:
                extends: loop-b
              loop-b:
                extends: loop-a
              orphan:
                extends: {service: nowhere}
            """,
        },
    )
    assert compose_env(root, "api") == {
        "FROM_BASE_FILE": "1",  # env_file path relative to the extended file
        "SHARED": "api",
        "FROM_OTHER_FILE": "other",
        "FROM_COMMON": "common",
    }
    findings = source_findings(discover(root), "production")
    # SHARED=base in base.env reaches no container: `environment` overrides it in both services.
    overrides = sorted((f.service, f.file, f.line) for f in findings if f.code == "SRC016")
    assert overrides == [("api", "compose.yaml", 12), ("common", "common/services.yml", 6)]
    findings = [f for f in findings if f.code != "SRC016"]
    assert sorted((f.code, f.line) for f in findings) == [("SRC010", 16), ("SRC010", 18)]
    assert {f.message.split(" ")[0] for f in findings} == {"circular", "extends"}


def test_add_on_compose_files_are_read_with_the_base_but_dev_and_test_files_are_not(tmp_path: Path) -> None:
    # Shaped after opentelemetry-demo: `make start-agentic` runs compose.yaml plus compose.agent.yaml
    # with the project .env and its .env.override; compose.tests.yaml is only for the test run.
    root = project_with(
        tmp_path,
        {
            ".env": "API_KEY=from-dotenv\nLLM_MODEL=small\n",
            ".env.override": "API_KEY=<replace with API key>\n",
            "compose.yaml": """
            services:
              webapp:
                build: ./services/webapp
            """,
            "compose.agent.yaml": """
            services:
              agent:
                build: ./services/agent
                environment:
                  - LLM_MODEL
                  - OPENAI_API_KEY=${API_KEY}
            """,
            "compose.tests.yaml": """
            services:
              tests:
                build: ./services/tests
            """,
        },
        services=("webapp", "agent", "tests"),
    )
    project = discover(root)
    assert [p.name for p in compose_files(project, "production")] == ["compose.yaml", "compose.agent.yaml"]
    assert compose_env(root, "agent") == {"LLM_MODEL": "small", "OPENAI_API_KEY": "<replace with API key>"}


def test_services_of_profiles_that_never_run_together_do_not_drift(tmp_path: Path) -> None:
    # Shaped after hoppscotch: an all-in-one service under profile "default" and split services
    # under "backend"; a migrate service runs in both.
    from tests.helpers import run_cli

    root = project_with(
        tmp_path,
        {
            "compose.yaml": """
            services:
              aio:
                build: ./services/aio
                profiles: ["default"]
                environment:
                  SUBPATH: "true"
                  DB: db-a
              backend:
                build: ./services/backend
                profiles: ["backend"]
                environment:
                  SUBPATH: "false"
                  DB: db-b
              migrate:
                build: ./services/migrate
                profiles: ["default", "backend"]
                environment:
                  DB: db-a
            """,
        },
        services=("aio", "backend", "migrate"),
    )
    out = json.loads(run_cli("check", str(root), "--env", "production", "--format", "json").stdout)
    found = [f for s in out["sections"] for f in s["findings"]]
    drift = {f["key"]: f["message"] for f in found if f["code"] == "ENV006"}
    # SUBPATH: aio and backend never run together. DB: backend and migrate do, and disagree.
    assert "SUBPATH" not in drift
    assert "backend=db-b" in drift["DB"] and "migrate=db-a" in drift["DB"] and "aio=" not in drift["DB"]
