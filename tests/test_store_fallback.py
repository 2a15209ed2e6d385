"""The fallback still works: migrations replay on empty SQLite to the desired schema, and the
declared smoke command passes with the database URL unset."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from parity.model.findings import Section
from parity.project import discover
from parity.store.check import build_store_section

SCHEMA = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'new'
);
"""
SECRET = "prod-FAKE-0f1e2d3c4b5a69788796"


def make(tmp_path: Path, migrations: dict[str, str] | None = None, toml: str = "") -> Path:
    root = tmp_path / "proj"
    (root / "api").mkdir(parents=True)
    (root / "schema.sql").write_text(SCHEMA)
    (root / "api/.env.production").write_text(f"DATABASE_URL=sqlite:///prod.db\nAPI_SECRET_KEY={SECRET}\n")
    for name, sql in (migrations or {}).items():
        path = root / "migrations" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(sql))
    if toml:
        (root / "parity.toml").write_text(textwrap.dedent(toml))
    return root


def section(root: Path, smoke: bool = True) -> Section:
    return build_store_section(discover(root), "production", smoke=smoke)


def codes(sec: Section) -> list[str]:
    return [f.code for f in sec.findings]


def test_migrations_replay_to_the_desired_schema(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "V0001__orders.up.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);",
            "V0001__orders.down.sql": "DROP TABLE orders;",
            "V0002__status.up.sql": "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';",
        },
    )
    sec = section(root)
    assert codes(sec) == []
    assert any("2 migration(s) of migrations replay on empty SQLite" in n for n in sec.notes)


def test_migrations_that_lag_the_schema(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "V0001__orders.up.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);"
        },
    )
    (f,) = section(root).findings
    assert f.code == "STO041" and f.file == "migrations"
    assert "add column orders.status" in f.message


def test_migration_that_fails_on_sqlite_names_file_and_line(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "V0001__orders.up.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);",
            "V0002__status.up.sql": "-- adds status\nALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';\nALTER TABLE nope ADD COLUMN x TEXT;\n",
        },
    )
    (f,) = section(root).findings
    assert f.code == "STO040"
    assert f.file == "migrations/V0002__status.up.sql"
    assert f.line == 3


def test_unconventional_migration_names_replay_in_name_order(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "001_orders.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);",
            "002_status.sql": "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';",
        },
    )
    assert codes(section(root)) == []


def test_no_migrations_folder_is_a_note(tmp_path: Path) -> None:
    sec = section(make(tmp_path))
    assert codes(sec) == [] and any("replay check skipped" in n for n in sec.notes)


def smoke_toml(command: str) -> str:
    return f"[store]\nfallback_smoke = '''{command}'''\n"


def test_smoke_runs_with_the_database_url_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///somewhere.db")
    check = f"{sys.executable} -c \"import os, sys; sys.exit(3 if 'DATABASE_URL' in os.environ else 0)\""
    sec = section(make(tmp_path, toml=smoke_toml(check)))
    assert codes(sec) == []
    assert any("passed with DATABASE_URL unset" in n for n in sec.notes)


def test_failing_smoke_is_an_error_and_its_output_is_masked(tmp_path: Path) -> None:
    leak = f"{sys.executable} -c \"print('token {SECRET}'); raise SystemExit(4)\""
    root = make(tmp_path, toml=smoke_toml(leak))
    (f,) = section(root).findings
    assert f.code == "STO042" and "exited 4" in f.message
    assert SECRET not in f.message and "hmac:" in f.message
    assert f.file == "parity.toml"
    assert codes(section(root, smoke=False)) == []
