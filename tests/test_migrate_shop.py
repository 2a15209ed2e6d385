"""examples/shop end to end (a copy): `migrate new` writes the plan, `up` backs up, applies, verifies;
the production-only column and every old row survive; a second `up` does nothing; `down` then
`up` round-trips; `rollback` restores the backup; a migration that changes old data is rolled
back automatically. Through the service functions and through the real CLI."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import copy_shop
from parity.errors import MigrationError
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.project import discover


def _db(root: Path) -> Path:
    return root / "db" / "shop.db"


def _rows(root: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{_db(root).as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _orders(root: Path) -> list[tuple[object, ...]]:
    return _rows(root, "SELECT id, customer_id, total_cents, created_at, legacy_note FROM orders ORDER BY id")


def _columns(root: Path, table: str) -> list[str]:
    return [r[1] for r in _rows(root, f"PRAGMA table_info({table})")]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parity", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_shop_generate_apply_verify_round_trip(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    before = _orders(root)
    customers = _rows(root, "SELECT * FROM customers ORDER BY id")

    gen = service.generate(project, "production", "add status and exports")
    assert [m.label for m in gen.written] == ["V0001__add_status_and_exports"]
    up_sql = gen.written[0].up_path.read_text()
    assert "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';" in up_sql
    assert "legacy_note" not in up_sql
    assert [f.code for f in gen.plan.diagnostics] == ["PLN003"]

    result = service.apply(project, "production")
    assert result.ok and not result.rolled_back, result.verification
    assert result.backup is not None and result.backup.file is not None
    assert result.backup.file.parent.parent == root / ".parity" / "backups"
    assert _columns(root, "orders") == [
        "id",
        "customer_id",
        "total_cents",
        "created_at",
        "legacy_note",
        "status",
        "exported_at",
    ]
    assert "exports" in [r[0] for r in _rows(root, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert _orders(root) == before
    assert _rows(root, "SELECT * FROM customers ORDER BY id") == customers
    # The backup is the database as it was, and passes integrity_check.
    conn = sqlite3.connect(result.backup.file)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "status" not in [r[1] for r in conn.execute("PRAGMA table_info(orders)")]
    conn.close()

    again = service.apply(project, "production")
    assert again.run is None and "nothing to apply" in again.notes[0]

    section = service.build_migration_section(project, "production")
    assert not section.failed
    assert section.tables[0].rows[0][:3] == ("0001", "add_status_and_exports", "applied")

    ex = service.executor_for(project, "production")
    ex.down(force=True, backup_dir=tmp_path / "bk")
    assert _columns(root, "orders") == ["id", "customer_id", "total_cents", "created_at", "legacy_note"]
    assert service.apply(project, "production").ok
    assert _orders(root) == before


def test_shop_rollback_restores_the_backup_byte_for_byte(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    original = _rows(root, "SELECT sql FROM sqlite_master ORDER BY name")
    service.generate(project, "production", "shop")
    service.apply(project, "production")
    res = service.rollback(project, "production")
    assert res.versions == ("0001",) and "restored the backup" in res.how
    assert _rows(root, "SELECT sql FROM sqlite_master ORDER BY name") == original
    with pytest.raises(MigrationError, match="no apply to roll back"):
        service.rollback(project, "production")


def test_shop_rollback_after_later_writes_runs_the_downs_instead(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    service.generate(project, "production", "shop")
    service.apply(project, "production")
    with sqlite3.connect(_db(root)) as conn:  # production kept working after the apply
        conn.execute("INSERT INTO customers (id, email, name) VALUES (9, 'new@example.invalid', 'New')")
    conn.close()
    res = service.rollback(project, "production")
    assert "down migrations" in res.how and "changed since" in res.how
    assert (9, "new@example.invalid", "New") in _rows(root, "SELECT * FROM customers")  # not lost
    assert "status" not in _columns(root, "orders")


def test_migration_that_changes_old_data_is_rolled_back_automatically(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    before = _orders(root)
    folder = service.migrations_folder(project)
    mdir.write(
        folder,
        "sneaky",
        "ALTER TABLE orders ADD COLUMN status TEXT;\nUPDATE orders SET total_cents = 0 WHERE id = 2;\n",
        "SELECT 1;\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    assert result.rolled_back and not result.ok
    assert [(f.code, f.key) for f in result.verification] == [("VER004", "orders")]
    assert _orders(root) == before
    assert "status" not in _columns(root, "orders")
    assert service.executor_for(project, "production").status().migrations[0].state == "pending"


def test_rediff_finds_what_the_migrations_did_not_do(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "partial",
        "ALTER TABLE orders ADD COLUMN exported_at TEXT;\n",
        "SELECT 1;\n",
    )
    result = service.apply(project, "production")
    codes = sorted({f.code for f in result.verification})
    assert codes == ["VER007"] and result.rolled_back
    assert any("status" in f.message for f in result.verification)
    assert any("add table exports" in f.message for f in result.verification)


def test_existing_database_without_history_is_never_changed_by_status_plan_or_dry_runs(
    tmp_path: Path,
) -> None:
    root = copy_shop(tmp_path)
    digest = hashlib.sha256(_db(root).read_bytes()).hexdigest()
    assert _cli("migrate", "plan", ".", cwd=root).returncode == 0
    assert _cli("migrate", "new", "shop", ".", "--dry-run", cwd=root).returncode == 0
    assert not (root / "migrations").exists()
    assert _cli("migrate", "new", "shop", ".", cwd=root).returncode == 0
    status = _cli("migrate", "status", ".", "-f", "json", cwd=root)
    assert status.returncode == 1  # a pending migration fails the check
    codes = [f["code"] for f in json.loads(status.stdout)["sections"][0]["findings"]]
    assert codes == ["MGR006", "MGR001"]
    dry = _cli("migrate", "up", ".", cwd=root)
    assert dry.returncode == 0 and "dry run" in dry.stdout
    assert _cli("migrate", "down", ".", cwd=root).returncode == 0
    assert _cli("migrate", "baseline", ".", cwd=root).returncode == 0
    assert hashlib.sha256(_db(root).read_bytes()).hexdigest() == digest


def test_cli_up_second_up_down_up(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    before = _orders(root)
    assert _cli("migrate", "new", "shop", ".", cwd=root).returncode == 0
    up = _cli("migrate", "up", ".", "--yes", "-f", "json", cwd=root)
    assert up.returncode == 0, up.stderr
    data = json.loads(up.stdout)
    assert data["verdict"] == "PASS"
    assert any(n.startswith("applied: V0001__shop") for n in data["sections"][0]["notes"])
    again = _cli("migrate", "up", ".", "--yes", "-f", "json", cwd=root)
    assert "nothing to apply" in " ".join(json.loads(again.stdout)["sections"][0]["notes"])
    refused = _cli("migrate", "down", ".", "--yes", cwd=root)
    assert refused.returncode == 2 and "would drop data" in refused.stderr and "--force" in refused.stderr
    down = _cli("migrate", "down", ".", "--yes", "--force", cwd=root)
    assert down.returncode == 0 and "reverted V0001__shop" in down.stdout
    assert _cli("migrate", "up", ".", "--yes", cwd=root).returncode == 0
    assert _orders(root) == before


def test_cli_tampered_migration_is_refused_with_exit_2(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    assert _cli("migrate", "new", "shop", ".", cwd=root).returncode == 0
    up_file = next((root / "migrations").glob("*.up.sql"))
    up_file.write_text(up_file.read_text() + "DROP TABLE customers;\n")
    res = _cli("migrate", "up", ".", "--yes", cwd=root)
    assert res.returncode == 2
    assert res.stderr.startswith("parity: error: ") and "checksum mismatch" in res.stderr
    assert "customers" in [r[0] for r in _rows(root, "SELECT name FROM sqlite_master")]


def test_cli_refused_plan_writes_nothing_and_names_the_command(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    schema = root / "db" / "schema.sql"
    schema.write_text(
        schema.read_text().replace(
            "    exported_at TEXT\n", "    exported_at TEXT,\n    region TEXT NOT NULL\n"
        )
    )
    res = _cli("migrate", "new", "shop", ".", "-f", "json", cwd=root)
    assert res.returncode == 1
    findings = json.loads(res.stdout)["sections"][0]["findings"]
    assert [f["fix"] for f in findings if f["code"] == "PLN001"] == [
        "parity migrate new shop --backfill orders.region=<SQL expression>"
    ]
    assert not (root / "migrations").exists()
    ok = _cli("migrate", "new", "shop", ".", "--backfill", "orders.region='eu'", cwd=root)
    assert ok.returncode == 0, ok.stdout
    assert _cli("migrate", "up", ".", "--yes", cwd=root).returncode == 0
    assert {r[0] for r in _rows(root, "SELECT region FROM orders")} == {"eu"}
    assert "region" in _columns(root, "orders")


def _commits_while_verifying(root: Path, sql: str) -> Callable[[str], None]:
    """A progress callback that plays the application: it commits ``sql`` while parity verifies."""

    def on_progress(message: str) -> None:
        if message.startswith("verifying"):
            conn = sqlite3.connect(_db(root))
            with conn:
                conn.execute(sql)
            conn.close()

    return on_progress


def test_failed_verification_never_restores_the_backup_over_other_sessions_writes(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    folder = service.migrations_folder(project)
    mdir.write(
        folder,
        "sneaky",
        "ALTER TABLE orders ADD COLUMN status TEXT;\nUPDATE orders SET total_cents = 0 WHERE id = 2;\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )

    application_writes = _commits_while_verifying(
        root, "INSERT INTO customers (id, email, name) VALUES (99, 'late@example.invalid', 'Late')"
    )
    result = service.apply(project, "production", verify_schema=False, progress=application_writes)
    assert result.rolled_back and not result.ok
    assert _rows(root, "SELECT email FROM customers WHERE id = 99") == [("late@example.invalid",)]
    assert "status" not in _columns(root, "orders")  # undone by the down migration
    assert any("not restored over their writes" in n for n in result.notes), result.notes


def test_application_writes_during_a_sound_migration_are_a_warning_not_a_rollback(tmp_path: Path) -> None:
    root = copy_shop(tmp_path)
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "status",
        "ALTER TABLE orders ADD COLUMN status TEXT;\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )

    application_writes = _commits_while_verifying(root, "UPDATE customers SET name = 'Renamed' WHERE id = 1")
    result = service.apply(project, "production", verify_schema=False, progress=application_writes)
    codes = [(f.code, f.severity.value, f.key) for f in result.verification]
    assert result.ok and not result.rolled_back, codes
    assert codes == [("VER008", "warning", "customers")]
    assert "status" in _columns(root, "orders")
    assert _rows(root, "SELECT name FROM customers WHERE id = 1") == [("Renamed",)]


@pytest.mark.parametrize("sneaky", [False, True])
def test_rebuild_to_without_rowid_verifies_rows_stored_out_of_key_order(tmp_path: Path, sneaky: bool) -> None:
    """A rowid table is digested in rowid (insertion) order, a WITHOUT ROWID table in key order:
    the rebuild keeps every row but reorders them, and that alone must not fail verification.
    A rebuild that also changes a value still does."""
    root = copy_shop(tmp_path)
    conn = sqlite3.connect(_db(root))
    conn.execute("CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT)")
    conn.executemany("INSERT INTO tags VALUES (?, ?)", [("zeta", "Z"), ("beta", "B"), ("alpha", None)])
    conn.commit()
    conn.close()
    before = _rows(root, "SELECT code, label FROM tags ORDER BY code")
    project = discover(root)
    mdir.write(
        service.migrations_folder(project),
        "tags_without_rowid",
        "CREATE TABLE _parity_new_tags (code TEXT PRIMARY KEY, label TEXT) WITHOUT ROWID;\n"
        "INSERT INTO _parity_new_tags SELECT * FROM tags;\n"
        "DROP TABLE tags;\n"
        "ALTER TABLE _parity_new_tags RENAME TO tags;\n"
        + ("UPDATE tags SET label = 'b' WHERE code = 'beta';\n" if sneaky else ""),
        "SELECT 1;\n",
    )
    result = service.apply(project, "production", verify_schema=False)
    if sneaky:
        assert result.rolled_back
        assert [(f.code, f.message) for f in result.verification] == [
            ("VER004", "content of column tags.label changed during the migration")
        ]
        assert "WITHOUT ROWID" not in _rows(root, "SELECT sql FROM sqlite_master WHERE name = 'tags'")[0][0]
    else:
        assert result.ok and not result.rolled_back, [f.message for f in result.verification]
        assert "WITHOUT ROWID" in _rows(root, "SELECT sql FROM sqlite_master WHERE name = 'tags'")[0][0]
    assert _rows(root, "SELECT code, label FROM tags ORDER BY code") == before
