"""The reference honoured: ``--reference`` on check/plan/apply, ``reference`` in parity.toml, and the
default (example → staging → the code's required keys), on repositories built in tmp_path.

The layouts follow real projects: Go services that panic at start-up when an address is unset
(opentelemetry-demo's checkout reads its addresses through a ``mustMapEnv`` helper, so no literal
read reaches a scanner), a FastAPI backend configured by a pydantic ``Settings`` class with no
example file (full-stack-fastapi-template), and a Django settings module outside the folder that
holds the deployment's env file (healthchecks' ``hc/settings.py`` beside ``docker/``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import run_cli, snapshot
from typer.testing import CliRunner

from parity.cli.app import app
from parity.env.reference import choose_reference, is_neutral, proposable
from parity.workflow.envflow import load_project

runner = CliRunner()
SCHEMA = Path(__file__).resolve().parents[1] / "docs/report.schema.json"

STAGING_SECRET = "stg-FAKE-pay-4e3d2c1b0a99887766"

CHECKOUT_GO = """\
package main

import (
\t"fmt"
\t"os"
)

type checkout struct {
\tcartSvcAddr  string
\temailSvcAddr string
}

func main() {
\tvar port string
\tmustMapEnv(&port, "CHECKOUT_PORT")
\tsvc := new(checkout)
\tmustMapEnv(&svc.cartSvcAddr, "CART_ADDR")
\tmustMapEnv(&svc.emailSvcAddr, "EMAIL_ADDR")
\tfmt.Println("listening on", port)
}

// The key is an argument here: parity infers mustMapEnv as a reader of each call's literal.
func mustMapEnv(target *string, envKey string) {
\tv := os.Getenv(envKey)
\tif v == "" {
\t\tpanic(fmt.Sprintf("environment variable %q not set", envKey))
\t}
\t*target = v
}
"""

FASTAPI_CONFIG = """\
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file="../.env", env_ignore_empty=True, extra="ignore")

    PROJECT_NAME: str
    POSTGRES_SERVER: str
    POSTGRES_USER: str
    POSTGRES_PASSWORD: str = ""
    FIRST_SUPERUSER: str
    FIRST_SUPERUSER_PASSWORD: str
    LOG_LEVEL: str = "info"


settings = Settings()
"""

HC_SETTINGS = """\
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.getenv("DEBUG", "False") == "True"
SITE_ROOT = os.getenv("SITE_ROOT", "http://localhost:8000")
EMAIL_HOST = os.getenv("EMAIL_HOST")
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def otel_demo(tmp_path: Path, config: str | None = None) -> Path:
    """Two Go services; checkout's example forgot EMAIL_ADDR, staging has it, production lacks it."""
    files = {
        "src/checkout/main.go": CHECKOUT_GO,
        "src/checkout/.env.example": "CHECKOUT_PORT=5050\nCART_ADDR=localhost:7070\n",
        "src/checkout/.env.staging": (
            "CHECKOUT_PORT=5050\nCART_ADDR=cart.staging.svc:7070\nEMAIL_ADDR=http://email.staging.svc:8080\n"
            f"OTEL_SERVICE_NAME=checkout\nPAYMENT_API_KEY={STAGING_SECRET}\n"
        ),
        "src/checkout/.env.production": "CHECKOUT_PORT=5050\nCART_ADDR=cart.prod.svc:7070\n",
        "src/product-catalog/main.go": 'package main\n\nimport "os"\n\nfunc main() {\n\tprintln(os.Getenv("PRODUCT_CATALOG_PORT"))\n}\n',
        "src/product-catalog/.env.example": "PRODUCT_CATALOG_PORT=3550\n",
        "src/product-catalog/.env.staging": "PRODUCT_CATALOG_PORT=3550\n",
        "src/product-catalog/.env.production": "PRODUCT_CATALOG_PORT=3550\n",
    }
    if config is not None:
        files["parity.toml"] = config
    return _write(tmp_path / "otel-demo", files)


def fastapi_template(tmp_path: Path, config: str | None = None) -> Path:
    """No example file anywhere (the template commits a real .env); staging and production per service."""
    files = {
        "backend/app/core/config.py": FASTAPI_CONFIG,
        "backend/.env.staging": (
            'PROJECT_NAME="Full Stack FastAPI Project"\nPOSTGRES_SERVER=db.staging.internal\nPOSTGRES_USER=app\n'
            f"FIRST_SUPERUSER=admin@example.com\nFIRST_SUPERUSER_PASSWORD={STAGING_SECRET}\nLOG_LEVEL=info\n"
        ),
        "backend/.env.production": (
            'PROJECT_NAME="Full Stack FastAPI Project"\nPOSTGRES_SERVER=db.prod.internal\nPOSTGRES_USER=app\n'
            "FIRST_SUPERUSER=admin@example.com\n"
        ),
        "frontend/src/client.ts": "const api = import.meta.env.VITE_API_URL;\nexport default api;\n",
        "frontend/.env.staging": "VITE_API_URL=https://api.staging.example.invalid\n",
        "frontend/.env.production": "VITE_API_URL=https://api.example.invalid\n",
    }
    if config is not None:
        files["parity.toml"] = config
    return _write(tmp_path / "full-stack-fastapi-template", files)


def healthchecks(tmp_path: Path) -> Path:
    """Only a production env file, beside the Dockerfile; the settings module lives outside it."""
    return _write(
        tmp_path / "healthchecks",
        {
            "hc/settings.py": HC_SETTINGS,
            "docker/Dockerfile": "FROM python:3.12-slim\nCOPY . /opt/healthchecks\n",
            "docker/.env.production": "DEBUG=False\nSITE_ROOT=https://hc.example.invalid\n",
        },
    )


def check_json(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["check", *args, "--format", "json"])
    return result.exit_code, json.loads(result.output)


def findings(data: dict[str, object], code: str) -> dict[str, dict[str, object]]:
    """Findings of ``code`` by key."""
    sections = data["sections"]
    assert isinstance(sections, list)
    return {f["key"]: f for s in sections for f in s["findings"] if f["code"] == code}


def test_the_example_misses_a_key_only_staging_has(tmp_path: Path) -> None:
    """The example forgot EMAIL_ADDR, but the code reads it through mustMapEnv, which panics when
    it is empty: even against the example, check fails naming the read."""
    code, data = check_json(str(otel_demo(tmp_path)))
    assert data["reference"] == {
        "name": "example",
        "reason": "default: an example file in 2 of 2 services",
    }
    assert "EMAIL_ADDR" not in findings(data, "ENV001")  # the example does not list it
    read = findings(data, "FLG004")["EMAIL_ADDR"]
    assert read["severity"] == "error" and "mustMapEnv()" in str(read["message"])
    assert (code, data["verdict"]) == (1, "FAIL")


def test_check_reference_staging_fails_naming_the_key_and_file(tmp_path: Path) -> None:
    import jsonschema

    root = otel_demo(tmp_path)
    code, data = check_json(str(root), "--reference", "staging")
    assert (code, data["verdict"]) == (1, "FAIL")
    missing = findings(data, "ENV001")["EMAIL_ADDR"]
    assert (missing["severity"], missing["file"], missing["service"]) == (
        "error",
        "src/checkout/.env.production",
        "checkout",
    )
    assert "(staging has http://email.staging.svc:8080)" in str(missing["message"])
    assert data["reference"] == {"name": "staging", "reason": "--reference staging"}
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    # The gap table is titled with the reference, and a staging secret is never printed.
    out = runner.invoke(app, ["check", str(root), "-r", "staging"]).output
    assert "reference: staging (--reference staging)" in out.splitlines()[1]
    assert "checkout: staging → production" in out
    assert STAGING_SECRET not in out


def test_reference_from_parity_toml(tmp_path: Path) -> None:
    root = otel_demo(tmp_path, config='reference = "staging"\n')
    code, data = check_json(str(root))
    assert code == 1
    assert "EMAIL_ADDR" in findings(data, "ENV001")
    assert data["reference"] == {"name": "staging", "reason": 'reference = "staging" in parity.toml'}


def test_reference_from_pyproject_tool_parity(tmp_path: Path) -> None:
    root = otel_demo(tmp_path, config=None)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.parity]\nreference = "staging"\n')
    project, env = load_project(root, "production")
    choice = choose_reference(project, env)
    assert (choice.name, choice.reason) == (
        "staging",
        'reference = "staging" in [tool.parity] of pyproject.toml',
    )


def test_the_flag_beats_the_config(tmp_path: Path) -> None:
    root = otel_demo(tmp_path, config='reference = "staging"\n')
    _, data = check_json(str(root), "--reference", "example")
    assert data["reference"] == {"name": "example", "reason": "--reference example"}
    assert "EMAIL_ADDR" not in findings(data, "ENV001")  # the example's view, not staging's


def test_no_example_file_means_staging_and_the_report_says_so(tmp_path: Path) -> None:
    root = fastapi_template(tmp_path)
    result = runner.invoke(app, ["check", str(root)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1] == "reference: staging (default: no example file, and staging exists)"
    assert "backend: staging → production" in result.output
    assert STAGING_SECRET not in result.output
    _, data = check_json(str(root))
    missing = findings(data, "ENV001")
    assert missing["FIRST_SUPERUSER_PASSWORD"]["file"] == "backend/.env.production"
    assert "LOG_LEVEL" in missing
    assert data["reference"]["name"] == "staging"  # type: ignore[index]
    md = runner.invoke(app, ["check", str(root), "--format", "markdown"]).output
    assert "reference: **staging** (default: no example file, and staging exists)" in md


def test_a_configured_example_without_example_files_falls_back_and_says_so(tmp_path: Path) -> None:
    """What `parity init` wrote before the reference was honoured: it must not compare with nothing."""
    root = fastapi_template(tmp_path, config='reference = "example"\n')
    _, data = check_json(str(root))
    assert data["reference"] == {
        "name": "staging",
        "reason": 'reference = "example" in parity.toml, but no service has an example file; '
        "no example file, and staging exists",
    }
    assert "FIRST_SUPERUSER_PASSWORD" in findings(data, "ENV001")


def test_no_example_and_no_staging_means_the_keys_the_code_requires(tmp_path: Path) -> None:
    code, data = check_json(str(healthchecks(tmp_path)))
    assert code == 1
    assert data["reference"] == {
        "name": "code",
        "reason": "default: no example file and no staging environment: the keys the code reads without a default",
    }
    missing = findings(data, "ENV001")
    # os.environ[] raises: an error; os.getenv() without a default reads None: a warning.
    assert missing["SECRET_KEY"]["severity"] == "error"
    assert missing["SECRET_KEY"]["file"] == "docker/.env.production"
    assert "the code reads it without a default at hc/settings.py:5" in str(missing["SECRET_KEY"]["message"])
    assert missing["EMAIL_HOST"]["severity"] == "warning"
    # Keys read with a default (DEBUG, SITE_ROOT) are no requirement.
    assert set(missing) == {"SECRET_KEY", "EMAIL_HOST"}
    table = next(
        t for s in data["sections"] for t in s["tables"] if t["title"] == "docker: code → production"
    )  # type: ignore[union-attr,index]
    assert ["SECRET_KEY", "read at hc/settings.py:5", "—", "missing", ""] in table["rows"]


def test_the_code_reference_can_be_asked_for(tmp_path: Path) -> None:
    """``--reference code`` on a repository with examples: the Go read without a default is listed."""
    _, data = check_json(str(otel_demo(tmp_path)), "--reference", "code")
    assert data["reference"] == {"name": "code", "reason": "--reference code"}
    # product-catalog has its port; checkout's names go through mustMapEnv, a reader parity
    # infers: of those, production lacks only EMAIL_ADDR.
    assert set(findings(data, "ENV001")) == {"EMAIL_ADDR"}


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (
            ["--reference", "qa"],
            None,
            "--reference: unknown reference 'qa' (use one of: example, code, staging)",
        ),
        (
            ["--reference", "production"],
            None,
            "--reference: the reference must differ from the target environment (production)",
        ),
        (
            [],
            'reference = "preprod"\n',
            "parity.toml: reference = 'preprod' in parity.toml: unknown reference",
        ),
    ],
)
def test_an_unknown_reference_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], config: str | None, message: str
) -> None:
    root = otel_demo(tmp_path, config=config)
    for command in ("check", "plan"):
        done = run_cli(command, str(root), *args)
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1
        assert message in done.stderr


def test_an_explicit_example_reference_needs_an_example_file(tmp_path: Path) -> None:
    done = run_cli("check", str(fastapi_template(tmp_path)), "--reference", "example")
    assert done.returncode == 2 and "no service has an example file" in done.stderr


def test_plan_reference_staging_shows_the_key_and_copies_only_neutral_values(tmp_path: Path) -> None:
    root = otel_demo(tmp_path)
    before = snapshot(root)
    result = runner.invoke(app, ["plan", str(root), "--reference", "staging"])
    out = result.output
    assert "reference: staging (--reference staging)" in out
    # An address of staging's infrastructure is not copied: an empty value that keeps check failing.
    assert (
        "+# parity: EMAIL_ADDR needs a value for production (staging has it at src/checkout/.env.staging:3)"
        in out
    )
    assert "+EMAIL_ADDR=\n" in out
    # A neutral value is copied, a secret never (not even shown).
    assert "+OTEL_SERVICE_NAME=checkout\n" in out
    plan = json.loads(runner.invoke(app, ["plan", str(root), "-r", "staging", "--format", "json"]).output)
    assert "add OTEL_SERVICE_NAME=checkout from staging (checkout)" in plan["sections"][0]["notes"][0]
    assert "+PAYMENT_API_KEY=\n" in out and STAGING_SECRET not in out
    assert snapshot(root) == before
    # Against the example, nothing is missing: the plan has no such line.
    assert "EMAIL_ADDR" not in runner.invoke(app, ["plan", str(root)]).output


def test_apply_follows_the_reference_it_compared_against(tmp_path: Path) -> None:
    root = otel_demo(tmp_path, config='reference = "staging"\n')
    before = snapshot(root)
    # Without a value for EMAIL_ADDR the placeholder keeps the check failing: all is undone.
    failed = runner.invoke(app, ["apply", str(root), "--yes"])
    assert failed.exit_code == 1 and "rolled back" in failed.output
    assert snapshot(root) == before
    done = runner.invoke(
        app,
        [
            "apply", str(root), "--yes",
            "--set", "EMAIL_ADDR=http://email.prod.svc:8080",
            "--set", "PAYMENT_API_KEY=prod-FAKE-pay-0a1b2c3d4e5f60718293",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1] == 'reference: staging (reference = "staging" in parity.toml)'
    written = (root / "src/checkout/.env.production").read_text()
    assert "OTEL_SERVICE_NAME=checkout\n" in written  # copied from staging: neutral
    assert "EMAIL_ADDR=http://email.prod.svc:8080\n" in written
    assert STAGING_SECRET not in written and "staging" not in written


def test_env_diff_and_sync_read_the_config(tmp_path: Path) -> None:
    root = otel_demo(tmp_path, config='reference = "staging"\n')
    diff = runner.invoke(app, ["env", "diff", str(root)])
    assert diff.exit_code == 1 and "EMAIL_ADDR is missing in checkout (production)" in diff.output
    sync = runner.invoke(app, ["env", "sync", str(root)])
    assert "+OTEL_SERVICE_NAME=checkout" in sync.output
    assert 'reference: staging (reference = "staging" in parity.toml)' in sync.output
    # The flag still wins on env diff.
    assert "EMAIL_ADDR" not in runner.invoke(app, ["env", "diff", str(root), "-r", "example"]).output


@pytest.mark.parametrize(
    ("key", "value", "reference", "flag", "expected"),
    [
        ("LOG_LEVEL", "info", "staging", False, True),
        ("TZ", "Europe/Berlin", "staging", False, True),
        ("WORKERS", "4", "staging", False, True),
        ("EMAIL_ADDR", "http://email.staging.svc:8080", "staging", False, False),  # an address
        ("SMTP_HOST", "smtp.mailgun.org", "staging", False, False),  # a host
        ("BUCKET", "shop-exports-staging", "staging", False, False),  # names the environment
        ("BUCKET", "shop-exports-stg", "staging", False, False),  # by its alias
        ("FEATURE_ENABLE_EXPORTS", "true", "staging", True, False),  # a flag: --enable, never copied
        ("API_SECRET_KEY", "x9Jf2kLq8Zr4Tn6Wv1Yb3Mc5", "staging", False, False),  # a secret
        ("QUEUE_URL", "redis://localhost:6379/0", "example", False, False),  # for a developer's machine
        ("BUCKET", "shop-exports-dev", "example", False, False),
        ("BIND", "127.0.0.1:8000", "example", False, False),
        ("FEATURE_ENABLE_EXPORTS", "false", "example", True, True),  # the documented default
        ("CDN_URL", "changeme", "example", False, False),  # a placeholder
        ("LOG_LEVEL", "info", "example", False, True),
    ],
)
def test_which_reference_values_are_proposed(
    key: str, value: str, reference: str, flag: bool, expected: bool
) -> None:
    assert proposable(key, value, reference, "production", is_flag=flag) is expected


def test_neutral_values() -> None:
    assert is_neutral("json", "staging")
    assert not is_neutral("ops@acme.test", "staging")


def test_a_key_staging_gets_from_compose_counts(tmp_path: Path) -> None:
    """Like opentelemetry-demo, the address comes from compose's ``environment:``, not an env file."""
    root = otel_demo(tmp_path)
    staging = root / "src/checkout/.env.staging"
    staging.write_text(
        "".join(line for line in staging.read_text().splitlines(True) if "EMAIL_ADDR" not in line)
    )
    _write(
        root,
        {
            "compose.yaml": "services:\n  checkout:\n    build: ./src/checkout\n",
            "compose.staging.yml": "services:\n  checkout:\n    environment:\n      - EMAIL_ADDR=http://email:8080\n",
        },
    )
    code, data = check_json(str(root), "--reference", "staging")
    assert code == 1
    assert "(staging has http://email:8080)" in str(findings(data, "ENV001")["EMAIL_ADDR"]["message"])
    plan = runner.invoke(app, ["plan", str(root), "-r", "staging"]).output
    assert "+EMAIL_ADDR=\n" in plan  # an address: never copied into production
