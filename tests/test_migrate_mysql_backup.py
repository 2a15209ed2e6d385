"""MariaDB/MySQL: the backup before a migration, a half-applied migration told as such, and
`migrate rollback` restoring the tables from the backup (real MariaDB through ``mysql_url``).

DDL commits implicitly there: a migration whose third statement fails keeps the first two.
parity records it as half-applied, refuses to run over it, and `migrate rollback` rebuilds the
affected tables from the backup `migrate up` took (``mariadb-dump`` when on PATH, parity's own
JSON-lines dump when not), then checks them against the backup's digests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql
import pytest

from conftest import mysql_connect_args
from helpers import production_project, run_cli
from parity import dialects
from parity.errors import MigrationError
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.model.schema import Schema
from parity.project import discover
from schema_helpers import execute

pytestmark = pytest.mark.mysql

ROWS = 3000

#: Adds a column, an index and a table, rewrites a value of every row, then fails: the first four
#: statements commit one by one (DDL commits implicitly; the UPDATE autocommits).
HALFWAY = (
    "ALTER TABLE items ADD COLUMN sku varchar(20) NULL;\n"
    "CREATE INDEX idx_items_name ON items (name);\n"
    "CREATE TABLE item_notes (id int PRIMARY KEY, item_id int NOT NULL,"
    " CONSTRAINT fk_notes_item FOREIGN KEY (item_id) REFERENCES items (id));\n"
    "UPDATE items SET name = 'overwritten';\n"
    "ALTER TABLE items ADD COLUMN name int;\n"  # fails: the column exists
)


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(**mysql_connect_args(url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def _digest(url: str, *tables: str) -> str:
    """sha256 over every row of ``tables`` in key order, as PyMySQL reads them."""
    h = hashlib.sha256()
    for t in tables:
        for row in _rows(url, f"SELECT * FROM `{t}` ORDER BY 1"):
            h.update(repr(row).encode())
    return h.hexdigest()


def _schema(url: str) -> Schema:
    """The inspected schema without parity's own history table (`migrate up` creates it)."""
    schema = dialects.get(url).inspect(url)
    return replace(schema, tables=tuple(t for t in schema.tables if t.name != "parity_schema_history"))


def _history(url: str) -> list[tuple[Any, ...]]:
    return _rows(url, "SELECT version, success FROM parity_schema_history ORDER BY version")


@pytest.fixture
def shop(tmp_path: Path, mysql_url: str) -> Path:
    """Items with a few thousand rows, a child table pointing at them, an untouched table."""
    values = ", ".join(f"({i}, 'item {i}', {i}.25)" for i in range(1, ROWS + 1))
    execute(
        mysql_url,
        [
            "CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL,"
            " price decimal(10,2) NOT NULL)",
            f"INSERT INTO items (id, name, price) VALUES {values}",
            "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, item_id int NOT NULL,"
            " CONSTRAINT fk_orders_item FOREIGN KEY (item_id) REFERENCES items (id))",
            "INSERT INTO orders (item_id) VALUES (1), (2), (3)",
            "CREATE TABLE settings (k varchar(20) PRIMARY KEY, v varchar(20))",
            "INSERT INTO settings VALUES ('a', '1')",
        ],
    )
    return production_project(tmp_path, mysql_url)


def _write(root: Path, up: str, down: str = "SELECT 1;\n") -> None:
    mdir.write(service.migrations_folder(discover(root)), "change", up, down)


def _backup_folders(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".parity" / "backups").iterdir() if p.is_dir())


def _assert_private(folder: Path) -> None:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.iterdir() if p.is_file()]
    assert files
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_a_half_applied_migration_is_told_refused_and_rolled_back_from_the_dump(
    shop: Path, mysql_url: str
) -> None:
    assert shutil.which("mariadb-dump") or shutil.which("mysqldump"), "the MariaDB client tools"
    schema_before = _schema(mysql_url)
    rows_before = _digest(mysql_url, "items", "orders", "settings")
    _write(shop, HALFWAY)

    up = run_cli("migrate", "up", str(shop), "--env", "production", "--yes")
    assert up.returncode == 2, up.stdout + up.stderr
    assert "HALF-APPLIED: 4 of 5 statements committed" in up.stderr
    assert "migrate rollback" in up.stderr and "NOT rolled back" in up.stderr
    # The damage is real: the first statements stayed.
    assert _rows(mysql_url, "SELECT count(*) FROM items WHERE name = 'overwritten'") == [(ROWS,)]

    status = run_cli("migrate", "status", str(shop), "--env", "production")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "MGR007" in status.stdout and "half-applied" in status.stdout
    assert "rolled back" not in status.stdout.replace("NOT rolled back", "")
    assert "partial" in status.stdout  # the state column

    again = run_cli("migrate", "up", str(shop), "--env", "production", "--yes")
    assert again.returncode == 2
    assert len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert "half-applied" in again.stderr and "migrate rollback" in again.stderr
    down = run_cli("migrate", "down", str(shop), "--env", "production", "--yes")
    assert down.returncode == 2 and "half-applied" in down.stderr

    (folder,) = _backup_folders(shop)
    assert (folder / "tables.sql").is_file()  # mariadb-dump's
    record = json.loads((folder / "tables.json").read_text())
    assert record["method"] in ("mariadb-dump", "mysqldump")
    # The affected tables: those the statements name, and only those.
    assert sorted(t["name"] for t in record["tables"]) == ["items"]
    _assert_private(folder)

    back = run_cli("migrate", "rollback", str(shop), "--env", "production", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "restored 1 table(s) (items)" in back.stdout and "item_notes" in back.stdout
    assert _schema(mysql_url) == schema_before
    assert _digest(mysql_url, "items", "orders", "settings") == rows_before
    assert _history(mysql_url) == []

    # With the cause fixed, the migration runs again from a clean state.
    again_status = run_cli("migrate", "status", str(shop), "--env", "production")
    assert "MGR007" not in again_status.stdout and "MGR001" in again_status.stdout


#: Values that round-trip only when written back exactly as the server holds them.
HARD = (
    "CREATE TABLE vals (id int PRIMARY KEY, n varchar(20) NULL, b varbinary(300) NULL, blob_col blob NULL,"
    " d decimal(20,6) NULL, dt datetime(6) NULL, ts timestamp(3) NULL DEFAULT NULL, f float NULL,"
    " dbl double NULL, j json NULL, e varchar(20) CHARACTER SET utf8mb4 NULL, bits bit(10) NULL,"
    " gen int AS (id * 2) VIRTUAL)"
)


def _hard_rows() -> list[tuple[Any, ...]]:
    everything = bytes(range(256))
    return [
        (1, None, None, None, None, None, None, None, None, None, None, None),
        (
            2,
            "plain",
            everything,
            everything * 40,
            "12345678901234.123456",
            "2024-02-29 23:59:59.999999",
            "2024-03-31 01:30:00.123",
            0.1234567,
            0.1,
            '{"a": [1, 2.5, "x"], "b": null}',
            "smile \U0001f600 ok",
            0b1010101010,
        ),
        (
            3,
            "",
            b"",
            b"\x00",
            "-0.000001",
            "1000-01-01 00:00:00.000001",
            None,
            -3.4e38,
            1e-300,
            "[]",
            "\u00e9\u4e2d",
            0,
        ),
    ]


def test_the_jsonl_fallback_restores_hard_values_exactly_when_no_dump_tool_is_on_path(
    tmp_path: Path, mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(mysql_url, [HARD])
    conn = pymysql.connect(**mysql_connect_args(mysql_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO vals (id, n, b, blob_col, d, dt, ts, f, dbl, j, e, bits)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                _hard_rows(),
            )
    finally:
        conn.close()
    root = production_project(tmp_path, mysql_url)
    before = _rows(mysql_url, "SELECT * FROM vals ORDER BY id")
    assert before[1][3] == bytes(range(256)) * 40 and before[1][4] == Decimal("12345678901234.123456")
    schema_before = _schema(mysql_url)
    _write(
        root,
        "ALTER TABLE vals ADD COLUMN extra int NULL;\n"
        "UPDATE vals SET b = NULL, d = 0, dt = NULL, f = 1, j = '{}', e = 'gone', bits = 1;\n"
        "ALTER TABLE vals ADD COLUMN n int;\n",  # fails
    )
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no mariadb-dump, no mysqldump, no client

    with pytest.raises(MigrationError, match="HALF-APPLIED: 2 of 3"):
        service.apply(discover(root), "production", verify_schema=False)
    (folder,) = _backup_folders(root)
    record = json.loads((folder / "tables.json").read_text())
    assert record["method"] == "jsonl" and not (folder / "tables.sql").exists()
    _assert_private(folder)
    assert _rows(mysql_url, "SELECT count(*) FROM vals WHERE e = 'gone'") == [(3,)]

    result = service.rollback(discover(root), "production")
    assert "from the jsonl backup" in result.how
    assert _rows(mysql_url, "SELECT * FROM vals ORDER BY id") == before
    assert _schema(mysql_url) == schema_before
    assert _history(mysql_url) == []


def test_a_trigger_on_a_restored_table_comes_back_and_does_not_fire_on_the_restore(
    tmp_path: Path, mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(
        mysql_url,
        [
            "CREATE TABLE items (id int PRIMARY KEY, name varchar(20))",
            "CREATE TABLE audit (id int AUTO_INCREMENT PRIMARY KEY, what varchar(20))",
            "CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (what) VALUES (NEW.name)",
            "INSERT INTO items VALUES (1, 'a'), (2, 'b')",
        ],
    )
    root = production_project(tmp_path, mysql_url)
    before = _digest(mysql_url, "items", "audit")
    _write(
        root, "ALTER TABLE items ADD COLUMN x int NULL;\nDROP TRIGGER items_audit;\nSELECT * FROM nosuch;\n"
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MigrationError, match="HALF-APPLIED"):
        service.apply(discover(root), "production", verify_schema=False)
    service.rollback(discover(root), "production")
    assert _digest(mysql_url, "items", "audit") == before  # audit got no rows from the restore
    assert _rows(mysql_url, "SELECT trigger_name FROM information_schema.triggers "
                 "WHERE trigger_schema = DATABASE()") == [("items_audit",)]  # fmt: skip


def test_a_failed_verification_restores_the_backup_where_the_down_cannot(shop: Path, mysql_url: str) -> None:
    """The migration overwrites old values; its down only drops the new column. The backup
    brings the values back."""
    rows_before = _digest(mysql_url, "items", "orders", "settings")
    schema_before = _schema(mysql_url)
    _write(
        shop,
        "ALTER TABLE items ADD COLUMN sku varchar(20) NULL;\nUPDATE items SET price = 0 WHERE id <= 10;\n",
        "ALTER TABLE items DROP COLUMN sku;\n",
    )
    result = service.apply(discover(shop), "production", verify_schema=False)
    assert result.rolled_back and not result.ok
    assert ("VER004", "items") in {(f.code, f.key) for f in result.verification}
    assert any("restored 1 table(s) (items)" in n for n in result.notes), result.notes
    assert _digest(mysql_url, "items", "orders", "settings") == rows_before
    assert _schema(mysql_url) == schema_before
    assert _history(mysql_url) == []


def test_a_migration_failing_on_its_first_statement_is_not_called_half_applied(
    shop: Path, mysql_url: str
) -> None:
    _write(shop, "ALTER TABLE items ADD COLUMN name int;\nCREATE INDEX idx_items_name ON items (name);\n")
    up = run_cli("migrate", "up", str(shop), "--env", "production", "--yes")
    assert up.returncode == 2
    assert "nothing of it was applied" in up.stderr and "HALF-APPLIED" not in up.stderr
    status = run_cli("migrate", "status", str(shop), "--env", "production")
    assert "MGR002" in status.stdout and "MGR007" not in status.stdout
    assert "was rolled back" not in status.stdout


def test_the_dump_tool_gets_the_password_from_a_private_option_file(
    shop: Path, mysql_url: str, mysql_server_url: str
) -> None:
    """A password with option-file metacharacters reaches mariadb-dump intact (the dump works,
    so no fallback) and appears in no file left behind."""
    password = 'p#a"s\\s w;rd=1'
    database = mysql_url.rsplit("/", 1)[1]
    user = f"u_{database[-10:]}"
    execute(
        mysql_server_url,
        [
            f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password.replace(chr(92), chr(92) * 2)}'",
            f"GRANT ALL ON `{database}`.* TO '{user}'@'%'",
        ],
    )
    try:
        from urllib.parse import quote

        url = mysql_url.replace("root:", f"{user}:{quote(password, safe='')}", 1).replace(
            "root@", f"{user}:{quote(password, safe='')}@", 1
        )
        (shop / ".env.production").write_text(f"DATABASE_URL={url}\n")
        _write(shop, "ALTER TABLE items ADD COLUMN sku varchar(20) NULL;\nSELECT * FROM nosuch;\n")
        with pytest.raises(MigrationError, match="HALF-APPLIED"):
            service.apply(discover(shop), "production", verify_schema=False)
        (folder,) = _backup_folders(shop)
        record = json.loads((folder / "tables.json").read_text())
        assert record["method"] in ("mariadb-dump", "mysqldump")
        for p in folder.iterdir():
            assert password.encode() not in p.read_bytes()
        result = service.rollback(discover(shop), "production")
        assert "mariadb-dump" in result.how or "mysqldump" in result.how
        assert "sku" not in [r[0] for r in _rows(mysql_url, "SHOW COLUMNS FROM items")]
    finally:
        execute(mysql_server_url, [f"DROP USER IF EXISTS '{user}'@'%'"])


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["ALTER TABLE items ADD COLUMN sku varchar(20) NULL"], ["items"]),
        (["CREATE INDEX ix ON settings (v)", "CREATE TABLE fresh (id int PRIMARY KEY)"], ["settings"]),
        # A cascading foreign key carries a delete on: the child table is backed up too.
        (["DELETE FROM parents WHERE id = 1"], ["children", "parents"]),
        # A statement that names a view, or a table with a trigger: anything may change.
        (["UPDATE v_items SET name = 'x'"], ["children", "items", "logged", "orders", "parents", "settings"]),
        (["UPDATE logged SET x = 1"], ["children", "items", "logged", "orders", "parents", "settings"]),
        (None, ["children", "items", "logged", "orders", "parents", "settings"]),
    ],
)
def test_the_backup_holds_the_tables_the_statements_can_change(
    shop: Path, mysql_url: str, statements: list[str] | None, expected: list[str]
) -> None:
    from parity.migrate.runtime import open_runtime

    execute(
        mysql_url,
        [
            "CREATE TABLE parents (id int PRIMARY KEY)",
            "CREATE TABLE children (id int PRIMARY KEY, parent_id int,"
            " FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE)",
            "CREATE VIEW v_items AS SELECT * FROM items",
            "CREATE TABLE logged (id int PRIMARY KEY, x int)",
            "CREATE TRIGGER logged_t BEFORE UPDATE ON logged FOR EACH ROW SET NEW.x = NEW.x",
        ],
    )
    rt = open_runtime(mysql_url, read_only=True)
    try:
        assert rt.backup_tables(rt.table_names(), statements) == expected
    finally:
        rt.close()


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["ALTER TABLE items ADD COLUMN sku varchar(20) NULL", "CREATE INDEX ix ON items (name)"], False),
        (["ALTER TABLE items MODIFY COLUMN name varchar(60) NOT NULL"], False),
        (["CREATE TABLE t (id int, p int, FOREIGN KEY (p) REFERENCES items (id) ON DELETE CASCADE)"], False),
        (["UPDATE items SET name = 'x'"], False),  # no trigger anywhere writes rows
        (["INSERT INTO settings VALUES ('b', '2')"], True),
        (["DELETE FROM orders"], True),
        (["ALTER IGNORE TABLE items ADD UNIQUE (name)"], True),
        (["ALTER TABLE items DROP PARTITION p0"], True),
        (["CALL cleanup()"], True),
        (None, True),
    ],
)
def test_which_runs_can_insert_or_delete_rows(
    shop: Path, mysql_url: str, statements: list[str] | None, expected: bool
) -> None:
    """Decides whether a row count that changed during a failed run was another session's write
    (then the backup is not restored over it)."""
    from parity.migrate.runtime import open_runtime

    rt = open_runtime(mysql_url, read_only=True)
    try:
        assert rt.may_change_row_counts(statements) is expected
    finally:
        rt.close()


def test_an_update_is_a_row_writer_when_a_trigger_inserts(shop: Path, mysql_url: str) -> None:
    from parity.migrate.runtime import open_runtime

    execute(
        mysql_url,
        [
            "CREATE TABLE audit (id int AUTO_INCREMENT PRIMARY KEY)",
            "CREATE TRIGGER items_log AFTER UPDATE ON items FOR EACH ROW INSERT INTO audit () VALUES ()",
        ],
    )
    rt = open_runtime(mysql_url, read_only=True)
    try:
        assert rt.may_change_row_counts(["UPDATE settings SET v = '2'"]) is True
    finally:
        rt.close()
