"""The files behind compose ``env_file:``: linted with compose's own rules, and ``environment``
over ``env_file`` reported (SRC016).

Fixtures are shaped after real repositories (in /work/rw): paperless-ngx's
``docker/compose/docker-compose.env`` read by ``env_file: docker-compose.env``;
healthchecks' ``docker/.env`` read by the ``web`` service; opentelemetry-demo's ``.env`` and
``.env.override``; getsentry/self-hosted's ``.env`` with its shared secret; the
full-stack-fastapi-template's ``.env`` behind ``env_file: .env`` with ``${VAR?…}`` in
``environment``. Each adds what a user adds for parity to run (a ``parity.toml``), and the
gap planted in it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from helpers import run_cli
from parity.model.findings import Finding
from parity.project import discover
from parity.sources import collect, source_findings
from parity.sources.base import Collector
from parity.sources.compose import load_compose
from parity.sources.compose_envfiles import env_file_findings
from parity.sources.composeenv import parse_compose_env, parse_raw_env


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def of(findings: list[Finding], *codes: str) -> list[Finding]:
    return [f for f in findings if f.code in codes]


# --- compose's env-file format, where it differs from python-dotenv -------------------------

COMPOSE_FORMAT = [
    # (name, text, expected key → value (None: bare KEY), expected error lines)
    ("yaml style", "PAPERLESS_OCR_LANGUAGE: eng\n", {"PAPERLESS_OCR_LANGUAGE": "eng"}, []),
    (
        "export",
        "export PAPERLESS_URL=https://paperless.example.com\n",
        {"PAPERLESS_URL": "https://paperless.example.com"},
        [],
    ),
    ("single quotes literal", "A='x\\ny ${B}'\n", {"A": "x\\ny ${B}"}, []),
    ("single quote escaped", "A='it\\'s'\n", {"A": "it's"}, []),
    ("double quotes expand escapes", 'A="x\\ty"\n', {"A": "x\ty"}, []),
    ("double quoted dollar", 'A="\\$HOME"\n', {"A": "$$HOME"}, []),
    ("inline comment needs a space", "A=b#c\nB=b #c\n", {"A": "b#c", "B": "b"}, []),
    ("comment after quotes", 'A="x y" # note\n', {"A": "x y"}, []),
    (
        "multi-line double quoted",
        'KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n',
        {"KEY": "-----BEGIN-----\nabc\n-----END-----", "NEXT": "1"},
        [],
    ),
    ("bare key", "USERMAP_UID\nB=2\n", {"USERMAP_UID": None, "B": "2"}, []),
    ("space in key", "PAPERLESS OCR_LANGUAGE=eng\nB=2\n", {"B": "2"}, [1]),
    ("unterminated quote", 'A=1\nB="never closed\n', {"A": "1"}, [2]),
    ("bad character", "A=1\nB$=2\nC=3\n", {"A": "1", "C": "3"}, [2]),
]


@pytest.mark.parametrize(
    ("name", "text", "expected", "errors"), COMPOSE_FORMAT, ids=[c[0] for c in COMPOSE_FORMAT]
)
def test_compose_env_format(name: str, text: str, expected: dict[str, str | None], errors: list[int]) -> None:
    parsed = parse_compose_env(text, Path("x.env"))
    assert {e.key: e.value for e in parsed.entries} == expected
    assert [e.line for e in parsed.errors] == errors


def test_compose_env_lines_and_interpolation_flags() -> None:
    parsed = parse_compose_env("# c\n\nA='s'\nB=\"d\"\nC=u\n", Path("x.env"))
    assert [(e.key, e.line, e.interpolate) for e in parsed.entries] == [
        ("A", 3, False),
        ("B", 4, True),
        ("C", 5, True),
    ]


def test_raw_format_takes_values_as_written() -> None:
    parsed = parse_raw_env("A='q' # x\n  B=${C}\nD\n# note\nE F=1\n=3\n", Path("r.env"))
    assert {e.key: e.value for e in parsed.entries} == {"A": "'q' # x", "B": "${C}", "D": None}
    assert [(e.line, e.message) for e in parsed.errors] == [
        (5, "variable 'E F' contains whitespaces"),
        (6, "no variable name on line '=3'"),
    ]
    assert not any(e.interpolate for e in parsed.entries)


# --- paperless-ngx: docker/compose/docker-compose.env --------------------------------------

PAPERLESS_COMPOSE = """
services:
  broker:
    image: docker.io/library/redis:8
  db:
    image: docker.io/library/postgres:18
    environment:
      POSTGRES_DB: paperless
  webserver:
    image: ghcr.io/paperless-ngx/paperless-ngx:latest
    env_file: docker-compose.env
    environment:
      PAPERLESS_REDIS: redis://broker:6379
      PAPERLESS_DBHOST: db
"""

PAPERLESS_ENV = """
###############################################################################
# Paperless-ngx settings                                                      #
###############################################################################

# Required. A unique secret key for session tokens and signing.
PAPERLESS_SECRET_KEY=change-me

# Use this variable to set a timezone for the Paperless Docker containers. Defaults to UTC.
PAPERLESS_TIME_ZONE=America/Los_Angeles
PAPERLESS_OCR_LANGUAGE=eng
PAPERLESS_TIME_ZONE=Europe/Berlin
PAPERLESS_REDIS=redis://localhost:6379
"""


def paperless(tmp_path: Path, env: str = PAPERLESS_ENV) -> Path:
    """The user's production layer: parity.toml naming the compose file and the code folder
    (``src``, which no compose service builds: the compose service maps to no parity service)."""
    return write(
        tmp_path / "paperless-ngx",
        {
            "docker/compose/docker-compose.postgres.yml": PAPERLESS_COMPOSE,
            "docker/compose/docker-compose.env": env,
            "src/manage.py": "import os\nos.environ.get('PAPERLESS_SECRET_KEY')\n",
            "parity.toml": """
            environments = ["production"]
            [services.paperless]
            path = "src"
            [sources]
            compose_files = { production = ["docker/compose/docker-compose.postgres.yml"] }
            """,
        },
    )


def test_duplicate_with_different_values_names_both_lines(tmp_path: Path) -> None:
    root = paperless(tmp_path)
    (f,) = of(source_findings(discover(root), "production"), "ENV005")
    assert (f.file, f.line, f.key, f.service) == (
        "docker/compose/docker-compose.env",
        9,
        "PAPERLESS_TIME_ZONE",
        "webserver",
    )
    assert "line 9: America/Los_Angeles, line 11: Europe/Berlin" in f.message
    assert "takes the last (line 11)" in f.message and "compose service webserver" in f.message
    assert f.fix is not None and "docker/compose/docker-compose.env" in f.fix


def test_placeholder_that_reaches_the_container(tmp_path: Path) -> None:
    root = paperless(tmp_path)
    (f,) = of(source_findings(discover(root), "production"), "ENV008")
    assert (f.file, f.line, f.key) == ("docker/compose/docker-compose.env", 6, "PAPERLESS_SECRET_KEY")
    assert f.fix == "set the real value of PAPERLESS_SECRET_KEY in docker/compose/docker-compose.env:6"


def test_placeholder_overridden_by_environment_is_not_reported(tmp_path: Path) -> None:
    root = paperless(tmp_path)
    compose = root / "docker/compose/docker-compose.postgres.yml"
    compose.write_text(compose.read_text() + "      PAPERLESS_SECRET_KEY: s3cr3t-from-compose-0a9b8c7d\n")
    findings = source_findings(discover(root), "production")
    assert of(findings, "ENV008") == []
    (over,) = [f for f in of(findings, "SRC016") if f.key == "PAPERLESS_SECRET_KEY"]
    assert "s3cr3t-from-compose-0a9b8c7d" not in over.message and "change-me" not in over.message


def test_environment_over_env_file_names_both_places(tmp_path: Path) -> None:
    root = paperless(tmp_path)
    (f,) = of(source_findings(discover(root), "production"), "SRC016")
    assert (f.file, f.line, f.key, f.service, f.severity.value) == (
        "docker/compose/docker-compose.postgres.yml",
        12,
        "PAPERLESS_REDIS",
        "webserver",
        "warning",
    )
    assert "redis://broker:6379 at runtime" in f.message
    assert "docker/compose/docker-compose.env:12 which says redis://localhost:6379" in f.message
    assert f.fix == (
        "change PAPERLESS_REDIS in docker/compose/docker-compose.postgres.yml:12, "
        "or remove it there so docker/compose/docker-compose.env:12 applies"
    )


def test_check_cli_fails_on_the_env_file_and_says_where(tmp_path: Path) -> None:
    root = paperless(tmp_path)
    proc = run_cli("check", str(root), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    found = {(f["code"], f["file"], f["line"]) for s in data["sections"] for f in s["findings"]}
    env = "docker/compose/docker-compose.env"
    assert {
        ("ENV005", env, 9),
        ("ENV008", env, 6),
        ("SRC016", "docker/compose/docker-compose.postgres.yml", 12),
    } <= found
    verify = next(s for s in data["sections"] if s["title"] == "Verification & Rollback")
    rows = {row[0]: row[1] for t in verify["tables"] for row in t["rows"]}
    assert rows["no duplicate keys with conflicting values"] == "FAILED"


def test_malformed_line_stops_compose_and_is_an_error(tmp_path: Path) -> None:
    root = paperless(tmp_path, PAPERLESS_ENV + "PAPERLESS OCR_LANGUAGES=tur ces\n")
    (f,) = of(source_findings(discover(root), "production"), "ENV009")
    assert (f.file, f.line, f.severity.value) == ("docker/compose/docker-compose.env", 13, "error")
    assert "key cannot contain a space" in f.message and "refuses to start" in f.message
    proc = run_cli("env", "diff", str(root))
    assert proc.returncode == 1 and "ENV009" in proc.stdout


def test_compose_rules_are_not_python_dotenvs(tmp_path: Path) -> None:
    # `KEY: value` is a binding for compose (python-dotenv would call it malformed), and the
    # value is what the container gets.
    root = paperless(
        tmp_path, "PAPERLESS_OCR_LANGUAGE: eng\nPAPERLESS_URL=https://paperless.example.com #public\n"
    )
    project = discover(root)
    assert of(source_findings(project, "production"), "ENV009") == []
    compose = load_compose(project, "production", Collector(project.root, "production", project.fs))
    assert compose is not None
    col = Collector(project.root, "production", project.fs)
    env_file_findings(compose, col)
    assert col.findings == []


# --- same value twice; a file two services share (getsentry/self-hosted) -------------------

SENTRY_COMPOSE = """
x-sentry-defaults: &sentry_defaults
  image: ghcr.io/getsentry/sentry:nightly
  env_file:
    - .env.custom
services:
  web:
    <<: *sentry_defaults
  taskworker:
    <<: *sentry_defaults
    command: run taskworker
"""


def sentry(tmp_path: Path, custom: str) -> Path:
    return write(
        tmp_path / "self-hosted",
        {
            "docker-compose.yml": SENTRY_COMPOSE,
            ".env": "COMPOSE_PROJECT_NAME=sentry-self-hosted\nSENTRY_EVENT_RETENTION_DAYS=90\n",
            ".env.custom": custom,
            "sentry/sentry.conf.py": "import os\nos.environ.get('SENTRY_EVENT_RETENTION_DAYS')\n",
            "parity.toml": 'environments = ["production"]\n[services.sentry]\npath = "sentry"\n',
        },
    )


def test_file_shared_by_two_services_is_reported_once(tmp_path: Path) -> None:
    root = sentry(
        tmp_path,
        "SENTRY_EVENT_RETENTION_DAYS=90\nLAUNCHPAD_RPC_SHARED_SECRET=supersecret-aa11bb22\n"
        "LAUNCHPAD_RPC_SHARED_SECRET=other-secret-cc33dd44\n",
    )
    (f,) = of(source_findings(discover(root), "production"), "ENV005")
    assert (f.file, f.line, f.service) == (".env.custom", 2, "web, taskworker")
    assert "compose services web, taskworker" in f.message
    assert "supersecret-aa11bb22" not in f.message and "other-secret-cc33dd44" not in f.message
    assert "hmac:" in f.message  # masked, still told apart
    proc = run_cli("check", str(root))
    assert "supersecret-aa11bb22" not in proc.stdout + proc.stderr
    assert "other-secret-cc33dd44" not in proc.stdout + proc.stderr


def test_same_value_twice_is_a_warning(tmp_path: Path) -> None:
    root = sentry(tmp_path, "SENTRY_BIND=9000\nSENTRY_MAIL_HOST=example.com\nSENTRY_BIND=9000\n")
    findings = source_findings(discover(root), "production")
    (f,) = of(findings, "ENV004", "ENV005")
    assert (f.code, f.severity.value, f.file, f.line, f.key) == (
        "ENV004",
        "warning",
        ".env.custom",
        3,
        "SENTRY_BIND",
    )
    assert "lines 1, 3" in f.message
    assert f.fix == "remove the repeated SENTRY_BIND lines from .env.custom"


# --- raw format (docker run --env-file rules) ------------------------------------------------


def test_raw_format_is_not_interpolated_and_keeps_quotes(tmp_path: Path) -> None:
    # healthchecks' docker/.env, under another name: a file called .env next to the compose file
    # is also the project .env, which compose interpolates for the compose file whatever the format.
    root = write(
        tmp_path / "hc",
        {
            "docker/docker-compose.yml": """
            services:
              web:
                image: healthchecks/healthchecks
                env_file:
                  - path: hc.env
                    format: raw
            """,
            "docker/hc.env": "DB_NAME=hc\nSITE_NAME='Mychecks'\nSITE_NAME=Mychecks\nEMAIL_HOST_PASSWORD=$3cr${et}\n",
            "hc/settings.py": "import os\nos.environ.get('DB_NAME')\n",
            "parity.toml": """
            environments = ["production"]
            [services.hc]
            path = "hc"
            [sources]
            compose_files = { production = ["docker/docker-compose.yml"] }
            """,
        },
    )
    project = discover(root)
    findings = source_findings(project, "production")
    # No interpolation: no "variable et is not set", and the quotes are part of the value,
    # so the two SITE_NAME lines differ for the raw format (they would be equal by default).
    assert of(findings, "SRC011", "SRC008") == []
    (f,) = of(findings, "ENV004", "ENV005")
    assert (f.code, f.key) == ("ENV005", "SITE_NAME")
    assert "docker run --env-file (format: raw) takes the last" in f.message
    (root / "parity.toml").write_text((root / "parity.toml").read_text() + 'workloads = { web = "hc" }\n')
    values = {v.key: v.value for layer in collect(discover(root), "hc", "production") for v in layer}
    assert values["SITE_NAME"] == "Mychecks" and values["EMAIL_HOST_PASSWORD"] == "$3cr${et}"


# --- opentelemetry-demo: an override compose file's environment over the base's env_file -----


def test_override_file_environment_over_base_env_file(tmp_path: Path) -> None:
    root = write(
        tmp_path / "opentelemetry-demo",
        {
            "compose.yaml": """
            services:
              frontend:
                image: ghcr.io/open-telemetry/demo:latest-frontend
                env_file:
                  - .env
                  - path: .env.override
                    required: false
            """,
            "compose.production.yaml": """
            services:
              frontend:
                environment:
                  - OTEL_COLLECTOR_HOST=otel-collector.observability
                  - ENV_PLATFORM=local
            """,
            ".env": "IMAGE_VERSION=2.1.3\nENV_PLATFORM=local\nOTEL_COLLECTOR_HOST=otel-collector\n",
            ".env.override": "# PLACE YOUR .env ENVIRONMENT VARIABLES OVERRIDES IN THIS FILE\n",
            "src/frontend/.env.production": "NEXT_PUBLIC_X=1\n",
        },
    )
    findings = source_findings(discover(root), "production")
    (f,) = of(findings, "SRC016")  # ENV_PLATFORM agrees: nothing said about it
    assert (f.file, f.line, f.key, f.service) == (
        "compose.production.yaml",
        4,
        "OTEL_COLLECTOR_HOST",
        "frontend",
    )
    assert "overriding env_file .env:3 which says otel-collector" in f.message


# --- full-stack-fastapi-template: env_file .env and ${VAR?…} in environment ------------------

FASTAPI_ENV = """
# Domain
DOMAIN=localhost
ENVIRONMENT=production
PROJECT_NAME="Full Stack FastAPI Project"
SECRET_KEY=prod-FAKE-key-9d8c7b6a5f4e
FIRST_SUPERUSER=admin@example.com
POSTGRES_PASSWORD=prod-FAKE-pg-1a2b3c4d
DATABASE_URL=postgresql://postgres:${POSTGRES_PASSWORD}@localhost:5432/app
"""

FASTAPI_COMPOSE = """
services:
  db:
    image: postgres:17
    env_file:
      - .env
    environment:
      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD?Variable not set}
  backend:
    image: '${DOCKER_IMAGE_BACKEND?Variable not set}:${TAG-latest}'
    env_file:
      - .env
    environment:
      - DOMAIN=${DOMAIN}
      - ENVIRONMENT=${ENVIRONMENT}
      - SECRET_KEY=${SECRET_KEY?Variable not set}
      - DATABASE_URL=postgresql://postgres:${POSTGRES_PASSWORD?Variable not set}@db:5432/app
"""


def fastapi(tmp_path: Path) -> Path:
    return write(
        tmp_path / "full-stack-fastapi-template",
        {
            "compose.yml": FASTAPI_COMPOSE,
            ".env": FASTAPI_ENV + "DOCKER_IMAGE_BACKEND=backend\n",
            "backend/app/core/config.py": "import os\nos.environ.get('SECRET_KEY')\n",
            "parity.toml": 'environments = ["production"]\n[services.backend]\npath = "backend"\n',
        },
    )


def test_no_report_when_environment_agrees_with_env_file(tmp_path: Path) -> None:
    findings = source_findings(discover(fastapi(tmp_path)), "production")
    overrides = of(findings, "SRC016")
    # SECRET_KEY, DOMAIN, ENVIRONMENT, POSTGRES_PASSWORD come from the same .env: they agree.
    assert [f.key for f in overrides] == ["DATABASE_URL"]
    (f,) = overrides
    assert (f.file, f.line, f.service) == ("compose.yml", 16, "backend")
    assert ".env:8" in f.message
    assert "prod-FAKE-pg-1a2b3c4d" not in f.message  # a URL with a password is masked


def test_fastapi_check_never_prints_a_secret(tmp_path: Path) -> None:
    root = fastapi(tmp_path)
    proc = run_cli("check", str(root))
    out = proc.stdout + proc.stderr
    assert "SRC016" in out
    for secret in ("prod-FAKE-key-9d8c7b6a5f4e", "prod-FAKE-pg-1a2b3c4d"):
        assert secret not in out


# --- a file parity lints anyway is linted once --------------------------------------------


def test_env_file_parity_already_lints_is_reported_once(tmp_path: Path) -> None:
    root = write(
        tmp_path / "shop",
        {
            "services/api/.env.example": "LOG_LEVEL=\n",
            "services/api/.env.production": "LOG_LEVEL=info\nLOG_LEVEL=debug\n",
            "compose.yaml": """
            services:
              api:
                build: ./services/api
                env_file: ./services/api/.env.production
              api-worker:
                build: ./services/api
                env_file: ./services/api/.env.production
                environment:
                  LOG_LEVEL: warning
            """,
        },
    )
    proc = run_cli("env", "diff", str(root), "--format", "json")
    data = json.loads(proc.stdout)
    found = [(f["code"], f["file"], f["line"]) for s in data["sections"] for f in s["findings"]]
    assert found.count(("ENV005", "services/api/.env.production", 1)) == 1
    # api-worker's environment over the file: SRC005 (mapped service) or SRC016, never both
    overrides = [c for c, file, _ in found if c in ("SRC005", "SRC016") and file == "compose.yaml"]
    assert len(overrides) == 1


def test_placeholder_in_a_mapped_services_env_file_is_told_once(tmp_path: Path) -> None:
    # The value reaches the parity service api through its compose layer, so env diff's own
    # placeholder check sees it too: one ENV008, not two.
    root = write(
        tmp_path / "shop",
        {
            "services/api/.env.example": "SECRET_KEY=\nLOG_LEVEL=info\n",
            "services/api/.env.production": "LOG_LEVEL=info\n",
            "deploy/api.env": "SECRET_KEY=changeme\n",
            "compose.yaml": """
            services:
              api:
                build: ./services/api
                env_file: ./deploy/api.env
            """,
        },
    )
    proc = run_cli("env", "diff", str(root), "--format", "json")
    data = json.loads(proc.stdout)
    found = [(f["code"], f["file"], f["line"]) for s in data["sections"] for f in s["findings"]]
    assert found.count(("ENV008", "deploy/api.env", 1)) == 1
    assert proc.returncode == 1


def test_a_misspelt_boolean_in_an_env_file_reaching_a_container(tmp_path: Path) -> None:
    # Shaped after paperless-ngx: docker-compose.env plus the production file a deployment adds.
    root = write(
        tmp_path / "px",
        {
            "docker/compose/docker-compose.postgres.yml": """
            services:
              webserver:
                image: ghcr.io/paperless-ngx/paperless-ngx:latest
                env_file: [docker-compose.env, production.env]
            """,
            "docker/compose/docker-compose.env": "PAPERLESS_CONSUMER_RECURSIVE=false\n",
            "docker/compose/production.env": "PAPERLESS_CONSUMER_RECURSIVE=ture\nPAPERLESS_OCR_LANGUAGE=deu\n",
        },
    )
    found = [f for f in source_findings(discover(root), "production") if f.code == "ENV011"]
    assert [(f.file, f.line, f.key) for f in found] == [
        ("docker/compose/production.env", 1, "PAPERLESS_CONSUMER_RECURSIVE")
    ]
