"""``check``, ``migrate up`` and ``apply`` on a Django project: pending migrations named by app
label and name (read from the files' syntax trees), run by the app's own ``manage.py migrate``
(a child process, the default database pointed at the target whatever the settings read) in
parity's safety net, on real SQLite and PostgreSQL. Production is built by Django itself at
``checks.0001_initial`` with rows in it; main has three more migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.django_project import write_django_project
from tests.helpers import run_cli

from parity.migrate.alembic_run import sqlalchemy_url
from parity.migrate.django_run import applied, find_django, targets_before
from parity.schema.listed_tools import find_listed_tool, read_django_migration

PENDING = ["checks.0002_check_tags", "checks.0003_check_slug", "checks.0004_fill_slug"]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def scratch_pg_url(pg_server_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database: the scratch server a dry run may point the app's code at."""
    import uuid

    import psycopg
    from tests.conftest import with_database

    name = f"parity_scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` as the app's operator runs it: the database named through the settings' own
    variables (DB, DB_NAME, DB_HOST), not parity's URL."""
    u = sa.engine.make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB")}
    if u.drivername.startswith("sqlite"):
        env["DB_NAME"] = str(u.database)
    else:
        env.update(DB="postgres", DB_NAME=str(u.database), DB_HOST=str(u.host), DB_USER=str(u.username))
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def _production(root: Path, url: str, **kw: bool) -> Path:
    write_django_project(root, url, **kw)
    proc = _manage(root, url, "migrate", "checks", "0001_initial")
    assert proc.returncode == 0, proc.stderr
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts_project (name) VALUES ('main')"))
        for name in ("Web Server", "backup", "backup"):  # a duplicate: the failing migration trips on it
            conn.execute(sa.text("INSERT INTO checks_check (name, project_id) VALUES (:n, 1)"), {"n": name})
    engine.dispose()
    return root


def _state(url: str) -> tuple[list[str], list[str], list[tuple[object, ...]]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        insp = sa.inspect(engine)
        tables = sorted(insp.get_table_names())
        columns = [c["name"] for c in insp.get_columns("checks_check")]
        with engine.connect() as conn:
            rows = [
                tuple(r)
                for r in conn.execute(sa.text("SELECT id, name, project_id FROM checks_check ORDER BY id"))
            ]
    finally:
        engine.dispose()
    return tables, columns, rows


def test_migrations_are_read_by_app_label_with_their_dependencies(tmp_path: Path) -> None:
    root = write_django_project(tmp_path / "app", "sqlite:///x.db")
    tool = find_listed_tool(root)
    assert tool is not None and tool.tool == "Django"
    ids = [m.id for m in tool.migrations]
    # The api app's label is "checks" (its AppConfig); accounts comes first, as api depends on it.
    assert ids == ["accounts.0001_initial", "checks.0001_initial", *PENDING]
    assert tool.migrations[1].down == ("accounts.0001_initial",)
    declared = read_django_migration(root / "hc" / "api" / "migrations" / "0004_fill_slug.py")
    assert declared.dependencies == ("checks.0003_check_slug",)
    dj = find_django(root)
    assert dj is not None and dj.settings == "hc.settings" and dj.manage_py == root / "manage.py"


def test_check_names_the_pending_migrations_by_app_and_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    proc = run_cli("check", str(root), "--env", "production", "--format", "json")
    data = json.loads(proc.stdout)
    schema = next(s for s in data["sections"] if s["title"] == "Schema Impact Analysis")
    sch9 = next(f for f in schema["findings"] if f["code"] == "SCH009")
    assert "3 Django migrations pending" in sch9["message"] and "checks.0002_check_tags" in sch9["message"]
    table = next(t for t in schema["tables"] if t["title"] == "Pending Django migrations")
    assert [r[:2] for r in table["rows"]] == [["checks", p.split(".")[1]] for p in PENDING]
    # Listed once: the Implementation section says how they would run, not which they are again.
    impl = next(s for s in data["sections"] if s["id"] == "implementation-migrations")
    assert impl["tables"] == [] and not [n for n in impl["notes"] if n.startswith("pending:")]
    assert any("listed in Schema Impact Analysis" in n for n in impl["notes"])
    text = run_cli("check", str(root), "--env", "production").stdout
    assert text.count("0002_check_tags.py") == 1 and text.count("Pending Django migrations") == 1, text
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}


def test_migrate_up_runs_manage_py_migrate_into_the_target_and_keeps_rows(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    _, _, rows_before = _state(url)
    dry = run_cli("migrate", "up", str(root), "--env", "production")
    assert dry.returncode == 0 and "would run `manage.py migrate`" in dry.stdout
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "applied 3 Django migration(s) with `manage.py migrate`" in proc.stdout
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial", *PENDING}
    tables, columns, rows = _state(url)
    assert rows == rows_before and {"tags", "slug"} <= set(columns)
    assert "parity_schema_history" not in tables and not list(root.rglob("V0*.sql"))
    assert not (root / "not-this-one.sqlite3").exists()  # the settings' own default was not touched
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:  # the data migration ran too
        assert conn.execute(sa.text("SELECT slug FROM checks_check ORDER BY id")).scalars().all() == [
            "web-server",
            "backup",
            "backup",
        ]
    engine.dispose()
    # The app's own migrate is now a no-op, and makemigrations sees no drift.
    again = _manage(root, url, "migrate")
    assert again.returncode == 0 and "No migrations to apply." in again.stdout, again.stdout + again.stderr
    drift = _manage(root, url, "makemigrations", "--check", "--dry-run")
    assert drift.returncode == 0 and "No changes detected" in drift.stdout, drift.stdout + drift.stderr


def test_rollback_after_apply_restores_the_recorded_migrations(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial", *PENDING}
    proc = run_cli("rollback", str(root), "--env", "production")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}
    assert _state(url) == before
    assert "undone by the backup restore" in " ".join(proc.stdout.split()), proc.stdout


def test_a_failing_migration_is_rolled_back_and_loses_nothing(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url, failing=True)
    before = _state(url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0
    assert "migration failed: Django failed: IntegrityError" in proc.stdout, proc.stdout
    assert "rolled back" in proc.stdout
    # Django committed 0002..0004 one by one before 0005 failed: they were migrated back too.
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}
    assert _state(url) == before


def test_without_django_nothing_runs_and_the_report_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    before = _state(url)
    no_django = tmp_path / "bin" / "python"
    no_django.parent.mkdir()
    no_django.write_text("#!/bin/sh\nexit 1\n")  # an interpreter that cannot import Django
    no_django.chmod(0o755)
    monkeypatch.setenv("PARITY_APP_PYTHON", str(no_django))
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode != 0
    assert "Django cannot be imported" in proc.stdout and "nothing was changed" in proc.stdout
    assert "python manage.py migrate" in proc.stdout
    assert _state(url) == before and not (root / ".parity" / "backups").exists()


def test_rollback_targets_are_each_moved_apps_last_migration_before() -> None:
    import tempfile

    from tests.django_project import write_django_project as write

    with tempfile.TemporaryDirectory() as tmp:
        dj = find_django(write(Path(tmp), "sqlite:///x.db"))
        assert dj is not None
        before = {"accounts.0001_initial", "checks.0001_initial"}
        assert targets_before(dj, before, before | set(PENDING)) == [("checks", "0001_initial")]
        assert targets_before(dj, set(), before) == [("checks", "zero"), ("accounts", "zero")]
        assert targets_before(dj, before, before) == []


def test_migrate_new_leaves_a_django_projects_migrations_to_django(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    (root / "db").mkdir()
    (root / "db" / "schema.sql").write_text("CREATE TABLE extra (id INTEGER PRIMARY KEY);\n")
    proc = run_cli("migrate", "new", "add_extra", str(root), "--env", "production")
    assert proc.returncode != 0
    assert "its migrations are written by Django" in proc.stdout + proc.stderr
    assert "makemigrations" in proc.stdout + proc.stderr
    assert not list(root.rglob("V0*.sql")) and not (root / "migrations").exists()


def test_the_target_url_becomes_djangos_default_database() -> None:
    from parity.migrate.django_run import django_database

    assert django_database("sqlite:////srv/app/prod.db") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/srv/app/prod.db",
    }
    pg = django_database("postgresql://app:p%40ss@db.internal:6432/hc?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql" and pg["PASSWORD"] == "p@ss"
    assert (pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"]) == ("db.internal", "6432", "hc", "app")
    assert pg["OPTIONS"] == {"sslmode": "require"}


def test_migrate_up_dry_run_lints_the_pending_migrations_sql_from_sqlmigrate(
    tmp_path: Path, url: str, request: pytest.FixtureRequest
) -> None:
    root = _production(tmp_path / "app", url, failing=True)
    before, history = _state(url), applied(url)
    server = not url.startswith("sqlite")
    dev: list[str] = []
    if server:
        # The app's code is not given production's credentials on a dry run: without a server
        # it may use, the lint is UNKNOWN.
        proc = run_cli("migrate", "up", str(root), "--env", "production", "--format", "json")
        impl = next(s for s in json.loads(proc.stdout)["sections"] if s["id"] == "implementation-migrations")
        assert [f["code"] for f in impl["findings"]] == ["MGR010"], impl["findings"]
        assert "--dev-url" in impl["findings"][0]["message"]
        dev = ["--dev-url", str(request.getfixturevalue("scratch_pg_url"))]
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--format", "json", *dev)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    impl = next(s for s in json.loads(proc.stdout)["sections"] if s["id"] == "implementation-migrations")
    where = "the --dev-url server" if server else "a copy of the database's schema"
    assert any(
        f"SQL of 4 migration(s) (`manage.py sqlmigrate` on {where}, read-only), linted" in n
        for n in impl["notes"]
    ), impl["notes"]
    (block,) = impl["blocks"]
    sql = block["text"]
    assert "-- checks.0002_check_tags" in sql and "-- checks.0005_unique_name" in sql
    assert 'CREATE INDEX "check_tags_idx"' in sql
    findings = impl["findings"]
    # Django's own BEGIN/COMMIT around an atomic migration is the tool's transaction, not flagged.
    assert not [f for f in findings if f["code"] == "MIG014"], findings
    if url.startswith("postgresql"):
        # parity's PostgreSQL rules see 0005's index built without CONCURRENTLY, in its file.
        assert any(
            f["code"] == "MIG004"
            and f["file"] == "hc/api/migrations/0005_unique_name.py"
            and "check_tags_idx" in f["message"]
            for f in findings
        ), findings
    assert _state(url) == before and applied(url) == history  # a dry run: nothing written


def test_the_sqlmigrate_session_cannot_write(tmp_path: Path, pg_url: str) -> None:
    import sqlite3

    import psycopg

    from parity.migrate.django_run import read_only_database

    db = tmp_path / "x.db"
    sqlite3.connect(db).close()
    ro = read_only_database(f"sqlite:///{db}")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        sqlite3.connect(str(ro["NAME"]), uri=True).execute("CREATE TABLE t (id INT)")
    options = read_only_database(pg_url)["OPTIONS"]
    with (
        psycopg.connect(pg_url, options=options["options"]) as conn,  # type: ignore[index]
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        conn.execute("CREATE TABLE t (id INT)")


def test_without_django_the_dry_runs_lint_is_unknown_not_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    root = _production(tmp_path / "app", url)
    no_django = tmp_path / "bin" / "python"
    no_django.parent.mkdir()
    no_django.write_text("#!/bin/sh\nexit 1\n")
    no_django.chmod(0o755)
    monkeypatch.setenv("PARITY_APP_PYTHON", str(no_django))
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--format", "json")
    impl = next(s for s in json.loads(proc.stdout)["sections"] if s["id"] == "implementation-migrations")
    (mgr10,) = [f for f in impl["findings"] if f["code"] == "MGR010"]
    assert mgr10["severity"] == "warning" and "UNKNOWN" in mgr10["message"] and impl["blocks"] == []


@pytest.mark.parametrize("command", ["apply", "migrate up"])
def test_sigterm_while_django_migrates_undoes_what_it_committed(
    tmp_path: Path, url: str, command: str
) -> None:
    import signal
    import time

    root = _production(tmp_path / "app", url)
    mark = tmp_path / "0005-started"
    # After 0002..0004 (each committed in its own transaction), 0005 says it started, then works on.
    (root / "hc" / "api" / "migrations" / "0005_slow.py").write_text(
        "import pathlib, time\nfrom django.db import migrations\n\n\n"
        f"def slow(apps, schema_editor):\n    pathlib.Path({str(mark)!r}).write_text('x')\n    time.sleep(120)\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("checks", "0004_fill_slug")]\n'
        "    operations = [migrations.RunPython(slow, migrations.RunPython.noop)]\n"
    )
    before, history = _state(url), applied(url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "parity", *command.split(), str(root), "--env", "production", "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not mark.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        assert "checks.0004_fill_slug" in (applied(url) or set())  # committed: something to undo
        os.kill(proc.pid, signal.SIGTERM)
        _out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert (
        "every change of this run was undone" if command == "apply" else "interrupted while Django ran;"
    ) in err
    assert "NOT" not in err, err
    assert applied(url) == history and _state(url) == before


def test_migrate_up_is_journaled_so_rollback_undoes_it(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    before = _state(url)
    proc = run_cli("migrate", "up", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial", *PENDING}
    proc = run_cli("migrate", "rollback", str(root), "--env", "production", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}
    assert _state(url) == before


def test_an_irreversible_migration_is_undone_from_the_whole_database_backup(
    tmp_path: Path, pg_url: str
) -> None:
    """Django cannot migrate back over a RunPython without reverse code: the backup restores."""
    url = pg_url
    root = _production(tmp_path / "app", url)
    fill = root / "hc" / "api" / "migrations" / "0004_fill_slug.py"
    fill.write_text(
        fill.read_text().replace(
            "migrations.RunPython(fill, migrations.RunPython.noop)", "migrations.RunPython(fill)"
        )
    )
    before = _state(url)
    assert run_cli("apply", str(root), "--env", "production", "--yes").returncode == 0
    proc = run_cli("rollback", str(root), "--env", "production")
    out = " ".join(proc.stdout.split())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Django is not asked to reverse it: the backup is the exact way back.
    assert "undone by the backup restore (the backup is exact" in out, out
    assert applied(url) == {"accounts.0001_initial", "checks.0001_initial"}
    assert _state(url) == before
    assert "a pg_dump of the restored database is identical to the backup" in out
