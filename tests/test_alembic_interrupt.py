"""An ``apply`` on an Alembic project stopped by SIGTERM puts the app's own history back where the
run found it, and says so only when it did.

Production is built by the app's Alembic at r1 with rows in it; main has r1..r3. The runs are
stopped on real SQLite and PostgreSQL:

- between revisions: r2 committed (``transaction_per_migration``, as apps with data migrations
  configure it) and r3 running, SIGTERM to parity alone or to its whole process group (what CI
  runners and ``docker stop`` send);
- after Alembic finished, while parity verifies: the run is undone by ``alembic downgrade``; when
  that downgrade fails, the report says the undo did NOT finish (it used to say "every change of
  this run was undone" with ``alembic_version`` still at head), the run stays open for ``check``,
  ``apply`` refuses over it, and ``rollback`` finishes it once the downgrade is fixed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.alembic_project import write_project, write_revision
from tests.helpers import run_cli

from parity.faults import KILL_AT_ENV
from parity.migrate.alembic_run import applied_revisions, run_child, sqlalchemy_url
from parity.schema.apptool import find_alembic
from parity.workflow.journal import interrupted

R3_UP = 'op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True))'
#: After Alembic has run and before the run's journal ends: parity's verification of the result.
VERIFYING = 3


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prod.db'}"
    return str(request.getfixturevalue("pg_url"))


def _state(url: str) -> tuple[list[str], list[tuple[object, ...]], list[str]]:
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


def _production(
    root: Path, url: str, *, r3_up: str = R3_UP, r3_down: str = 'op.drop_table("orders")'
) -> Path:
    write_project(root, url)
    env_py = root / "alembic" / "env.py"
    env_py.write_text(
        env_py.read_text().replace(
            "target_metadata=target_metadata)",
            "target_metadata=target_metadata, transaction_per_migration=True)",
        )
    )
    versions = root / "alembic" / "versions"
    (versions / "r3_create_orders.py").unlink()
    write_revision(versions, "r3", "r2", "create orders", r3_up, r3_down)
    alembic = find_alembic(root)
    assert alembic is not None
    run_child(alembic, {"op": "upgrade", "to": "r1"}, url=url)
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES ('ann'), ('bob')"))
    engine.dispose()
    return root


@pytest.mark.parametrize(
    ("command", "target"), [("apply", "parity"), ("apply", "group"), ("migrate up", "parity")]
)
def test_sigterm_between_revisions_puts_alembic_version_back(
    tmp_path: Path, url: str, command: str, target: str
) -> None:
    mark = tmp_path / "r3-started"
    # r3 says it has started, then works on (r2 is committed by then): the stop lands between them.
    r3_up = f"{R3_UP}\n    import pathlib, time\n    pathlib.Path({str(mark)!r}).write_text('x')\n    time.sleep(120)"
    root = _production(tmp_path / "app", url, r3_up=r3_up)
    before = _state(url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "parity", *command.split(), str(root), "--env", "production", "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        assert applied_revisions(url) == ("r2",)  # r2 committed: there is something to undo
        if target == "group":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    if command == "apply":
        assert "interrupted; every change of this run was undone" in err, err
    else:  # no journal: the upgrade itself undoes what Alembic committed, and says how
        assert "interrupted while Alembic ran;" in err, err
        assert ("restored the backup" if url.startswith("sqlite") else "alembic_version back at r1") in err
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    assert interrupted(root, "production") is None
    after = run_cli("rollback", str(root), "--env", "production")
    assert after.returncode == 2 and "no applied run" in after.stderr


def test_sigterm_while_verifying_is_undone_by_the_apps_downgrade(tmp_path: Path, url: str) -> None:
    root = _production(tmp_path / "app", url)
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes", env={KILL_AT_ENV: f"{VERIFYING}:TERM"})
    assert proc.returncode == 130, proc.stdout[-800:] + proc.stderr
    assert "every change of this run was undone" in proc.stderr
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    assert interrupted(root, "production") is None


@pytest.mark.postgres
def test_a_failing_downgrade_is_reported_and_the_run_stays_open_until_rollback_finishes_it(
    tmp_path: Path, pg_url: str
) -> None:
    url = pg_url
    root = _production(tmp_path / "app", url, r3_down='raise RuntimeError("no way back")')
    before = _state(url)
    # Without pg_dump there is no whole-database backup to fall back on (see the next test).
    (tmp_path / "bin").mkdir()
    no_dump = {KILL_AT_ENV: f"{VERIFYING}:TERM", "PATH": str(tmp_path / "bin")}
    proc = run_cli("apply", str(root), "--env", "production", "--yes", env=no_dump)
    assert proc.returncode == 130, proc.stdout[-800:] + proc.stderr
    # Alembic had reached head, and its downgrade cannot leave it: the report says so.
    assert applied_revisions(url) == ("r3",)
    assert "every change" not in proc.stderr and "the undo did NOT finish" in proc.stderr, proc.stderr
    assert "`alembic downgrade r1` failed" in proc.stderr and "alembic_version is at r3" in proc.stderr
    journal = interrupted(root, "production")
    assert journal is not None and journal.of("alembic")[0]["before"] == ["r1"]
    check = run_cli("check", str(root), "--env", "production")
    assert "APL003" in check.stdout and check.returncode == 1
    again = run_cli("apply", str(root), "--env", "production", "--yes")
    assert again.returncode == 2 and "was interrupted" in again.stderr
    stuck = run_cli("rollback", str(root), "--env", "production")
    assert stuck.returncode == 1 and "APL004" in stuck.stdout and "NOT rolled back" in stuck.stdout
    assert interrupted(root, "production") is not None

    # The downgrade fixed, rollback finishes the undo: alembic_version and every row as they were.
    versions = root / "alembic" / "versions"
    (versions / "r3_create_orders.py").unlink()
    write_revision(versions, "r3", "r2", "create orders", R3_UP, 'op.drop_table("orders")')
    done = run_cli("rollback", str(root), "--env", "production")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "alembic_version back at r1" in done.stdout and "interrupted run" in done.stdout
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    assert interrupted(root, "production") is None


@pytest.mark.postgres
def test_a_failing_downgrade_after_a_kill_is_undone_from_the_whole_database_backup(
    tmp_path: Path, pg_url: str
) -> None:
    url = pg_url
    root = _production(tmp_path / "app", url, r3_down='raise RuntimeError("no way back")')
    before = _state(url)
    proc = run_cli("apply", str(root), "--env", "production", "--yes", env={KILL_AT_ENV: f"{VERIFYING}:TERM"})
    assert proc.returncode == 130, proc.stdout[-800:] + proc.stderr
    assert "every change of this run was undone" in proc.stderr, proc.stderr
    assert applied_revisions(url) == ("r1",) and _state(url) == before
    assert interrupted(root, "production") is None


@pytest.mark.postgres
def test_the_undo_reads_alembic_version_only_after_a_killed_childs_commit_landed(pg_url: str) -> None:
    """A transaction that has stamped alembic_version and is committing (its client already gone)
    is waited for: the undo sees the revision that stays, not the one before it."""
    import threading

    import psycopg

    from parity.migrate.alembic_run import settled_revisions

    with psycopg.connect(pg_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        setup.execute("INSERT INTO alembic_version VALUES ('r1')")
    writer = psycopg.connect(pg_url)
    writer.execute("UPDATE alembic_version SET version_num = 'r2'")  # r2's stamp, not committed yet
    seen: list[tuple[str, ...] | None] = []
    reader = threading.Thread(target=lambda: seen.append(settled_revisions(pg_url)))
    reader.start()
    with psycopg.connect(pg_url, autocommit=True) as watch:
        for _ in range(600):  # until the reader waits on the writer's row lock
            waiting = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the reader never waited for the writer")
    assert not seen  # still waiting
    writer.commit()
    writer.close()
    reader.join(timeout=60)
    assert seen == [("r2",)]
