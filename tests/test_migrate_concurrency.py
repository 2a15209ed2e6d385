"""Exactly once under two concurrent ``up`` processes; SIGKILL at many points leaves the database at
an old or a new version (never between) and a rerun completes; a locked SQLite file waits, then
fails clearly. Real processes, real databases."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parity.errors import LockTimeout
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


def _migrations(folder: Path, db: Db, count: int, *, with_runs: bool) -> None:
    """``count`` migrations; each is slow, creates table t<N> and (where DML commits with DDL)
    records itself in ``runs`` — a second execution would fail on the CREATE or double the row."""
    # MariaDB commits DDL at once, so a migration there must be rerunnable (as planned ones are).
    create = "CREATE TABLE IF NOT EXISTS" if db.dialect == "mysql" else "CREATE TABLE"
    for n in range(1, count + 1):
        body = f"{SLOW[db.dialect]};\n{create} t{n} (id INTEGER PRIMARY KEY);\n"
        if with_runs:
            body += f"INSERT INTO runs (v) VALUES ({n});\n{SLOW[db.dialect]};\n"
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


def test_sigkill_at_many_points_leaves_old_or_new_version_and_rerun_completes(db: Db, tmp_path: Path) -> None:
    db.run("CREATE TABLE runs (v INTEGER NOT NULL)")
    folder = tmp_path / "migrations"
    transactional = db.dialect != "mysql"
    _migrations(folder, db, 3, with_runs=transactional)
    # Kill a runner at a random moment of a full run (seeded: the same points every time),
    # check, then reset to the old version and kill again; the last killed state is rerun.
    rng = random.Random(f"kill-{db.dialect}")
    for kill in range(4):
        if kill:
            db.run(
                "DROP TABLE IF EXISTS t1; DROP TABLE IF EXISTS t2; DROP TABLE IF EXISTS t3; DELETE FROM runs"
            )
            db.run("DROP TABLE IF EXISTS parity_schema_history")
        proc = _spawn(db, folder)
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("applying")  # inside the migrations now
        # Three migrations of two slow statements each take about a second in all.
        time.sleep(rng.uniform(0.0, 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        versions, tables, runs = _state(db)
        expected = {f"t{int(v)}" for v in versions}
        if transactional:
            # All or nothing per migration: exactly the recorded versions' effects are present.
            assert tables == expected, (versions, tables)
            assert runs == sorted(int(v) for v in versions), (versions, runs)
        else:
            # MariaDB commits each DDL at once: a kill between a CREATE and its history row leaves
            # the table one version ahead; never a recorded version without its effect.
            assert expected <= tables, (versions, tables)
            assert len(tables - expected) <= 1
        # The version sequence has no gaps (in order, one at a time).
        assert versions == {f"{n:04d}" for n in range(1, len(versions) + 1)}

    final = _spawn(db, folder)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, (out, err)
    versions, tables, runs = _state(db)
    assert versions == {"0001", "0002", "0003"}
    assert tables == {"t1", "t2", "t3"}
    if transactional:
        assert runs == [1, 2, 3]


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
