"""``apply`` / ``migrate up`` on an Alembic project run the application's own Alembic (its
env.py, its revisions) inside parity's safety net, on real SQLite and PostgreSQL databases.

Production is built by the app's own Alembic at revision r1 with rows in it; main has r1..r3."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.alembic_project import write_project
from tests.helpers import run_cli

from parity.migrate.alembic_run import applied_revisions, offline_sql, run_child, sqlalchemy_url
from parity.schema.apptool import find_alembic

ROWS = [("ann",), ("bob",), ("bob",)]  # a duplicate name: the failing revision's UNIQUE index trips on it


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Also MariaDB, for the runs that succeed: its DDL commits statement by statement, so a
    revision failing half way is not undone by ``alembic downgrade`` (see alembic_run)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url" if request.param == "postgres" else "mysql_url"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _production(root: Path, url: str, *, failing: bool = False) -> Path:
    """The project, and production at r1 (made by the app's Alembic) holding ``ROWS``."""
    write_project(root, url, failing=failing)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "r1"}, url=url)
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        for (name,) in ROWS:
            conn.execute(sa.text("INSERT INTO users (name) VALUES (:n)"), {"n": name})
    engine.dispose()
    assert applied_revisions(url) == ("r1",)
    return root


def _state(url: str) -> tuple[list[str], list[tuple[object, ...]], list[str]]:
    """Tables, the users' old columns, and the users' columns."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        tables = sorted(insp.get_table_names())
        columns = [c["name"] for c in insp.get_columns("users")]
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text("SELECT id, name FROM users ORDER BY id"))]
    finally:
        engine.dispose()
    return tables, rows, columns


def test_apply_runs_the_apps_alembic_to_head_and_keeps_old_rows(tmp_path: Path, any_url: str) -> None:
    url = any_url
    root = _production(tmp_path / "app", url)
    _, rows_before, _ = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "applied 2 Alembic revision(s) through the app's env.py: r2, r3" in proc.stdout
    assert applied_revisions(url) == ("r3",)
    tables, rows, columns = _state(url)
    assert rows == rows_before and "email" in columns
    assert tables == ["alembic_version", "orders", "users"]  # no parity_schema_history
    # parity wrote no migration of its own, neither beside Alembic's nor in a folder of its own.
    assert sorted(p.name for p in (root / "alembic" / "versions").glob("*.py")) == [
        "r1_create_users.py",
        "r2_add_email_to_users.py",
        "r3_create_orders.py",
    ]
    assert not (root / "migrations").exists()
    # The app's own `alembic upgrade head` is now a no-op.
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "head"}, url=url)
    assert applied_revisions(url) == ("r3",) and _state(url) == (tables, rows, columns)
    assert "Running upgrade" not in offline_sql(alembic, url, ["r3"])


def test_rollback_after_apply_puts_the_database_back_at_the_recorded_revision(
    tmp_path: Path, url: str
) -> None:
    root = _production(tmp_path / "app", url)
    before = _state(url)
    assert run_cli("apply", str(root), "--env", "production", "--yes").returncode == 0
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == ("r1",)
    assert _state(url) == before
    assert "undone by the backup restore" in _flat(proc.stdout), proc.stdout


def test_a_failing_revision_rolls_back_and_loses_nothing(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url, failing=True)
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0
    assert "migration failed: Alembic failed" in proc.stdout
    assert applied_revisions(url) == ("r1",)
    assert _state(url) == before  # no audit table, no email column, every old row
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0 and "rolled back" in proc.stdout
    assert applied_revisions(url) == ("r1",) and _state(url) == before


def test_a_second_runner_is_refused_by_the_lock(tmp_path: Path) -> None:
    from parity.workflow.lock import run_lock

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    with run_lock(root, "production", "migrate up"):
        proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
        assert proc.returncode != 0
        assert "is changing production; nothing was changed" in proc.stderr
        proc = run_cli("apply", str(root), "--env", "production", "--yes")
        assert proc.returncode != 0
    assert applied_revisions(url) == ("r1",)


def test_dry_run_shows_offline_sql_lints_it_and_runs_no_env_py(tmp_path: Path, pg_url: str) -> None:
    root = _production(tmp_path / "app", pg_url, failing=True)
    env_py = root / "alembic" / "env.py"
    env_py.write_text("open('env-py-ran', 'w').write('x')\n" + env_py.read_text())
    before = _state(pg_url)
    for args in (("migrate", "up"), ("plan",)):
        proc = run_cli(*args, str(root), "--env", "production")
        assert "r2 add email to users" in proc.stdout and "r3 unique user names" in proc.stdout, args
    proc = run_cli("check", str(root), "--env", "production")  # named once, in SCH009 and its table
    assert "r2 (add email to users)" in proc.stdout and "r3 (unique user names)" in proc.stdout
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--format", "json")
    assert "ALTER TABLE users ADD COLUMN email VARCHAR(100)" in proc.stdout
    assert "CREATE UNIQUE INDEX ux_users_name ON users (name)" in proc.stdout
    # parity's PostgreSQL rules see the index built without CONCURRENTLY, in r3's file.
    import json

    findings = [f for s in json.loads(proc.stdout)["sections"] for f in s["findings"]]
    assert any(
        f["file"] == "alembic/versions/r3_unique_user_names.py" and "CONCURRENTLY" in f["message"].upper()
        for f in findings
    ), findings
    assert not (root / "env-py-ran").exists() and not list(root.rglob("env-py-ran"))
    assert applied_revisions(pg_url) == ("r1",) and _state(pg_url) == before


def test_model_changes_alembic_covers_are_not_also_planned_by_parity(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text(
        "CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50), email VARCHAR(100));\n"
        "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n"
    )
    plan = run_cli("plan", str(root), "--env", "production")
    assert "would run `alembic upgrade head`" in plan.stdout and "V0001" not in plan.stdout
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no differences: the database matches the declared schema" in proc.stdout
    assert applied_revisions(url) == ("r3",)
    assert not (root / "migrations").exists()
    assert not list(root.rglob("V0*.sql"))


def test_a_revision_failing_half_way_on_mariadb_is_rolled_back_and_what_it_left_is_named(
    tmp_path: Path, mysql_url: str
) -> None:
    root = _production(tmp_path / "app", mysql_url, failing=True)
    before = _state(mysql_url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0
    # MariaDB committed the failing revision's CREATE TABLE: the whole-database backup, loaded
    # back, leaves no table behind (the downgrade route had to name it as left over).
    assert "undone by the backup restore" in _flat(proc.stdout), proc.stdout
    assert applied_revisions(mysql_url) == ("r1",)
    assert _state(mysql_url) == before


def test_migrate_up_is_journaled_so_rollback_and_migrate_rollback_undo_it(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    before = _state(url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "undo with: parity rollback" in proc.stdout and applied_revisions(url) == ("r3",)
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    # Once more through `migrate rollback`, the command next to `migrate up`.
    assert run_cli("migrate", "up", str(root), "--env", "production", "--yes").returncode == 0
    assert applied_revisions(url) == ("r3",)
    proc = run_cli("migrate", "rollback", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    # Undone once: nothing is left to roll back.
    again = run_cli("migrate", "rollback", str(root), "--env", "production", "--yes")
    assert again.returncode != 0 and "no applied run" in again.stdout + again.stderr
