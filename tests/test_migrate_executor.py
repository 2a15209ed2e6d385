"""The executor on real SQLite, PostgreSQL and MariaDB: exactly once, in order, failures rolled back
and recorded, tampering refused, baseline, down with --force rules, read-only status."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from parity.errors import MigrationError
from parity.migrate import dir as mdir
from parity.migrate.executor import Executor
from test_migrate_helpers import DIALECTS, SEED, Db, make_db, sqlite_db, write_shop_migrations


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    return make_db(request, tmp_path)


def _orders(db: Db) -> list[tuple[object, ...]]:
    return db.query("SELECT id, customer_id, total_cents, created_at, legacy_note FROM orders ORDER BY id")


def test_up_applies_in_order_once_and_keeps_old_rows(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    before = _orders(db)
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, db.dialect)
    ex = Executor(db.url, folder)
    assert [m.version for m in ex.pending()] == ["0001", "0002"]

    first = ex.up()
    assert [s.version for s in first.ran] == ["0001", "0002"]
    assert db.history() == [("0001", True), ("0002", True)]
    assert set(db.columns("orders")) >= {"status", "exported_at", "legacy_note"}
    assert "exports" in db.tables()
    assert _orders(db) == before  # every old row reads back identical, legacy_note included
    assert [r[0] for r in db.query("SELECT DISTINCT status FROM orders")] == ["new"]

    second = ex.up()
    assert second.steps == ()
    assert db.history() == [("0001", True), ("0002", True)]
    assert ex.pending() == ()


def test_up_to_stops_at_the_version(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, db.dialect)
    Executor(db.url, folder).up(to="0001")
    assert db.history() == [("0001", True)]
    assert "exported_at" not in db.columns("orders")


def test_down_then_up_round_trips(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    before = _orders(db)
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, db.dialect)
    ex = Executor(db.url, folder)
    ex.up()
    migrated_columns = db.columns("orders")

    # 0002's column holds no data: its down runs without --force.
    assert [s.version for s in ex.down().ran] == ["0002"]
    assert "exported_at" not in db.columns("orders")
    # 0001 added a column with a default: every row holds a value, so the down needs --force.
    with pytest.raises(MigrationError, match=r"would drop data: column orders\.status"):
        ex.down()
    assert db.history() == [("0001", True)]
    backups = tmp_path / "bk"
    result = ex.down(force=True, backup_dir=backups)
    assert [s.version for s in result.ran] == ["0001"]
    saved = (backups / "down-V0001__add_status" / "orders.status.jsonl").read_text().splitlines()
    assert len(saved) == 3 and all('"status": "new"' in line for line in saved)
    assert db.columns("orders") == ["id", "customer_id", "total_cents", "created_at", "legacy_note"]
    assert "exports" not in db.tables()
    assert db.history() == []

    ex.up()
    assert db.columns("orders") == migrated_columns
    assert _orders(db) == before


def test_failing_statement_rolls_back_and_records_failure(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    folder = tmp_path / "migrations"
    # The second statement fails: the table created by the first must not survive (where DDL is
    # transactional), and the history records the failed attempt.
    mdir.write(
        folder,
        "broken",
        "CREATE TABLE audit (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n",
        "DROP TABLE audit;\n",
    )
    ex = Executor(db.url, folder)
    with pytest.raises(MigrationError) as info:
        ex.up()
    err = info.value
    assert err.file is not None and err.file.endswith("V0001__broken.up.sql")
    assert err.line == 2
    assert "failure recorded" in err.message
    assert db.history() == [("0001", False)]
    if db.dialect != "mysql":
        assert ex.status().migrations[0].state == "failed"
        assert "rolled back" in err.message
        assert "audit" not in db.tables()
    else:
        # Honest: MariaDB DDL commits implicitly, the first statement stayed.
        assert ex.status().migrations[0].state == "partial"
        assert "HALF-APPLIED: 1 of 2 statements" in err.message and "NOT rolled back" in err.message
        assert "audit" in db.tables()
        with pytest.raises(MigrationError, match="half-applied"):
            ex.up()  # never over a half-applied migration

    # Fixing the (never applied) file and re-hashing lets the retry succeed and replace the row.
    up = folder / "V0001__broken.up.sql"
    up.write_text("CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY);\n")
    from parity.migrate import checksum

    checksum.write(folder)
    if db.dialect != "mysql":
        ex.up()
    else:
        ex.baseline("0001")  # finished by hand (the table is there): marked applied
    assert db.history() == [("0001", True)]
    assert "audit" in db.tables()


def test_edited_applied_migration_is_refused(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    folder = tmp_path / "migrations"
    first, _ = write_shop_migrations(folder, db.dialect)
    ex = Executor(db.url, folder)
    ex.up(to="0001")
    first.up_path.write_text(first.up_path.read_text() + "-- sneaky edit\n")
    with pytest.raises(MigrationError, match=r"edited after parity\.sum was written"):
        ex.up()
    # Even with a refreshed parity.sum the history's checksum catches it.
    from parity.migrate import checksum

    checksum.write(folder)
    with pytest.raises(MigrationError, match="was edited"):
        ex.up()
    assert ex.status().migrations[0].state == "changed"
    assert db.history() == [("0001", True)]
    assert "exported_at" not in db.columns("orders")


def test_status_never_creates_the_history_table(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, db.dialect)
    status = Executor(db.url, folder).status()
    assert not status.history_exists
    assert [s.state for s in status.migrations] == ["pending", "pending"]
    assert db.tables() == ["customers", "orders"]


def test_baseline_marks_without_running(db: Db, tmp_path: Path) -> None:
    db.run(SEED)
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, db.dialect)
    ex = Executor(db.url, folder)
    result = ex.baseline("0001")
    assert [s.version for s in result.steps] == ["0001"]
    assert db.history() == [("0001", True)]
    assert "status" not in db.columns("orders")  # not run, only recorded
    with pytest.raises(MigrationError, match="no migration with version 0007"):
        ex.baseline("0007")


def test_existing_sqlite_file_without_history_is_untouched_by_questions(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    lite.run(SEED)
    path = Path(lite.url.removeprefix("sqlite:///"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = tmp_path / "migrations"
    write_shop_migrations(folder, "sqlite")
    ex = Executor(lite.url, folder)
    ex.status()
    ex.pending()
    ex.applied()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_missing_sqlite_file_is_a_clear_error_and_not_created(tmp_path: Path) -> None:
    from parity.errors import DatabaseError

    target = tmp_path / "nope.db"
    with pytest.raises(DatabaseError, match="no such SQLite database file"):
        Executor(f"sqlite:///{target}", tmp_path / "migrations").up()
    assert not target.exists()


def test_migration_removed_from_folder_after_apply_is_refused(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    lite.run(SEED)
    folder = tmp_path / "migrations"
    _, second = write_shop_migrations(folder, "sqlite")
    ex = Executor(lite.url, folder)
    ex.up()
    second.up_path.unlink()
    assert second.down_path is not None
    second.down_path.unlink()
    from parity.migrate import checksum

    with pytest.raises(MigrationError, match="is missing"):
        ex.up()
    checksum.write(folder)
    with pytest.raises(MigrationError, match="applied but missing from the migrations folder"):
        ex.up()
    assert ex.status().unknown[0].version == "0002"


_SERIES = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "


def test_sqlite_rebuild_relaxes_secure_delete_for_its_own_drop_only(tmp_path: Path) -> None:
    """The rebuild's DROP skips zeroing the old copy (its content lives on in the new table), but
    a later migration that deletes data gets the build's own secure_delete back: with it on,
    the deleted rows' bytes are gone from the file."""
    import sqlite3
    from dataclasses import replace

    from parity import dialects
    from parity.model.changes import AlterColumn
    from parity.plan.planner import plan

    lite = sqlite_db(tmp_path)
    path = Path(lite.url.removeprefix("sqlite:///"))
    lite.run("CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    lite.run(_SERIES.format(n=500) + "INSERT INTO a (note) SELECT 'kept-' || i FROM n")
    sqlite = dialects.get("sqlite")
    current = sqlite.inspect(lite.url)
    table = current.table("a")
    assert table is not None
    col = table.column("note")
    assert col is not None
    (rebuild,) = plan(
        current, [AlterColumn("a", col, replace(col, nullable=True), frozenset({"nullable"}))], sqlite
    ).migrations()
    statements = [s.strip() for s in rebuild.up.split(";") if s.strip() and not s.strip().startswith("--")]
    drop = next(i for i, s in enumerate(statements) if s.startswith("DROP TABLE"))
    assert statements[drop - 1] == "PRAGMA secure_delete = FAST"

    folder = tmp_path / "migrations"
    mdir.write(folder, "rebuild", rebuild.up, rebuild.down)
    marker = "deleted-secret-marker"
    mdir.write(
        folder,
        "scratch",
        "CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT);\n"
        + _SERIES.format(n=2000)
        + f"INSERT INTO scratch (v) SELECT '{marker}-' || i FROM n;\n",
        "DROP TABLE scratch;\n",
    )
    mdir.write(folder, "purge", "DELETE FROM scratch;\n", "SELECT 1;\n")
    Executor(lite.url, folder).up()

    assert lite.query("SELECT count(*) FROM a WHERE note LIKE 'kept-%'") == [(500,)]
    with sqlite3.connect(":memory:") as probe:
        build_default = probe.execute("PRAGMA secure_delete").fetchone()[0]
    # On (as in Debian's build): the purge ran with it on, so no deleted row is left in the file.
    # Off: nothing zeroes deleted rows, and parity does not pretend otherwise.
    assert (marker.encode() in path.read_bytes()) == (build_default == 0)


def test_a_history_table_from_before_half_applied_states_is_read_and_upgraded(db: Db, tmp_path: Path) -> None:
    """Databases migrated by an earlier parity have no ``statements_done`` column: status reads
    them as they are (read-only), and the next run adds the column and keeps the rows."""
    db.run(SEED)
    db.run(
        "CREATE TABLE parity_schema_history (version VARCHAR(32) NOT NULL PRIMARY KEY, "
        "name VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL, "
        "duration_ms INTEGER NOT NULL, applied_by VARCHAR(255) NOT NULL, success BOOLEAN NOT NULL)"
    )
    folder = tmp_path / "migrations"
    first, _ = write_shop_migrations(folder, db.dialect)
    db.run(
        "INSERT INTO parity_schema_history VALUES "
        f"('0001', '{first.name}', '{first.checksum}', '2026-01-01T00:00:00', 5, 'old@host', {'TRUE' if db.dialect != 'sqlite' else 1})"
    )
    db.run(first.up_sql())
    ex = Executor(db.url, folder)
    assert [s.state for s in ex.status().migrations] == ["applied", "pending"]
    assert "statements_done" not in db.columns("parity_schema_history")  # status never writes
    ex.up()
    assert "statements_done" in db.columns("parity_schema_history")
    assert db.history() == [("0001", True), ("0002", True)]
    assert [s.state for s in ex.status().migrations] == ["applied", "applied"]
