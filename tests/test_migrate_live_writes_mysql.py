"""`migrate up` on a MariaDB/MySQL database that the application keeps writing to.

InnoDB keeps no per-table write counter parity can read by default, so a table counts as written
by the application only when the run's statements cannot have changed its old rows (not named,
or named only by statements that add columns, indexes, keys or tables; no cascading foreign key
from a named table; no trigger, view or routine involved) and its ``UPDATE_TIME`` moved during
the run. Such a table is VER008, a warning; everything else that
changed stays an error and rolls the migration back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from conftest import mysql_connect_args
from helpers import application, production_project
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.project import discover
from schema_helpers import execute

pytestmark = pytest.mark.mysql

SLOW = "SELECT SLEEP(0.4);\n"  # keeps the run open long enough for the application to write


def _count(url: str, sql: str) -> int:
    conn = pymysql.connect(**mysql_connect_args(url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None
    return int(row[0])


@pytest.fixture
def project_root(tmp_path: Path, mysql_url: str) -> Path:
    execute(
        mysql_url,
        [
            "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, total int NOT NULL)",
            "INSERT INTO orders (total) VALUES " + ", ".join(f"({i})" for i in range(1, 201)),
            "CREATE TABLE customers (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL)",
            "INSERT INTO customers (name) VALUES " + ", ".join(f"('customer {i}')" for i in range(1, 51)),
        ],
    )
    return production_project(tmp_path, mysql_url)


@pytest.fixture
def app_writes_customers(mysql_url: str) -> Iterator[threading.Event]:
    """The application: signs up a customer every few milliseconds until the test ends."""

    def write(stop: threading.Event) -> None:
        conn = pymysql.connect(**mysql_connect_args(mysql_url))  # type: ignore[arg-type]
        try:
            with conn.cursor() as cur:
                while not stop.is_set():
                    cur.execute("INSERT INTO customers (name) VALUES ('signed up meanwhile')")
                    time.sleep(0.005)
        finally:
            conn.close()

    with application(write) as stop:
        yield stop


#: A new column and its backfill (what ``--backfill`` plans), with its down.
BACKFILL = (
    "ALTER TABLE customers ADD COLUMN tier varchar(10) NULL, ALGORITHM=INSTANT;\n"
    "UPDATE customers SET tier = 'free' WHERE tier IS NULL;\n" + SLOW,
    "ALTER TABLE customers DROP COLUMN tier;\n",
)


def _kept_with_a_warning_on(result: service.ApplyResult, table: str) -> None:
    assert result.ok and not result.rolled_back, [f.message for f in result.verification]
    assert [(f.code, f.key) for f in result.verification] == [("VER008", table)]


def _apply(root: Path, up: str, down: str = "SELECT 1;\n") -> service.ApplyResult:
    project = discover(root)
    mdir.write(service.migrations_folder(project), "change", up, down)
    return service.apply(project, "production", verify_schema=False)


def test_application_writes_to_a_table_the_migration_does_not_touch_are_a_warning(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    result = _apply(project_root, "ALTER TABLE orders ADD COLUMN status varchar(20) NULL;\n" + SLOW)
    app_writes_customers.set()
    _kept_with_a_warning_on(result, "customers")
    assert _count(mysql_url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
                  "AND table_name = 'orders' AND column_name = 'status'") == 1  # fmt: skip


def test_a_migration_that_only_adds_to_the_table_the_application_writes_is_a_warning(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    """What parity plans on MySQL (new column INSTANT, index INPLACE, a foreign key, a new table)
    leaves old rows as they were, so a moved table there is the application's doing."""
    result = _apply(
        project_root,
        "ALTER TABLE customers ADD COLUMN tier varchar(10) NULL DEFAULT 'free', ALGORITHM=INSTANT;\n"
        "CREATE INDEX idx_customers_tier ON customers (tier) ALGORITHM=INPLACE LOCK=NONE;\n"
        "CREATE TABLE invites (id int PRIMARY KEY, customer_id int NOT NULL,"
        " CONSTRAINT fk_invites_customer FOREIGN KEY (customer_id) REFERENCES customers (id));\n" + SLOW,
    )
    app_writes_customers.set()
    _kept_with_a_warning_on(result, "customers")


def test_a_change_that_can_rewrite_values_keeps_the_exact_check(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    """MODIFY COLUMN can convert or truncate old values: while the application writes to the same
    table, parity cannot tell the two apart, and rolls back rather than guess."""
    result = _apply(
        project_root,
        "ALTER TABLE customers MODIFY COLUMN name varchar(60) NOT NULL;\n" + SLOW,
        "ALTER TABLE customers MODIFY COLUMN name varchar(50) NOT NULL;\n",
    )
    app_writes_customers.set()
    assert result.rolled_back
    assert ("VER002", "customers") in {(f.code, f.key) for f in result.verification}
    assert _count(mysql_url, "SELECT count(*) FROM customers WHERE name = 'signed up meanwhile'") > 0


def test_a_migration_that_changes_old_data_still_fails_while_the_application_writes(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    result = _apply(
        project_root,
        "ALTER TABLE orders ADD COLUMN status varchar(20) NULL;\nUPDATE orders SET total = 0 WHERE id = 2;\n"
        + SLOW,
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    app_writes_customers.set()
    assert result.rolled_back and not result.ok
    assert sorted((f.code, f.key) for f in result.verification) == [
        ("VER004", "orders"),
        ("VER008", "customers"),
    ]
    # The rollback ran the down migration: the application's sign-ups are all still there.
    assert _count(mysql_url, "SELECT count(*) FROM customers WHERE name = 'signed up meanwhile'") > 0


def test_rows_a_cascading_foreign_key_changed_stay_an_error(project_root: Path, mysql_url: str) -> None:
    execute(
        mysql_url,
        [
            "CREATE TABLE order_lines (id int AUTO_INCREMENT PRIMARY KEY, order_id int NOT NULL,"
            " CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE)",
            "INSERT INTO order_lines (order_id) VALUES (1), (2), (3)",
        ],
    )
    result = _apply(project_root, "DELETE FROM orders WHERE id = 3;\n" + SLOW)
    assert result.rolled_back
    codes = {(f.code, f.key) for f in result.verification}
    assert ("VER002", "order_lines") in codes and ("VER008", "order_lines") not in codes


def test_rows_a_trigger_wrote_stay_an_error(project_root: Path, mysql_url: str) -> None:
    execute(
        mysql_url,
        [
            "CREATE TABLE audit (id int AUTO_INCREMENT PRIMARY KEY, what varchar(50))",
            "CREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW INSERT INTO audit (what) VALUES ('update')",
        ],
    )
    result = _apply(project_root, "UPDATE orders SET total = total + 1 WHERE id = 1;\n" + SLOW)
    assert result.rolled_back
    codes = {(f.code, f.key) for f in result.verification}
    assert ("VER002", "audit") in codes and ("VER008", "audit") not in codes


def test_a_backfill_of_a_new_column_on_the_table_the_application_writes_is_kept(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    result = _apply(
        project_root,
        *BACKFILL,
    )
    app_writes_customers.set()
    _kept_with_a_warning_on(result, "customers")


def test_a_backfill_on_a_table_with_a_trigger_keeps_the_exact_check(
    project_root: Path, mysql_url: str, app_writes_customers: threading.Event
) -> None:
    """The trigger could rewrite an old column while the backfill updates the new one."""
    execute(
        mysql_url,
        [
            "CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW"
            " SET NEW.name = CONCAT(NEW.name, '')"
        ],
    )
    result = _apply(
        project_root,
        *BACKFILL,
    )
    app_writes_customers.set()
    assert result.rolled_back
    assert ("VER008", "customers") not in {(f.code, f.key) for f in result.verification}
