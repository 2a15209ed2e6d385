"""``parity apply`` is all or nothing, and always one ``parity rollback`` away from the original.

On the README's walkthrough with 200,000 extra order rows (real SQLite): SIGKILL at every
checkpoint of a full ``apply --consolidate`` (journal entries, each file written, each backup
copy, each migration statement and commit, the verification, each smoke check), SIGTERM and
SIGINT at several of them, two applies at once, and the failures the issue lists. Afterwards
the project is the original — env files and migrations folder byte for byte, the database's
schema and every row — either at once or after one ``parity rollback``.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import APPLY_FIXES, apply_checkpoints, copy_shop, run_cli, snapshot
from parity.workflow.journal import interrupted
from test_workflow import fix_code_on_main

KILL = "PARITY_TEST_KILL_AT"
ROWS = 200_000
APPLY = ("apply", "--yes", *APPLY_FIXES, "--consolidate")
#: Checkpoints a full ``apply --consolidate`` of the walkthrough passes (measured by
#: ``test_the_walkthrough_passes_every_checkpoint``): each is a kill point below.
POINTS = 38


def _state(root: Path) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """Files byte for byte (parity's own folder and the database file left out), the database's
    schema, and a digest of every table's rows."""
    files = {k: v for k, v in snapshot(root).items() if k != "db/shop.db"}
    conn = sqlite3.connect(f"file:{root / 'db/shop.db'}?mode=ro", uri=True)
    try:
        schema = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        digests = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            h = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                h.update(repr(row).encode())
            digests[table] = h.hexdigest()
    finally:
        conn.close()
    return files, schema, digests


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's walkthrough after the developers' fixes on main, with 200,000 more orders."""
    root = copy_shop(tmp_path_factory.mktemp("walkthrough"))
    fix_code_on_main(root)
    conn = sqlite3.connect(root / "db/shop.db")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO orders (id, customer_id, total_cents, legacy_note) SELECT i, 1, i % 997, 'bulk' FROM n",
        (1000 + ROWS - 1,),
    )
    conn.commit()
    conn.close()
    shutil.rmtree(root / ".parity", ignore_errors=True)
    return root


def _fresh(walkthrough: Path, tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(walkthrough, root)
    return root


def test_the_walkthrough_passes_every_checkpoint(walkthrough: Path, tmp_path: Path) -> None:
    """The kill points below are real: a whole apply passes exactly POINTS checkpoints."""
    root = _fresh(walkthrough, tmp_path)
    sets = tuple(APPLY_FIXES[1:-2:2])  # the values of the --set options
    assert apply_checkpoints(root, sets, ("FEATURE_ENABLE_EXPORTS",), consolidate=True) == ("PASS", POINTS)


@pytest.mark.parametrize("point", range(1, POINTS + 1))
def test_sigkill_at_each_point_is_undone_by_one_rollback(
    walkthrough: Path, tmp_path: Path, point: int
) -> None:
    root = _fresh(walkthrough, tmp_path)
    original = _state(root)
    proc = run_cli(*APPLY[:1], str(root), *APPLY[1:], env={KILL: str(point)})
    assert proc.returncode == -signal.SIGKILL, proc.stdout[-500:] + proc.stderr
    unfinished = interrupted(root, "production") is not None
    if _state(root) != original:
        if unfinished:
            # Whatever the kill left half done, the journal names it: apply refuses to run over it…
            again = run_cli(*APPLY[:1], str(root), *APPLY[1:])
            assert again.returncode == 2 and "was interrupted" in again.stderr, again.stderr
        # …and one rollback puts every byte and row back (a kill after the journal's end leaves
        # an applied run, which rolls back the same way).
        back = run_cli("rollback", str(root))
        assert back.returncode == 0, back.stdout + back.stderr
        assert ("interrupted run" in back.stdout) == unfinished, back.stdout
    assert _state(root) == original


@pytest.mark.parametrize(
    ("point", "sig"), [(4, "TERM"), (12, "INT"), (20, "TERM"), (30, "INT"), (36, "TERM")]
)
def test_sigterm_and_sigint_undo_the_run_at_once(
    walkthrough: Path, tmp_path: Path, point: int, sig: str
) -> None:
    root = _fresh(walkthrough, tmp_path)
    original = _state(root)
    proc = run_cli(*APPLY[:1], str(root), *APPLY[1:], env={KILL: f"{point}:{sig}"})
    assert proc.returncode == 130, proc.stdout[-500:] + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], proc.stderr
    assert _state(root) == original
    after = run_cli("rollback", str(root))
    assert after.returncode == 2 and "no applied run" in after.stderr


def test_a_second_apply_refuses_while_the_first_runs_naming_it(walkthrough: Path, tmp_path: Path) -> None:
    import os

    root = _fresh(walkthrough, tmp_path)
    import helpers

    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", KILL: "10:STOP"}
    first = subprocess.Popen(
        [sys.executable, "-m", "parity", *APPLY[:1], str(root), *APPLY[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _stopped(first.pid):  # frozen at its 10th checkpoint, holding the lock
            assert first.poll() is None and time.monotonic() < deadline, (
                "the first run never reached its stop"
            )
            time.sleep(0.05)
        second = helpers.run_cli(*APPLY[:1], str(root), *APPLY[1:])
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"pid {first.pid}" in second.stderr and "is changing production" in second.stderr
        rollback = helpers.run_cli("rollback", str(root))
        assert rollback.returncode == 2 and f"pid {first.pid}" in rollback.stderr
    finally:
        first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out[-800:] + err
    schema, history = _schema_and_history(root)
    assert {"exports", "idx_orders_status"} <= schema and history == ["0001", "0002"]


def test_two_applies_at_once_leave_schema_and_history_agreeing(walkthrough: Path, tmp_path: Path) -> None:
    import os

    root = _fresh(walkthrough, tmp_path)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "parity", *APPLY[:1], str(root), *APPLY[1:]],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.communicate()) for p in runs]
    codes = sorted(code for code, _ in results)
    # One applies; the other either refuses at the lock or finds nothing left to do.
    assert codes[0] == 0 and codes[1] in (0, 2), results
    schema, history = _schema_and_history(root)
    assert {"exports", "idx_orders_status"} <= schema and history == ["0001", "0002"]
    files = {p.name for p in (root / "migrations").iterdir()}
    assert {"V0001__baseline.up.sql", "V0002__parity_apply.up.sql", "parity.sum"} <= files


def _stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "T"
    except (OSError, IndexError):
        return False


def _schema_and_history(root: Path) -> tuple[set[str], list[str]]:
    conn = sqlite3.connect(f"file:{root / 'db/shop.db'}?mode=ro", uri=True)
    try:
        schema = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
        history = [
            v for (v,) in conn.execute("SELECT version FROM parity_schema_history WHERE success ORDER BY 1")
        ]
    finally:
        conn.close()
    return schema, history


# --- failures before, during and after the writes: each ends in the original state --------------


def _corrupt(root: Path) -> None:
    (root / "db/shop.db").write_bytes(b"this is not a database" * 100)


def _bad_schema(root: Path) -> None:
    (root / "db/schema.sql").write_text("CREATE TABLE customers (id INTEGER PRIMARY KEY,,);\n")


def _smoke(command: str):  # type: ignore[no-untyped-def]
    """A parity.toml whose one smoke check runs ``command`` (split like a shell would, not run by one)."""

    def plant(root: Path) -> None:
        import tomli_w

        (root / "parity.toml").write_text(
            tomli_w.dumps({"smoke": {"api": [{"name": "planted", "command": command}]}})
        )

    return plant


def _not_executable(root: Path) -> None:
    script = root / "services/api/smoke.sh"
    script.write_text("#!/bin/sh\necho ok\n")
    script.chmod(0o644)
    _smoke("./smoke.sh")(root)


@pytest.mark.parametrize(
    ("name", "plant", "exit_codes"),
    [
        ("corrupt database", _corrupt, (1, 2)),
        ("declared schema with a syntax error", _bad_schema, (1, 2)),
        ("smoke check that cannot start", _not_executable, (1,)),
        ("smoke argument list too long", _smoke("echo " + "x" * 200_000), (1,)),
        ("smoke output that is not UTF-8", _smoke("sh -c \"printf '\\377\\376 broken'; exit 3\""), (1,)),
    ],
)
def test_each_failure_ends_in_the_original_state(
    walkthrough: Path, tmp_path: Path, name: str, plant, exit_codes: tuple[int, ...]
) -> None:  # type: ignore[no-untyped-def]
    root = _fresh(walkthrough, tmp_path)
    plant(root)
    corrupt = name == "corrupt database"
    before = snapshot(root) if corrupt else _state(root)
    proc = run_cli(*APPLY[:1], str(root), *APPLY[1:])
    assert proc.returncode in exit_codes, f"{name}: {proc.stdout[-600:]} {proc.stderr}"
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    else:
        assert proc.stdout.rstrip().splitlines()[-1] == "FAIL"
    # A corrupt file cannot be read as a database: it must stay byte for byte what it was.
    assert (snapshot(root) if corrupt else _state(root)) == before, name
    after = run_cli("rollback", str(root))
    assert after.returncode == 2 and "no applied run" in after.stderr


def test_a_locked_database_ends_in_the_original_state(walkthrough: Path, tmp_path: Path) -> None:
    root = _fresh(walkthrough, tmp_path)
    original = _state(root)
    holder = sqlite3.connect(root / "db/shop.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = run_cli(*APPLY[:1], str(root), *APPLY[1:])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    assert "locked" in proc.stdout + proc.stderr
    assert _state(root) == original


def test_rollback_refuses_over_later_edits_unless_forced_and_keeps_them(
    walkthrough: Path, tmp_path: Path
) -> None:
    root = _fresh(walkthrough, tmp_path)
    original = _state(root)
    assert run_cli(*APPLY[:1], str(root), *APPLY[1:]).returncode == 0
    edited = root / "services/api/.env.production"
    edited.write_text(edited.read_text() + "LATER_EDIT=kept-FAKE\n")
    refused = run_cli("rollback", str(root))
    assert refused.returncode == 2 and "changed after run" in refused.stderr, refused.stderr
    assert "LATER_EDIT" in edited.read_text()  # nothing was changed
    forced = run_cli("rollback", str(root), "--force")
    assert forced.returncode == 0, forced.stderr
    kept = [line for line in forced.stdout.splitlines() if "kept in" in line]
    assert kept, forced.stdout
    folder = root / kept[0].split("kept in ", 1)[1].split()[0]
    assert "LATER_EDIT=kept-FAKE" in (folder / "services/api/.env.production").read_text()
    assert _state(root) == original


def test_rollback_says_where_values_of_dropped_columns_went(walkthrough: Path, tmp_path: Path) -> None:
    root = _fresh(walkthrough, tmp_path)
    assert run_cli(*APPLY[:1], str(root), *APPLY[1:]).returncode == 0
    conn = sqlite3.connect(root / "db/shop.db")
    conn.execute("UPDATE orders SET status = 'shipped' WHERE id = 1")  # the application wrote since
    conn.commit()
    conn.close()
    back = run_cli("rollback", str(root), env={"COLUMNS": "2000"})
    assert back.returncode == 0, back.stderr
    text = back.stdout
    assert "orders.status in" in text and ".jsonl" in text, back.stdout
    saved = next(
        Path(w)
        for w in text.split()
        if w.endswith("orders.status.jsonl") or w.endswith("orders.status.jsonl,")
    )
    assert '"shipped"' in Path(str(saved).rstrip(",")).read_text()


def test_check_reports_an_interrupted_run(walkthrough: Path, tmp_path: Path) -> None:
    root = _fresh(walkthrough, tmp_path)
    proc = run_cli(*APPLY[:1], str(root), *APPLY[1:], env={KILL: "5"})
    assert proc.returncode == -signal.SIGKILL
    check = run_cli("check", str(root))
    assert check.returncode == 1
    assert "APL003" in check.stdout and "parity rollback" in check.stdout


def test_an_apply_that_rebuilds_a_sqlite_table_passes_its_own_replay(tmp_path: Path) -> None:
    """parity's own rebuild migration (PRAGMA secure_delete, foreign_key_check) passes the
    declared-schema screen when the migrations folder is replayed to check the store."""
    root = tmp_path / "events"
    root.mkdir()
    (root / ".env.example").write_text("DATABASE_URL=sqlite:///events.db\n")
    (root / ".env.production").write_text("DATABASE_URL=sqlite:///events.db\n")
    (root / "schema.sql").write_text(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'plain');\n"
    )
    conn = sqlite3.connect(root / "events.db")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL)")
    conn.executemany("INSERT INTO events VALUES (?, ?)", [(i, f"k{i}") for i in range(50)])
    conn.commit()
    conn.close()
    proc = run_cli("apply", str(root), "--yes")
    assert proc.returncode == 0, proc.stdout[-1500:]
    assert "secure_delete" in (root / "migrations" / "V0002__parity_apply.up.sql").read_text()
