"""MySQL/MariaDB rendering against a real server: what ``MODIFY COLUMN`` restates survives.

``MODIFY COLUMN`` replaces the whole column definition, so a clause the renderer leaves out
(``ON UPDATE``, ``COMMENT``, ``COLLATE``) is silently dropped in production. These tests
apply the rendered SQL and read ``SHOW CREATE TABLE`` back.
"""

from __future__ import annotations

import pymysql
import pytest

from conftest import mysql_connect_args
from parity import dialects
from parity.dialects.mysql.render import column_sql, create_index_sql
from parity.dialects.mysql.types import normalize_type
from parity.diff import compare
from parity.model.changes import AddIndex, AlterColumn
from parity.model.schema import Column, Index, IndexPart
from schema_helpers import execute, load

MYSQL = dialects.get("mysql")


def _show_create(url: str, table: str) -> str:
    conn = pymysql.connect(**mysql_connect_args(url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            cur.execute(f"SHOW CREATE TABLE `{table}`")
            return str(cur.fetchone()[1])
    finally:
        conn.close()


def _line(ddl: str, column: str) -> str:
    """The line of ``SHOW CREATE TABLE`` output that defines ``column``."""
    return next(line.strip() for line in ddl.splitlines() if line.strip().startswith(f"`{column}` "))


def _migrate(url: str, dev: str, current_sql: str, desired_sql: str) -> list[str]:
    """Create ``current_sql`` in ``url``, diff against ``desired_sql``, apply the SQL; return it."""
    MYSQL.execute_script(url, current_sql)
    current = MYSQL.inspect(url)
    changes = compare(current, load(MYSQL, desired_sql, dev), MYSQL.compare_options)
    sql = MYSQL.render_script(current, changes)
    execute(url, sql)
    return sql


def test_modify_column_keeps_on_update(mysql_url: str, mysql_server_url: str) -> None:
    sql = _migrate(
        mysql_url,
        mysql_server_url,
        "CREATE TABLE t (id INT PRIMARY KEY, upd TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP "
        "ON UPDATE CURRENT_TIMESTAMP, at3 DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3));",
        "CREATE TABLE t (id INT PRIMARY KEY, upd TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP "
        "ON UPDATE CURRENT_TIMESTAMP, at3 DATETIME(3) NOT NULL ON UPDATE CURRENT_TIMESTAMP(3));",
    )
    assert len(sql) == 2 and all("MODIFY COLUMN" in s and "ON UPDATE" in s for s in sql)
    ddl = _show_create(mysql_url, "t").lower()
    assert _line(ddl, "upd") == (
        "`upd` timestamp not null default current_timestamp() on update current_timestamp(),"
    )
    at3 = _line(ddl, "at3")
    assert at3.startswith("`at3` datetime(3) not null") and at3.endswith("on update current_timestamp(3),")
    col = MYSQL.inspect(mysql_url).tables[0].column("upd")
    assert col is not None and col.on_update == "CURRENT_TIMESTAMP"


def test_on_update_added_and_removed(mysql_url: str, mysql_server_url: str) -> None:
    _migrate(
        mysql_url,
        mysql_server_url,
        "CREATE TABLE t (id INT PRIMARY KEY, a TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, "
        "b DATETIME NULL ON UPDATE CURRENT_TIMESTAMP);",
        "CREATE TABLE t (id INT PRIMARY KEY, a TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP "
        "ON UPDATE CURRENT_TIMESTAMP, b DATETIME NULL);",
    )
    ddl = _show_create(mysql_url, "t").lower()
    assert _line(ddl, "a") == "`a` timestamp null default current_timestamp() on update current_timestamp(),"
    assert _line(ddl, "b") == "`b` datetime default null,"


def test_modify_column_keeps_comment_and_collation(mysql_url: str, mysql_server_url: str) -> None:
    sql = _migrate(
        mysql_url,
        mysql_server_url,
        "CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(10) COLLATE utf8mb4_bin COMMENT 'keep me', "
        "q VARCHAR(10) COMMENT 'it''s a \\\\ path');",
        "CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(40) COLLATE utf8mb4_bin, q VARCHAR(20));",
    )
    assert len(sql) == 2
    ddl = _show_create(mysql_url, "t")
    assert _line(ddl, "n").endswith(
        "varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL COMMENT 'keep me',"
    )
    assert _line(ddl, "q") == "`q` varchar(20) DEFAULT NULL COMMENT 'it''s a \\\\ path',"
    col = MYSQL.inspect(mysql_url).tables[0].column("q")
    assert col is not None and col.comment == "it's a \\ path"


def test_declared_comment_wins_over_production() -> None:
    cur = Column("n", "varchar(10)", comment="old")
    des = Column("n", "varchar(20)", comment="new")
    assert cur == Column("n", "varchar(10)")  # comments are not part of equality
    sql = MYSQL.render(AlterColumn("t", cur, des, frozenset({"type"})))
    assert sql == ["ALTER TABLE t MODIFY COLUMN n varchar(20) NULL COMMENT 'new'"]
    assert column_sql(Column("x", "int", on_update="CURRENT_TIMESTAMP")).endswith(
        "ON UPDATE CURRENT_TIMESTAMP"
    )


def test_index_prefix_lengths_render_and_apply(mysql_url: str) -> None:
    execute(mysql_url, ["CREATE TABLE t (id INT PRIMARY KEY, body TEXT, name VARCHAR(100))"])
    ix = Index("ix", (IndexPart("body", length=20), IndexPart("name", descending=True, length=5)))
    assert create_index_sql("t", ix) == "CREATE INDEX ix ON t (body(20), name(5) DESC)"
    execute(mysql_url, MYSQL.render(AddIndex("t", ix)))
    assert "KEY `ix` (`body`(20),`name`(5)" in _show_create(mysql_url, "t")
    inspected = MYSQL.inspect(mysql_url).tables[0].index("ix")
    assert inspected is not None and [p.length for p in inspected.parts] == [20, 5]


def test_normalize_type_keeps_label_case() -> None:
    assert normalize_type("ENUM('A', 'b c')") == "enum('A','b c')"
    assert normalize_type("SET('Red','it''s')") == "set('Red','it''s')"
    assert normalize_type("enum('A')") != normalize_type("enum('a')")
    assert normalize_type("INTEGER(11) UNSIGNED") == "int unsigned"
    assert normalize_type("DECIMAL(10, 2)") == "decimal(10,2)"


@pytest.mark.parametrize(
    ("statement", "only_adds"),
    [
        ("ALTER TABLE `orders` ADD COLUMN s varchar(20) DEFAULT 'a, b', ALGORITHM=INSTANT", True),
        ("ALTER TABLE orders ADD s int, ALGORITHM=INPLACE, LOCK=NONE", True),
        ("ALTER TABLE shop.orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id)", True),
        ("ALTER ONLINE TABLE orders ADD INDEX (a)", True),
        ("CREATE INDEX ix ON orders (a) ALGORITHM=INPLACE LOCK=NONE", True),
        ("CREATE UNIQUE INDEX ix ON orders (a)", True),
        ("CREATE TABLE exports (id int, order_id int REFERENCES orders (id))", True),
        ("ALTER TABLE orders ADD COLUMN s int, MODIFY total bigint", False),
        ("ALTER IGNORE TABLE orders ADD UNIQUE (total)", False),  # deletes duplicate rows
        ("ALTER TABLE orders ADD PARTITION (PARTITION p1 VALUES LESS THAN (10))", False),
        ("ALTER TABLE orders DROP COLUMN s", False),
        ("CREATE VIEW v AS SELECT 1", False),
        ("UPDATE orders SET a = 1", False),
    ],
)
def test_statements_that_only_add_leave_old_rows_alone(statement: str, only_adds: bool) -> None:
    import sqlglot

    from parity.dialects.mysql.safe import _only_adds

    assert _only_adds(sqlglot.tokenize(statement, read="mysql")) is only_adds


@pytest.mark.parametrize(
    ("statement", "sets_off"),
    [
        ("CALL backfill()", True),
        ("CREATE TRIGGER t AFTER UPDATE ON orders FOR EACH ROW SET @x = 1", True),
        ("CREATE DEFINER = `app`@`%` TRIGGER t AFTER INSERT ON orders FOR EACH ROW SET @x = 1", True),
        ("CREATE OR REPLACE EVENT e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM orders", True),
        ("CREATE TABLE event_log (id int, event varchar(10))", False),
        ("UPDATE orders SET a = 1", False),
    ],
)
def test_statements_that_set_off_later_writes(statement: str, sets_off: bool) -> None:
    import sqlglot

    from parity.dialects.mysql.safe import _sets_off_writes

    assert _sets_off_writes(sqlglot.tokenize(statement, read="mysql")) is sets_off
