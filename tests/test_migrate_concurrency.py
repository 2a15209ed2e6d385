"""Exactly once under two concurrent ``up`` processes; SIGKILL before each statement of a migration leaves
the database at an old or a new version (never between) and a rerun completes; a locked SQLite file waits, then
fails clearly. Real processes, real databases."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import killpoints
from parity.errors import LockTimeout, MigrationError
from parity.migrate import dir as mdir
from parity.migrate.executor import Executor
from test_migrate_helpers import DIALECTS, SLOW, Db, make_db, sqlite_db

RUNNER = """
import json, sys
from pathlib import Path
from parity.errors import ParityError
from parity.migrate.executor import Executor
url, folder = sys.argv[1], sys.argv[2]
try:
    result = Executor(url, Path(folder), lock_timeout=60).up(progress=lambda m: print(m, flush=True))
except ParityError as exc:
    print(json.dumps({"error": exc.one_line()}))
    sys.exit(2)
print(json.dumps({"ran": [s.version for s in result.ran], "skipped": [s.version for s in result.steps if s.skipped]}))
"""


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    return make_db(request, tmp_path)


def _spawn(db: Db, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, db.url, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _migrations(folder: Path, db: Db, count: int, *, with_runs: bool, slow: bool = True) -> None:
    """``count`` migrations; each creates table t<N> (slowly, unless ``slow`` is off) and (where DML
    commits with DDL) records itself in ``runs`` — a second execution would fail on the CREATE or
    double the row."""
    # MariaDB commits DDL at once, so a migration there must be rerunnable (as planned ones are).
    create = "CREATE TABLE IF NOT EXISTS" if db.dialect == "mysql" else "CREATE TABLE"
    pause = f"{SLOW[db.dialect]};\n" if slow else ""
    for n in range(1, count + 1):
        body = f"{pause}{create} t{n} (id INTEGER PRIMARY KEY);\n"
        if with_runs:
            body += f"INSERT INTO runs (v) VALUES ({n});\n{pause}"
        mdir.write(folder, f"step {n}", body, f"DROP TABLE t{n};\n")


def test_two_concurrent_up_processes_apply_each_migration_exactly_once(db: Db, tmp_path: Path) -> None:
    db.run("CREATE TABLE runs (v INTEGER NOT NULL)")
    folder = tmp_path / "migrations"
    transactional_dml = db.dialect != "mysql"
    _migrations(folder, db, 3, with_runs=transactional_dml)
    procs = [_spawn(db, folder), _spawn(db, folder)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, (out, err)
    ran = [json.loads(out.splitlines()[-1])["ran"] for out, _ in outs]
    # Between them they ran each version once; whoever waited skipped or found nothing left.
    assert sorted(v for r in ran for v in r) == ["0001", "0002", "0003"]
    assert db.history() == [("0001", True), ("0002", True), ("0003", True)]
    assert {f"t{n}" for n in (1, 2, 3)} <= set(db.tables())
    if transactional_dml:
        assert sorted(r[0] for r in db.query("SELECT v FROM runs")) == [1, 2, 3]


def _state(db: Db) -> tuple[set[str], set[str], list[int]]:
    versions = {v for v, ok in db.history() if ok}
    tables = {t for t in db.tables() if t.startswith("t") and t[1:].isdigit()}
    runs = sorted(r[0] for r in db.query("SELECT v FROM runs"))
    return versions, tables, runs


def _reset(db: Db) -> None:
    db.run("DROP TABLE IF EXISTS t1; DROP TABLE IF EXISTS t2; DROP TABLE IF EXISTS t3; DELETE FROM runs")
    db.run("DROP TABLE IF EXISTS parity_schema_history")


def _is(point: killpoints.Point, head: str) -> bool:
    return point.detail[1].upper().startswith(head)


def test_sigkill_at_every_step_of_a_migration_leaves_old_or_new_version_and_rerun_completes(
    db: Db, tmp_path: Path
) -> None:
    db.run("CREATE TABLE runs (v INTEGER NOT NULL)")
    folder = tmp_path / "migrations"
    transactional = db.dialect != "mysql"
    _migrations(folder, db, 3, with_runs=transactional, slow=False)
    args = [db.url, str(folder)]
    # Every statement that changes something, in order (tests/killpoints.py).
    points, done = killpoints.trace(RUNNER, args, sql=True)
    assert done.returncode == 0, done.stderr
    # The COMMIT that records each migration as applied: the first after its DDL. (On MariaDB,
    # where each DDL commits by itself, a history row before each statement also commits, saying
    # how far the migration may have got.)
    commits, ddl_since = [], False
    for p in points:
        if _is(p, "CREATE TABLE IF NOT EXISTS T"):
            ddl_since = True
        elif _is(p, "COMMIT") and (ddl_since or transactional):
            commits.append(p)
            ddl_since = False
    assert len(commits) == 3, points
    # Kill before the first statement, before each statement of the second migration (its
    # BEGIN, DDL, DML, history row and COMMIT), and before the last COMMIT.
    chosen = [points[0], *(p for p in points if commits[0].n < p.n <= commits[1].n), commits[2]]
    assert len(chosen) >= 6, chosen
    seen: set[tuple[int, int]] = set()
    for point in chosen:
        _reset(db)
        killed = killpoints.kill_at(RUNNER, args, point.n, sql=True)
        assert killed.detail == point.detail
        versions, tables, runs = _state(db)
        # What must hold just before this statement: the migrations whose COMMIT came before it
        # are recorded, in order, with their effects, and nothing else is.
        k = sum(1 for c in commits if c.n < point.n)
        assert versions == {f"{n:04d}" for n in range(1, k + 1)}, (point, versions)
        half = False
        if transactional:
            assert tables == {f"t{n}" for n in range(1, k + 1)}, (point, tables)
            assert runs == list(range(1, k + 1)), (point, runs)
        else:
            # MariaDB commits each DDL at once: a kill between a CREATE and its history row leaves
            # that table one version ahead, and nothing more — and the history says so.
            created = {
                p.detail[1].split()[5]
                for p in points
                if p.n < point.n and _is(p, "CREATE TABLE IF NOT EXISTS T")
            }
            assert tables == created, (point, tables)
            progress = [c for c in points if _is(c, "COMMIT") and c.n < point.n and c not in commits]
            half = len(progress) > k  # the next migration's "may have got this far" row committed
            assert (f"{k + 1:04d}" in {v for v, ok in db.history() if not ok}) == half, (point, db.history())
        seen.add((len(versions), len(tables)))
        if half:
            # Half-applied is never taken for "not run": a rerun refuses, pointing at rollback.
            with pytest.raises(MigrationError, match="half-applied"):
                Executor(db.url, folder, lock_timeout=60).up()
            continue
        # From every other state, a rerun completes: each migration exactly once.
        rerun = Executor(db.url, folder, lock_timeout=60).up()
        assert [s.version for s in rerun.ran] == [f"{n:04d}" for n in range(k + 1, 4)], point
        versions, tables, runs = _state(db)
        assert versions == {"0001", "0002", "0003"}
        assert tables == {"t1", "t2", "t3"}
        if transactional:
            assert runs == [1, 2, 3]
    # The kills landed before, inside and after the middle migration (and, on MariaDB, between
    # a committed CREATE and its history row).
    assert {v for v, _ in seen} == {0, 1, 2}, seen
    if not transactional:
        assert (1, 2) in seen, seen


def test_locked_sqlite_file_waits_then_fails_clearly(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    lite.run("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    folder = tmp_path / "migrations"
    mdir.write(
        folder,
        "add col",
        "ALTER TABLE orders ADD COLUMN note TEXT;\n",
        "ALTER TABLE orders DROP COLUMN note;\n",
    )
    path = lite.url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the file
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            Executor(lite.url, folder, lock_timeout=0.5).up()
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked by another process; waited 0.5s" in info.value.one_line()
    assert info.value.file is not None and info.value.file.endswith("prod.db")
    assert waited >= 0.4  # it waited for the lock rather than failing at once
    assert lite.columns("orders") == ["id"]
    # Once the other writer is gone the same command succeeds.
    Executor(lite.url, folder, lock_timeout=0.5).up()
    assert lite.columns("orders") == ["id", "note"]


def test_cli_reports_a_locked_sqlite_file_in_one_line_with_exit_2(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    lite.run("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    project = tmp_path / "proj"
    mdir.write(project / "migrations", "add col", "ALTER TABLE orders ADD COLUMN note TEXT;\n", "SELECT 1;\n")
    path = lite.url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "parity",
                "migrate",
                "up",
                str(project),
                "--db",
                lite.url,
                "--yes",
                "--lock-timeout",
                "0.3",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("parity: error:")]
    assert len(lines) == 1 and "locked" in lines[0]
    assert "Traceback" not in proc.stderr
