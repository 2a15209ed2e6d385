"""The application's own migration tool: pending Alembic revisions are the gap, read without
running any of the repository's code, from a read-only database session.

Shaped after Flask/FastAPI apps: ``alembic.ini`` (or Flask-Migrate's ``migrations/``) beside the
app, revisions in ``versions/`` with ``revision``/``down_revision`` and a docstring message, a
branch merged by a revision with two parents, and production a few revisions behind."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tests.helpers import run_cli

from parity.schema.apptool import find_alembic

MARKER = "executed.txt"


def _revision(rid: str, down: str | tuple[str, ...] | None, message: str) -> str:
    # Any import or run of a revision file would leave the marker behind.
    return (
        f'"""{message}\n\nRevision ID: {rid}\n"""\n'
        f"open({MARKER!r}, 'w').write('revision ran')\n"
        f"revision = {rid!r}\ndown_revision = {down!r}\n"
        "def upgrade():\n    pass\n"
    )


def _project(root: Path, *, flask: bool = False, applied: str | None = "a1") -> tuple[Path, Path]:
    folder = root / "migrations"
    (folder / "versions").mkdir(parents=True)
    if not flask:
        (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    env = "from flask import current_app\n" if flask else ""
    (folder / "env.py").write_text(
        f"{env}from alembic import context\nopen({MARKER!r}, 'w').write('env ran')\n"
    )
    revisions = [
        ("a1", None, "create users"),
        ("b2", "a1", "add email to users"),
        ("c3", "a1", "create orders"),
        ("d4", ("b2", "c3"), "merge heads"),
    ]
    for rid, down, msg in revisions:
        (folder / "versions" / f"{rid}_{msg.replace(' ', '_')}.py").write_text(_revision(rid, down, msg))
    (root / "db").mkdir()
    (root / "db/schema.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n"
    )
    db = root / "prod.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('old row')")
    if applied is not None:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (applied,))
    conn.commit()
    conn.close()
    return root, db


def _schema(root: Path, db: Path) -> tuple[dict, str]:  # type: ignore[type-arg]
    args = ["schema", "diff", str(root), "--db", f"sqlite:///{db}", "--schema", "db/schema.sql"]
    data = json.loads(run_cli(*args, "--format", "json").stdout)
    return data, run_cli(*args).stdout


def test_pending_revisions_by_id_and_message_without_running_the_repository(tmp_path: Path) -> None:
    root, db = _project(tmp_path)
    before = db.read_bytes()
    data, text = _schema(root, db)
    findings = data["findings"]
    sch9 = [f for f in findings if f["code"] == "SCH009"]
    assert len(sch9) == 1 and sch9[0]["severity"] == "error"
    msg = sch9[0]["message"]
    assert "3 Alembic revisions pending" in msg and "the database is at a1, main's head is d4" in msg
    # Oldest first, the merge last.
    assert msg.index("b2 (add email to users)") < msg.index("d4 (merge heads)")
    assert "c3 (create orders)" in msg
    assert "alembic upgrade head" in sch9[0]["fix"]
    # The tool's own table is no table "only production has".
    assert not any(f["code"] == "SCH007" and "alembic_version" in f["message"] for f in findings)
    assert "SCH009" in text and "alembic upgrade head" in text
    assert not (root / MARKER).exists() and not (Path.cwd() / MARKER).exists()
    assert db.read_bytes() == before


def test_at_head_is_a_note_and_no_history_is_a_warning(tmp_path: Path) -> None:
    root, db = _project(tmp_path / "head", applied="d4")
    _, text = _schema(root, db)
    assert "Alembic (migrations): the database is at head d4" in text
    assert "SCH009" not in text

    root, db = _project(tmp_path / "none", flask=True, applied=None)
    data, text = _schema(root, db)
    assert [f["severity"] for f in data["findings"] if f["code"] == "SCH009"] == ["warning"]
    assert (
        "! [SCH009] Flask-Migrate manages this schema (migrations) but the database has no alembic_version"
        in text
    )
    assert "flask db upgrade" in text


@pytest.mark.parametrize("bad", ["../outside", "/etc"])
def test_a_script_location_outside_the_repository_is_ignored(tmp_path: Path, bad: str) -> None:
    outside = tmp_path / "outside"
    (outside / "versions").mkdir(parents=True)
    (outside / "versions" / "x1.py").write_text(_revision("x1", None, "not ours"))
    root = tmp_path / "repo"
    root.mkdir()
    (root / "alembic.ini").write_text(f"[alembic]\nscript_location = {bad}\n")
    assert find_alembic(root) is None


def test_schema_diff_sql_is_what_migrate_would_run(tmp_path: Path) -> None:
    # Piped to sqlite3 or psql, the script must never half-migrate: refused changes are comments.
    (tmp_path / "db").mkdir()
    (tmp_path / "db/schema.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT NOT NULL, nick TEXT);\n"
    )
    db = tmp_path / "prod.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('old row')")
    conn.commit()
    conn.close()
    out = run_cli(
        "schema",
        "diff",
        str(tmp_path),
        "--db",
        f"sqlite:///{db}",
        "--schema",
        "db/schema.sql",
        "--format",
        "sql",
    ).stdout
    refused = [line for line in out.splitlines() if "email" in line]
    assert refused and all(line.startswith("--") for line in refused), out
    assert "-- refused (PLN001)" in out
    assert out.count("BEGIN;") == 1 and out.count("COMMIT;") == 1
    conn = sqlite3.connect(db)
    conn.executescript(out)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(users)")]
    rows = conn.execute("SELECT name FROM users").fetchall()
    conn.close()
    assert cols == ["id", "name", "nick"] and rows == [("old row",)]


@pytest.mark.postgres
def test_schema_diff_sql_on_postgres_sets_timeouts_inside_a_transaction(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id serial PRIMARY KEY, name text)")
        conn.execute("INSERT INTO users (name) VALUES ('old row')")
    (tmp_path / "db").mkdir()
    (tmp_path / "db/schema.sql").write_text(
        "CREATE TABLE users (id serial PRIMARY KEY, name text, email text NOT NULL, nick text);\n"
        "CREATE TABLE orders (id serial PRIMARY KEY, user_id integer REFERENCES users (id));\n"
    )
    out = run_cli(
        "schema", "diff", str(tmp_path), "--db", pg_url, "--schema", "db/schema.sql",
        "--dev-url", pg_url, "--format", "sql",
    ).stdout  # fmt: skip
    lines = [line for line in out.splitlines() if line and not line.startswith("--")]
    assert lines[0] == "BEGIN;" and lines[1].startswith("SET LOCAL lock_timeout") and lines[-1] == "COMMIT;"
    assert not any("email" in line for line in lines)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(out.encode())
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"users", "orders"} <= tables
        conn.execute("INSERT INTO orders (user_id) VALUES (1)")
