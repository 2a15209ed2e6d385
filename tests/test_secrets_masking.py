"""What is a secret (by key, by shape, by what the project holds elsewhere), how URLs are
redacted, and how free text is scrubbed: table-driven, on the real functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helpers import run_cli
from parity.cli.common import scoped
from parity.env.secrets import (
    SecretScope,
    display,
    fingerprint,
    is_secret_key,
    looks_secret,
    mask_text,
    scrub,
    use_scope,
)
from parity.errors import DatabaseError, redact_url
from parity.model.env import EffectiveEnv, EnvValue

SECRET_KEYS = [
    "DB_PASS",
    "DB_PASSWORD",
    "MYSQL_PASSWD",
    "MYSQL_PWD",
    "PGPASSFILE",
    "APP_SALT",
    "SLACK_WEBHOOK",
    "ALERT_WEBHOOK_URL",
    "SENTRY_DSN",
    "DSN",
    "REQUEST_SIGNATURE",
    "SIGNING_SECRET",
    "BASIC_AUTH",
    "AUTHORIZATION",
    "OAUTH_CLIENT_SECRET",
    "SESSION_KEY",
    "SESSION",
    "COOKIE_SIGNING",
    "TLS_CERT",
    "SERVER_PEM",
    "AZURE_STORAGE_CONNECTION_STRING",
    "STRIPE_KEY",
    "STRIPE_KEYS",
    "AWS_ACCESS_KEY_ID",
    "GITHUB_TOKEN",
    "HMAC_KEY",
    "PRIVATE_KEY",
]
PLAIN_KEYS = ["DB_PORT", "PORT", "PATH", "LOG_LEVEL", "TIMEZONE", "EXPORTS_BUCKET", "DATABASE_URL", "HOST"]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    assert display(key, "hunter2") != "hunter2"


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_plain_keys(key: str) -> None:
    assert not is_secret_key(key)
    assert display(key, "8000") == "8000"


def test_project_patterns_win_over_the_never_secret_keys() -> None:
    assert is_secret_key("ADMIN_PORT", ["ADMIN_PORT"])


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://app:hunter2@db/app",
        "postgresql://app:p@ss/w0rd@db.internal/app",
        "postgresql://db.internal/app?password=hunter2&user=app",
        "https://example.invalid/export?sig=abcdEFGH1234&se=2030",
        "https://hooks.slack.com/services/T000/B000/XXXXtoken",
        "https://discord.com/api/webhooks/1234567/short",
        "https://api.example.invalid/v1/aB3dE5gH7jK9mN1pQ3sT5vX7/items",
        "Server=db;User Id=app;Password=hunter2;",
        "host=db user=app password=hunter2",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----",
        "Zx8Qp2Lr7Tv4Nw1Ks9Hd3Fg6Jm5Bc0Ya",
        "/Zx8Qp2Lr7/Tv4Nw1Ks9Hd3/Fg6Jm5Bc0Ya",  # base64 has slashes too: not a path of words
    ],
)
def test_secret_shapes(value: str) -> None:
    assert looks_secret(value)
    assert display("ANY_SETTING", value).startswith("hmac:")


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://app@db.internal/app",
        "sqlite:///../../db/shop.db",
        "https://cdn.shop.example.invalid/assets/my-article-title-2024",
        "https://medium.com/@someone",
        "redis://queue.example.invalid:6379/0",
        "shop-exports-prod",
        "true",
        "Europe/Berlin",
        "/tmp/mealierun/sqlite",  # mealie's DATA_DIR (bench/realapps/mealie.md)
        "/var/lib/postgresql/15/main",
        "../shared/uploads/recipe-images",
    ],
)
def test_plain_shapes(value: str) -> None:
    assert not looks_secret(value)
    assert display("ANY_SETTING", value) == value


def test_a_switch_stays_readable_under_a_broad_key_pattern() -> None:
    assert display("FEATURE_NEW_AUTH", "true") == "true"
    assert display("ENABLE_SESSION_REPLAY", "false") == "false"
    assert display("FEATURE_NEW_AUTH", "beta-users") != "beta-users"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://app:p@ss/w0rd@db.internal/app", "postgresql://app:***@db.internal/app"),
        ("mysql://root:p?ss@127.0.0.1:3306/x", "mysql://root:***@127.0.0.1:3306/x"),
        (
            "postgresql://db/app?password=s3cret&user=app&sslmode=require",
            "postgresql://db/app?password=***&user=app&sslmode=require",
        ),
        ("postgresql://app:pw@db/app?user=a@b", "postgresql://app:***@db/app?user=a@b"),
        ("postgresql://u:pw@/db?host=/run/pg", "postgresql://u:***@/db?host=/run/pg"),
        (
            "https://hooks.slack.com/services/T000/B000/XXXXtoken",
            "https://hooks.slack.com/services/T000/B000/***",
        ),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("sqlite:///db/shop.db", "sqlite:///db/shop.db"),
        ("https://medium.com/@someone", "https://medium.com/@someone"),
        ("no URL here", "no URL here"),
        (
            "cannot reach postgresql://a:p@ss/w@h:5432/db (refused); retry postgresql://b:x@h/db",
            "cannot reach postgresql://a:***@h:5432/db (refused); retry postgresql://b:***@h/db",
        ),
        ("host=db password='a b' dbname=x", "host=db password=*** dbname=x"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_errors_carry_redacted_urls() -> None:
    err = DatabaseError("cannot connect", url="postgresql://app:p@ss/w0rd@db/app?password=x2")
    assert "p@ss" not in err.one_line() and "w0rd" not in err.one_line() and "x2" not in err.one_line()
    assert err.one_line().startswith("postgresql://app:***@db/app?password=***")


def test_the_scope_masks_a_known_value_under_any_key_and_keys_known_secret() -> None:
    scope = SecretScope(b"k" * 32, values=["mellon-fake"], keys=["DB_PW2"])
    assert display("DB_PW3", "mellon-fake") == "mellon-fake"  # outside the scope: nothing known
    with use_scope(scope):
        assert display("DB_PW3", "mellon-fake") == fingerprint("mellon-fake")
        assert display("DB_PW2", "other-value") == fingerprint("other-value")
        assert display("LOG_LEVEL", "info") == "info"


def test_scrub_replaces_known_values_in_free_text() -> None:
    scope = SecretScope(b"k" * 32, values=["hunter2", 'quo"te-FAKE-secret\\x', "abc", "true"])
    with use_scope(scope):
        text = "DB_PASS=hunter2 hunter2x xhunter2 " + json.dumps({"v": 'quo"te-FAKE-secret\\x'}) + " abc true"
        out = scrub(text)
        assert f"DB_PASS={fingerprint('hunter2')} " in out
        # short values only where they stand alone: "hunter2x" is another word
        assert "hunter2x" in out and "xhunter2" in out
        assert "quo" not in out  # the JSON-escaped form of a known value is found too
        assert out.endswith(" abc true")  # too short to hunt for, and a switch is never a secret


def test_mask_text_scrubs_the_credentials_inside_a_given_url() -> None:
    url = "postgresql://app:p@ss/w0rd-FAKE@db/app"
    out = mask_text("psql: password p@ss/w0rd-FAKE rejected for " + url, [url])
    assert "w0rd-FAKE" not in out and "p@ss" not in out


def test_fingerprints_are_keyed() -> None:
    with use_scope(SecretScope(b"a" * 32)):
        a = fingerprint("hunter2")
        assert a == fingerprint("hunter2")
    with use_scope(SecretScope(b"b" * 32)):
        b = fingerprint("hunter2")
    assert a != b
    assert a.startswith("hmac:") and len(a) == len("hmac:") + 16


def test_smoke_masks_a_kubernetes_secret_and_a_secret_that_spans_lines(tmp_path: Path) -> None:
    from parity.config import SmokeCheck
    from parity.project import EnvLayer
    from parity.verify.smoke import run_smoke

    service = EnvLayer("api", tmp_path)
    values = {
        "BILLING_ACCOUNT": EnvValue(
            "BILLING_ACCOUNT", "billing-fake-data-value", tmp_path, 1, "k8s", secret=True
        ),
        "DB_PASSWORD": EnvValue("DB_PASSWORD", "first-FAKE-line\nsecond-FAKE-line", tmp_path, 2, "service"),
    }
    env = EffectiveEnv("api", "production", values)
    script = (
        "import os, sys; print(os.environ['BILLING_ACCOUNT']); "
        "sys.stderr.write(os.environ['DB_PASSWORD'] + '\\ndone\\n')"
    )
    check = SmokeCheck(name="echo", command=f'{sys.executable} -c "{script}"')
    result = run_smoke(service, check, env, [])
    assert result.ok, result.detail
    for secret in ("billing-fake-data-value", "first-FAKE-line", "second-FAKE-line"):
        assert secret not in result.detail
    assert "done" in result.detail


def test_a_crash_prints_its_traceback_scrubbed(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("DB_PASSWORD=crash-FAKE-pw\n")
    (tmp_path / ".env.example").write_text("DB_PASSWORD=\n")

    def boom(path: Path) -> None:
        raise RuntimeError("unexpected value crash-FAKE-pw")

    app = typer.Typer()
    app.command()(scoped(boom))
    result = CliRunner().invoke(app, [str(tmp_path)])
    assert result.exit_code == 70
    assert "crash-FAKE-pw" not in result.stdout + result.stderr
    assert "RuntimeError: unexpected value hmac:" in result.stderr


def test_a_long_secret_is_scrubbed_whole_and_where_only_its_head_shows() -> None:
    import secrets as random

    value = random.token_hex(500_000)  # 1 MB
    with use_scope(SecretScope(b"k" * 32, values=[value])):
        whole = scrub(f"BLOB={value} end")
        assert whole == f"BLOB={fingerprint(value)} end"
        cut = scrub(f"BLOB={value[:200]}… (1000000 chars)")
        assert value[:64] not in cut and cut.startswith(f"BLOB={fingerprint(value)}…")


def test_every_command_runs_in_its_projects_secret_scope() -> None:
    import inspect

    from parity.cli.app import app

    def commands(group: typer.Typer) -> list[object]:
        found: list[object] = [c.callback for c in group.registered_commands]
        for sub in group.registered_groups:
            if sub.typer_instance is not None:
                found += commands(sub.typer_instance)
        return found

    callbacks = commands(app)
    assert len(callbacks) > 20
    for cb in callbacks:
        assert getattr(cb, "__parity_scoped__", False), cb
        params = inspect.signature(cb).parameters  # type: ignore[arg-type]
        # The scope is the project this argument names; `lint` reads SQL files, no project.
        assert "path" in params or getattr(cb, "__name__", "") == "lint_cmd", cb


def test_values_the_example_publishes_are_not_blanked_out_of_names(tmp_path: Path) -> None:
    # Shaped after documenso: the example gives an access key id and a label common words that
    # are also the repository's and keys' names; scrubbing them blanked paths and key names.
    root = tmp_path / "documenso"
    (root / "api").mkdir(parents=True)
    (root / "api/.env.example").write_text(
        'NEXT_PRIVATE_UPLOAD_ACCESS_KEY_ID="documenso"\nNEXT_PRIVATE_OIDC_PROVIDER_LABEL="OIDC"\n'
    )
    (root / "api/.env.production").write_text("NEXT_PRIVATE_UPLOAD_ACCESS_KEY_ID=prod-FAKE-ak-1b2c3d4e5f\n")
    r = run_cli("env", "diff", str(root), "--env", "production")
    assert "documenso" in r.stdout.splitlines()[0]  # the title names the project
    # NEXT_PRIVATE_ says "server side only", not "secret": the label and its value stay readable.
    assert (
        "NEXT_PRIVATE_OIDC_PROVIDER_LABEL is missing in api (production) (the example has OIDC)" in r.stdout
    )
    assert "prod-FAKE-ak-1b2c3d4e5f" not in r.stdout + r.stderr


def test_a_weak_password_that_is_also_a_name_does_not_blank_paths(tmp_path: Path) -> None:
    # Shaped after awesome-compose's postgresql-pgadmin: the password is the user name.
    root = tmp_path / "postgresql-pgadmin"
    (root / "db").mkdir(parents=True)
    (root / "db/.env.production").write_text(
        "POSTGRES_USER=postgres\nPOSTGRES_PASSWORD=postgres\nAPI_TOKEN=hunter2x\nLEGACY=hunter2x\n"
    )
    r = run_cli("env", "diff", str(root), "--env", "production")
    assert "postgresql-pgadmin" in r.stdout.splitlines()[0]
    # A short password that is no plain name keeps being masked, also under an open key.
    assert "hunter2x" not in r.stdout + r.stderr
