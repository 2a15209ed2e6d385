"""Flask-Migrate projects: ``migrations/`` with its own alembic.ini and an env.py that needs the
running Flask app. parity treats them as the app's Alembic: pending revisions in ``check``,
their offline SQL linted in the ``migrate up`` dry run (UNKNOWN when a revision imports the
app), and ``apply`` running the revision files in parity's own Alembic environment on real
SQLite and PostgreSQL, never env.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.flask_project import write_flask_project
from tests.helpers import run_cli

from parity.migrate.alembic_run import applied_revisions, run_child, sqlalchemy_url
from parity.schema.apptool import find_alembic

FIRST, HEAD = "4b1f0c2d9e10", "c9d2a0e4f6b3"


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


def _production(root: Path, url: str, **kw: bool) -> Path:
    write_flask_project(root, url, **kw)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": FIRST, "direct": "1"}, url=url)
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        for name in ("ann", "bob"):
            conn.execute(sa.text('INSERT INTO "user" (username) VALUES (:n)'), {"n": name})
    engine.dispose()
    assert applied_revisions(url) == (FIRST,)
    return root


def _users(url: str) -> tuple[list[tuple[object, ...]], list[str]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        columns = [c["name"] for c in sa.inspect(engine).get_columns("user")]
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text('SELECT id, username FROM "user" ORDER BY id'))]
    finally:
        engine.dispose()
    return rows, columns


def test_flask_migrate_folder_is_found_with_its_own_ini(tmp_path: Path) -> None:
    root = write_flask_project(tmp_path / "app", "sqlite:///x.db")
    alembic = find_alembic(root)
    assert alembic is not None and alembic.flask
    assert alembic.ini == root / "migrations" / "alembic.ini"
    assert alembic.script_dir == root / "migrations" and alembic.heads == [HEAD]
    assert alembic.upgrade_command == "flask db upgrade"


def test_a_plain_alembic_env_is_not_taken_for_flask(tmp_path: Path) -> None:
    from tests.alembic_project import write_project

    alembic = find_alembic(write_project(tmp_path / "plain", "sqlite:///x.db"))
    assert alembic is not None and not alembic.flask


def test_check_names_pending_revisions_and_the_flask_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    proc = run_cli("check", str(root), "--env", "production")
    assert "Flask-Migrate" in proc.stdout and "flask db upgrade" in proc.stdout
    assert "7a3e55c8b2f1 (posts table)" in proc.stdout and "c9d2a0e4f6b3 (user about me)" in proc.stdout
    assert applied_revisions(url) == (FIRST,)


def test_apply_runs_the_revisions_without_env_py_and_keeps_rows(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    rows_before, _ = _users(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "in parity's own Alembic environment" in proc.stdout and "Flask-Migrate's" in proc.stdout
    assert applied_revisions(url) == (HEAD,)
    rows, columns = _users(url)
    assert rows == rows_before and "about_me" in columns
    assert not (root / "migrations" / "versions" / "V0001__parity_apply.up.sql").exists()
    assert sorted(p.name[:12] for p in (root / "migrations" / "versions").glob("*.py")) == sorted(
        [FIRST, "7a3e55c8b2f1", HEAD]
    )
    # The app's upgrade is now a no-op (same revision files, same environment as `flask db upgrade`
    # would use for them), and a second apply has nothing to do.
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0 and "alembic_version is at head" in proc.stdout
    assert _users(url) == (rows, columns)


def test_rollback_puts_the_flask_app_back_at_its_revision(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    before = _users(url)
    assert run_cli("apply", str(root), "--env", "production", "--yes").returncode == 0
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == (FIRST,) and _users(url) == before


def test_dry_run_lints_offline_sql_and_says_unknown_when_a_revision_needs_the_app(
    tmp_path: Path, pg_url: str
) -> None:
    root = _production(tmp_path / "ok", pg_url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--format", "json")
    assert "CREATE TABLE post" in proc.stdout and "ADD COLUMN about_me VARCHAR(140)" in proc.stdout
    findings = [f for s in json.loads(proc.stdout)["sections"] for f in s["findings"]]
    assert not any(f["code"] == "MGR008" for f in findings)

    other = tmp_path / "imports"
    write_flask_project(other, pg_url, imports_app=True)
    proc = run_cli("migrate", "up", str(other), "--env", "production", "--format", "json")
    findings = [f for s in json.loads(proc.stdout)["sections"] for f in s["findings"]]
    unknown = [f for f in findings if f["code"] == "MGR008"]
    assert unknown and "UNKNOWN" in unknown[0]["message"] and "ModuleNotFoundError" in unknown[0]["message"]
    assert "flask db upgrade 4b1f0c2d9e10:head --sql" in unknown[0]["fix"]
    assert applied_revisions(pg_url) == (FIRST,)


def test_migrate_new_writes_the_next_flask_migrate_revision_and_apply_runs_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    assert run_cli("migrate", "up", str(root), "--env", "production", "--yes").returncode == 0
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(
        'CREATE TABLE "user" (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL, '
        "about_me VARCHAR(140), last_seen DATETIME);\n"
        'CREATE UNIQUE INDEX ix_user_username ON "user" (username);\n'
        "CREATE TABLE post (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(140), "
        'user_id INTEGER REFERENCES "user" (id));\n'
    )
    proc = run_cli("migrate", "new", "user_last_seen", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    alembic = find_alembic(root)
    assert alembic is not None and len(alembic.heads) == 1 and alembic.heads != [HEAD]
    new = alembic.revisions[alembic.heads[0]]
    assert new.down == (HEAD,) and new.file.parent == root / "migrations" / "versions"
    assert "last_seen" in new.file.read_text()
    assert not (root / "migrations" / "parity.sum").exists() and not list(root.rglob("V0*.sql"))
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == (new.id,)
    rows, columns = _users(url)
    assert "last_seen" in columns and [r[1] for r in rows] == ["ann", "bob"]
