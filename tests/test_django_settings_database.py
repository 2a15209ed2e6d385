"""The production database of a Django app whose settings build DATABASES from env keys of their
own (healthchecks' hc/settings.py shape), read from the settings' syntax tree with the service's
effective env; ``check`` then names the pending migrations without a DATABASE_URL. And a
database host that does not resolve here (compose's ``db``) is a note in ``check``, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.django_project import write_django_project
from tests.helpers import run_cli
from tests.test_django_run import _manage

from parity.migrate.alembic_run import sqlalchemy_url
from parity.schema.django_settings import settings_database

HEALTHCHECKS = """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def envint(s, default):
    return int(os.getenv(s, default))


def envsecret(s, default):
    return os.getenv(s, default)


DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.getenv("DB_NAME", BASE_DIR / "hc.sqlite"),
        "OPTIONS": {"init_command": "PRAGMA busy_timeout = 5000;"},
    }
}

# You can switch database engine to postgres or mysql using environment
# variable 'DB'. Travis CI does this.
if os.getenv("DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.getenv("DB_HOST", ""),
            "PORT": os.getenv("DB_PORT", ""),
            "NAME": os.getenv("DB_NAME", "hc"),
            "USER": os.getenv("DB_USER", "postgres"),
            "PASSWORD": envsecret("DB_PASSWORD", ""),
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "0"),
            "OPTIONS": {"sslmode": os.getenv("DB_SSLMODE", "prefer")},
        }
    }

if os.getenv("DB") in ["mysql", "mariadb"]:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "HOST": os.getenv("DB_HOST", ""),
            "PORT": os.getenv("DB_PORT", ""),
            "NAME": os.getenv("DB_NAME", "hc"),
            "USER": os.getenv("DB_USER", "root"),
            "PASSWORD": envsecret("DB_PASSWORD", ""),
        }
    }
"""


@pytest.mark.parametrize(
    ("env", "url"),
    [
        # the SQLite default's NAME is BASE_DIR / "hc.sqlite": not guessed
        ({}, None),
        ({"DB_NAME": "/srv/hc/hc.sqlite"}, "sqlite:////srv/hc/hc.sqlite"),
        (
            {
                "DB": "postgres",
                "DB_HOST": "db.internal",
                "DB_PORT": "5433",
                "DB_NAME": "hc",
                "DB_PASSWORD": "p@ss",
            },
            "postgresql://postgres:p%40ss@db.internal:5433/hc",
        ),
        ({"DB": "postgres"}, "postgresql://postgres@localhost/hc"),  # every default of the settings
        ({"DB": "mariadb", "DB_HOST": "10.0.0.5", "DB_USER": "hc"}, "mysql://hc@10.0.0.5/hc"),
        ({"DB": "oracle", "DB_NAME": "hc.sqlite"}, "sqlite:///hc.sqlite"),  # neither branch: SQLite
    ],
)
def test_the_settings_select_a_database_from_the_env(env: dict[str, str], url: str | None) -> None:
    found = settings_database(HEALTHCHECKS, env)
    assert (found.url if found else None) == url


def test_a_test_the_reader_cannot_decide_gives_no_url() -> None:
    source = HEALTHCHECKS.replace('if os.getenv("DB") == "postgres":', "if some_function():")
    assert settings_database(source, {"DB": "postgres", "DB_NAME": "x"}) is None
    assert settings_database("DATABASES = load_from_vault()\n", {}) is None
    assert settings_database("import os\n", {"DATABASE_URL": "sqlite:///x"}) is None


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_check_names_pending_migrations_from_the_settings_own_keys(tmp_path: Path, url: str) -> None:
    root = write_django_project(tmp_path / "app", url)
    assert _manage(root, url, "migrate", "checks", "0001_initial").returncode == 0
    u = sa.engine.make_url(sqlalchemy_url(url))
    # production's env names the database as the settings read it: no DATABASE_URL anywhere
    keys = (
        f"DB_NAME={u.database}\n"
        if url.startswith("sqlite")
        else f"DB=postgres\nDB_NAME={u.database}\nDB_HOST={u.host}\nDB_USER={u.username}\n"
    )
    (root / ".env.production").write_text(keys)
    (root / ".env.example").write_text("DB=\nDB_NAME=\nDB_HOST=\nDB_USER=\n")
    proc = run_cli("check", str(root), "--env", "production", "--format", "json")
    data = json.loads(proc.stdout)
    schema = next(s for s in data["sections"] if s["title"] == "Schema Impact Analysis")
    sch9 = next(f for f in schema["findings"] if f["code"] == "SCH009")
    assert "3 Django migrations pending" in sch9["message"], schema


def test_a_database_host_that_does_not_resolve_is_a_note_not_a_crash(tmp_path: Path) -> None:
    root = write_django_project(tmp_path / "app", "postgresql://postgres@parity-no-such-host.invalid:5432/hc")
    proc = run_cli("check", str(root), "--env", "production")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # the report's verdict, not 2 (an error)
    out = " ".join(proc.stdout.split())
    assert "schema not checked:" in out and "cannot reach the PostgreSQL server" in out, out
