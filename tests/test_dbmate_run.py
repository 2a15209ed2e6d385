"""``migrate up --yes`` and ``apply`` on a dbmate project run dbmate's own ``migrate`` (a child
process, the URL in its environment) in parity's safety net, on real SQLite, PostgreSQL and
MariaDB, with the real dbmate binary. Production is built by dbmate itself with the first two
migrations and rows in it; main has three more. Afterwards dbmate's own history (read by parity
and by ``dbmate status``) says head, a second run is a no-op, and ``rollback`` restores."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import with_user
from tests.dbmate_tool import find_or_install_dbmate
from tests.helpers import run_cli

from parity.migrate.alembic_run import sqlalchemy_url
from parity.migrate.cli_tool_run import applied, dbmate_url
from parity.schema.listed_tools import find_listed_tool

FOLDER = "db/migrations"
BUILT = {
    "20240101000000_create_users.sql": (
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100));",
        "DROP TABLE users;",
    ),
    "20240102000000_create_orders.sql": (
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER);",
        "DROP TABLE orders;",
    ),
}
PENDING = {
    "20240103000000_add_email.sql": (
        "ALTER TABLE users ADD COLUMN email VARCHAR(200);",
        "ALTER TABLE users DROP COLUMN email;",
    ),
    "20240104000000_create_tags.sql": (
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50));\nINSERT INTO tags VALUES (1, 'new');",
        "DROP TABLE tags;",
    ),
    "20240105000000_orders_index.sql": (
        "CREATE INDEX ix_orders_user ON orders (user_id);",
        "DROP INDEX ix_orders_user ON orders;",  # MariaDB's spelling; the others get theirs below
    ),
}
PENDING_IDS = ["20240103000000", "20240104000000", "20240105000000"]
BUILT_IDS = {"20240101000000", "20240102000000"}
SECRET = "s3cret-pw"


@pytest.fixture(scope="session")
def dbmate_bin() -> Path:
    return find_or_install_dbmate()


@pytest.fixture(params=["sqlite", "pg", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    if request.param == "pg":
        # A password in the URL (trust authentication ignores it): it is never printed or stored.
        return with_user(str(request.getfixturevalue("pg_url")), "postgres", SECRET)
    return str(request.getfixturevalue(f"{request.param}_url"))


def _no_secret(root: Path, *outputs: str) -> None:
    assert not [o for o in outputs if SECRET in o]
    for f in (root / ".parity").rglob("*"):
        if f.is_file() and f.suffix in (".jsonl", ".json", ".txt"):
            assert SECRET not in f.read_text(errors="replace"), f


def _file(up: str, down: str, url: str) -> str:
    if not url.startswith("mysql"):
        down = down.replace(" ON orders;", ";")
    return f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"


def _dbmate(dbmate_bin: Path, root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """dbmate as the app's operator runs it, in the project, the URL in DATABASE_URL."""
    env = {"PATH": f"{dbmate_bin}:{os.environ['PATH']}", "DATABASE_URL": dbmate_url(url)}
    return subprocess.run(
        ["dbmate", "--no-dump-schema", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def _env(dbmate_bin: Path) -> dict[str, str]:
    return {"PATH": f"{dbmate_bin}:{os.environ['PATH']}"}


def _production(
    tmp_path: Path, url: str, dbmate_bin: Path, extra: dict[str, tuple[str, str]] | None = None
) -> Path:
    root = tmp_path / "app"
    folder = root / FOLDER
    folder.mkdir(parents=True)
    scheme = url.split(":", 1)[0]
    (root / ".env.example").write_text(f"DATABASE_URL={scheme}://localhost/app\n")
    (root / ".env.production").write_text(f"DATABASE_URL={url}\n")
    for name, (up, down) in BUILT.items():
        (folder / name).write_text(_file(up, down, url))
    proc = _dbmate(dbmate_bin, root, url, "migrate")
    assert proc.returncode == 0, proc.stderr
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace')"))
        conn.execute(sa.text("INSERT INTO orders (id, user_id, total) VALUES (10, 1, 5), (11, 2, 7)"))
    engine.dispose()
    for name, (up, down) in {**PENDING, **(extra or {})}.items():
        (folder / name).write_text(_file(up, down, url))
    return root


def _state(url: str) -> tuple[list[str], list[tuple[object, ...]], list[tuple[object, ...]]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        tables = sorted(t for t in sa.inspect(engine).get_table_names() if t != "schema_migrations")
        with engine.connect() as conn:
            users = [tuple(r) for r in conn.execute(sa.text("SELECT id, name FROM users ORDER BY id"))]
            orders = [
                tuple(r) for r in conn.execute(sa.text("SELECT id, user_id, total FROM orders ORDER BY id"))
            ]
    finally:
        engine.dispose()
    return tables, users, [*orders, ("columns", *sorted(c["name"] for c in _columns(url)))]


def _columns(url: str) -> list[dict[str, object]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        return list(sa.inspect(engine).get_columns("users"))  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _history(root: Path, url: str) -> set[str] | None:
    tool = find_listed_tool(root)
    assert tool is not None and tool.tool == "dbmate"
    return applied(tool, url)


def test_migrate_up_runs_dbmate_to_head_and_keeps_rows(tmp_path: Path, url: str, dbmate_bin: Path) -> None:
    root = _production(tmp_path, url, dbmate_bin)
    _, users, orders = _state(url)
    dry = run_cli("migrate", "up", str(root), "--env", "production", env=_env(dbmate_bin))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would run `dbmate migrate`" in _flat(dry) and "20240104000000_create_tags.sql" in _flat(dry)
    assert _history(root, url) == BUILT_IDS  # a dry run wrote nothing
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "applied 3 dbmate migration(s) with `dbmate migrate`" in _flat(proc), proc.stdout
    assert _history(root, url) == BUILT_IDS | set(PENDING_IDS)
    tables, users_after, orders_after = _state(url)
    assert users_after == users and orders_after[:2] == orders[:2] and "email" in orders_after[2]
    assert "tags" in tables and "parity_schema_history" not in tables
    assert not list(root.rglob("V0*.sql")) and not (root / "db" / "schema.sql").exists()
    # dbmate itself says head, and its own migrate is a no-op.
    status = _dbmate(dbmate_bin, root, url, "status")
    assert "Applied: 5" in status.stdout and "Pending: 0" in status.stdout, status.stdout + status.stderr
    again = _dbmate(dbmate_bin, root, url, "migrate")
    assert again.returncode == 0 and "Applying" not in again.stdout, again.stdout
    second = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert second.returncode == 0 and "nothing to apply" in _flat(second), second.stdout
    _no_secret(root, proc.stdout, proc.stderr, dry.stdout, second.stdout)


def test_rollback_after_apply_restores(tmp_path: Path, url: str, dbmate_bin: Path) -> None:
    root = _production(tmp_path, url, dbmate_bin)
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert _history(root, url) == BUILT_IDS | set(PENDING_IDS), proc.stdout + proc.stderr
    proc = run_cli("rollback", str(root), "--env", "production", env=_env(dbmate_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _history(root, url) == BUILT_IDS
    assert _state(url) == before
    _no_secret(root, proc.stdout, proc.stderr)
    how = "restored the backup" if url.startswith("sqlite") else "ran `dbmate rollback` 3 time(s)"
    assert how in _flat(proc), proc.stdout


@pytest.mark.parametrize(
    ("url", "command"), [("sqlite", "apply"), ("pg", "migrate up"), ("mysql", "apply")], indirect=["url"]
)
def test_a_failing_migration_midway_is_all_or_nothing(
    tmp_path: Path, url: str, dbmate_bin: Path, command: str
) -> None:
    # A CREATE TABLE before the failing statement: rolled back with dbmate's transaction, except
    # on MariaDB, where it committed by itself (dropped by parity's undo: the run created it).
    broken = "CREATE TABLE audit (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);"
    fail = {"20240106000000_broken.sql": (broken, "DROP TABLE audit;")}
    root = _production(tmp_path, url, dbmate_bin, fail)
    before = _state(url)
    proc = run_cli(*command.split(), str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode != 0
    assert "migration failed: dbmate failed:" in _flat(proc) and "no_such_table" in _flat(proc), proc.stdout
    how = "restored the backup" if url.startswith("sqlite") else "ran `dbmate rollback` 3 time(s)"
    assert "rolled back:" in _flat(proc) and how in _flat(proc), proc.stdout
    # dbmate committed the three good ones before the fourth failed: they were undone too.
    assert _history(root, url) == BUILT_IDS
    assert _state(url) == before
    _no_secret(root, proc.stdout, proc.stderr)


def _flat(proc: subprocess.CompletedProcess[str]) -> str:
    """The run's output as one line: the report wraps long lines at the terminal's width."""
    return " ".join((proc.stdout + proc.stderr).split())


def _no_dbmate_path() -> str:
    """PATH without any dbmate (the test machine's own, if it has one, left out too)."""
    return ":".join(p for p in os.environ["PATH"].split(":") if p and not (Path(p) / "dbmate").exists())


@pytest.mark.parametrize("command", ["apply", "migrate up"])
def test_without_dbmate_on_path_nothing_runs_and_the_report_says_what_to_run(
    tmp_path: Path, dbmate_bin: Path, command: str
) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path, url, dbmate_bin)
    before = _state(url)
    proc = run_cli(
        *command.split(), str(root), "--env", "production", "--yes", env={"PATH": _no_dbmate_path()}
    )
    out = _flat(proc)
    assert proc.returncode != 0, out
    assert "`dbmate` is not on PATH" in out and "`dbmate up`" in out, out
    assert _state(url) == before and _history(root, url) == BUILT_IDS
    assert not (root / ".parity" / "backups").exists()


def test_a_dbmate_inside_the_repository_is_not_run(tmp_path: Path, dbmate_bin: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path, url, dbmate_bin)
    before = _state(url)
    planted = root / "bin" / "dbmate"
    planted.parent.mkdir()
    marker = tmp_path / "planted-ran"
    planted.write_text(f"#!/bin/sh\ntouch {marker}\n")
    planted.chmod(0o755)
    path = f"{planted.parent}:{_no_dbmate_path()}"
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env={"PATH": path})
    assert proc.returncode != 0
    assert "is inside the repository" in _flat(proc), proc.stdout + proc.stderr
    dry = run_cli("migrate", "up", str(root), "--env", "production", env={"PATH": path})
    assert "parity will NOT run them" in _flat(dry) and "inside the repository" in _flat(dry), dry.stdout
    assert not marker.exists() and _state(url) == before


def test_tools_that_run_repository_code_are_never_started(tmp_path: Path, dbmate_bin: Path) -> None:
    from parity.migrate.cli_tool_run import runnable

    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "20240101000000_users.js").write_text(
        "exports.up = function (knex) { return knex.schema.createTable('users', t => t.increments()); };\n"
    )
    tool = find_listed_tool(root)
    assert tool is not None and tool.tool == "Knex"
    can = runnable(tool, root)
    assert not can.ok and "knexfile.js" in can.reason and "never starts" in can.reason


def test_a_migration_without_a_down_is_undone_from_the_whole_backup(
    tmp_path: Path, pg_url: str, dbmate_bin: Path
) -> None:
    """dbmate would "roll back" an empty down by deleting its history row, the schema unchanged:
    parity does not run that down; the whole-database backup taken before the run is loaded back."""
    extra = {"20240106000000_broken.sql": ("INSERT INTO no_such_table VALUES (1);", "SELECT 1;")}
    root = _production(tmp_path, pg_url, dbmate_bin, extra)
    before = _state(pg_url)
    first = root / FOLDER / "20240103000000_add_email.sql"
    first.write_text("-- migrate:up\nALTER TABLE users ADD COLUMN email VARCHAR(200);\n\n-- migrate:down\n")
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode != 0
    text = _flat(proc)
    assert "undone by the backup restore (20240103000000 has no down section" in text, proc.stdout
    assert "a pg_dump of the restored database is identical to the backup" in text, proc.stdout
    assert _history(root, pg_url) == BUILT_IDS
    assert _state(pg_url) == before


@pytest.mark.parametrize("command", ["apply", "migrate up"])
def test_sigterm_while_dbmate_migrates_undoes_what_it_committed(
    tmp_path: Path, pg_url: str, dbmate_bin: Path, command: str
) -> None:
    import signal
    import sys
    import time

    slow = {"20240106000000_slow.sql": ("SELECT pg_sleep(120);", "SELECT 1;")}
    root = _production(tmp_path, pg_url, dbmate_bin, slow)
    before = _state(pg_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "parity", *command.split(), str(root), "--env", "production", "--yes"],
        env={**os.environ, **_env(dbmate_bin), "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # dbmate has committed 03..05 and sleeps in 06.
        while (_history(root, pg_url) or set()) != BUILT_IDS | set(PENDING_IDS):
            assert time.monotonic() < deadline and proc.poll() is None, (
                "dbmate never reached the slow migration"
            )
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    said = "every change of this run was undone" if command == "apply" else "interrupted while dbmate ran"
    assert said in out + err, out + err
    assert _history(root, pg_url) == BUILT_IDS and _state(pg_url) == before
    engine = sa.create_engine(sqlalchemy_url(pg_url))
    with engine.connect() as conn:  # the killed dbmate's session is gone, not sleeping on
        sleeping = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    assert sleeping == 0


def test_a_half_applied_mariadb_migration_is_undone_from_the_whole_backup(
    tmp_path: Path, mysql_url: str, dbmate_bin: Path
) -> None:
    """MariaDB commits the ALTER before the failing INSERT and dbmate records nothing: the tool's
    history is back where it was, the schema is not; the backup taken before the run puts it back."""
    broken = "ALTER TABLE users ADD COLUMN nick VARCHAR(20);\nINSERT INTO no_such_table VALUES (1);"
    root = _production(tmp_path, mysql_url, dbmate_bin, {"20240106000000_broken.sql": (broken, "SELECT 1;")})
    before = _state(mysql_url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode != 0
    text = _flat(proc)
    assert "undone by the backup restore" in text and "column users.nick" in text, proc.stdout
    assert _history(root, mysql_url) == BUILT_IDS
    assert _state(mysql_url) == before
    check = run_cli("check", str(root), "--env", "production", env=_env(dbmate_bin))
    assert "APL003" not in check.stdout, check.stdout  # nothing left open


def test_dbmate_is_shown_only_the_files_parity_listed(tmp_path: Path, dbmate_bin: Path) -> None:
    """A link among the migrations (to a file outside the repository) and the repository's own
    ``.env`` (dbmate reads one from its working directory) reach dbmate neither."""
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path, url, dbmate_bin)
    outside = tmp_path / "outside.sql"
    outside.write_text(
        "-- migrate:up\nCREATE TABLE planted (id INTEGER);\n-- migrate:down\nDROP TABLE planted;\n"
    )
    (root / FOLDER / "20240109000000_linked.sql").symlink_to(outside)
    other = tmp_path / "other.db"
    (root / ".env").write_text(f"DATABASE_URL=sqlite:{other}\nDBMATE_MIGRATIONS_TABLE=elsewhere\n")
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _history(root, url) == BUILT_IDS | set(PENDING_IDS)
    tables, _, _ = _state(url)
    assert "planted" not in tables and "tags" in tables and not other.exists()


def test_dbmate_file_parts_and_urls() -> None:
    from parity.migrate.cli_tool_run import dbmate_parts

    up, tx, down = dbmate_parts(
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n"
    )
    assert (
        up.strip() == "CREATE INDEX CONCURRENTLY i ON t (a);"
        and tx is False
        and down.strip() == "DROP INDEX i;"
    )
    assert dbmate_parts("-- migrate:up\nSELECT 1;\n")[1:] == (True, "")
    assert dbmate_url("sqlite:////srv/app/prod.db") == "sqlite:/srv/app/prod.db"
    pg = dbmate_url("postgresql+psycopg://app:p%40ss@db:6432/shop", "parity-dbmate-1")
    assert pg.startswith("postgres://app:p%40ss@db:6432/shop?")
    assert "sslmode=prefer" in pg and "application_name=parity-dbmate-1" in pg
    assert "sslmode=require" in dbmate_url("postgresql://app@db/shop?sslmode=require")
    assert (
        dbmate_url("mysql+pymysql://root:pw@127.0.0.1:3306/shop?charset=utf8mb4")
        == "mysql://root:pw@127.0.0.1:3306/shop"
    )


def test_the_undo_never_rolls_back_a_migration_the_database_had_before(
    tmp_path: Path, pg_url: str, dbmate_bin: Path
) -> None:
    """Production ran 04 before 03 existed; the run applies 03 (out of order) and 05, then fails.
    ``dbmate rollback`` undoes the latest: after 05 that is 04, which is not the run's, so parity
    stops the downs there and loads the whole-database backup instead."""
    extra = {"20240106000000_broken.sql": ("INSERT INTO no_such_table VALUES (1);", "SELECT 1;")}
    root = _production(tmp_path, pg_url, dbmate_bin, extra)
    only_04 = tmp_path / "only-04"
    only_04.mkdir()
    (only_04 / "20240104000000_create_tags.sql").write_text(
        (root / FOLDER / "20240104000000_create_tags.sql").read_text()
    )
    assert _dbmate(dbmate_bin, root, pg_url, "--migrations-dir", str(only_04), "migrate").returncode == 0
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    text = _flat(proc)
    assert proc.returncode != 0 and "undone by the backup restore" in text, proc.stdout
    assert "latest migration is 20240104000000, not this run's 20240103000000" in text, proc.stdout
    # The down stopped short of 04 (production's own); the backup put back exactly what was there.
    assert _history(root, pg_url) == BUILT_IDS | {"20240104000000"}
    assert "tags" in _state(pg_url)[0]


def test_migrate_up_is_undone_by_migrate_rollback_even_when_a_down_fails(
    tmp_path: Path, pg_url: str, dbmate_bin: Path
) -> None:
    """``migrate up --yes`` is journaled as ``apply`` is: ``migrate rollback`` finds the run, tries
    dbmate's downs, and when one fails loads the whole-database backup taken before the run."""
    root = _production(tmp_path, pg_url, dbmate_bin)
    before = _state(pg_url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "undo with: parity rollback" in _flat(proc), proc.stdout
    # A down that cannot run (the operator's edit after the deploy).
    tags = root / FOLDER / "20240104000000_create_tags.sql"
    tags.write_text(tags.read_text().replace("DROP TABLE tags;", "DROP TABLE no_such_tags;"))
    back = run_cli("migrate", "rollback", str(root), "--env", "production", "--yes", env=_env(dbmate_bin))
    assert back.returncode == 0, back.stdout + back.stderr
    assert "undone by the backup restore" in _flat(back) and "no_such_tags" in _flat(back), back.stdout
    assert _history(root, pg_url) == BUILT_IDS
    assert _state(pg_url) == before
