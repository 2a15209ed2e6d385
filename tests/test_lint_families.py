"""The MySQL/MariaDB and SQLite lint families, checked against the real servers.

Each MySQL/MariaDB conformance example of ``mysql-blocking-alter`` (MIG039) and of a type change
(``column-type-change``, MIG006) is run on MariaDB
twice: as written (it is valid and would run, blocking writes) and with ``ALGORITHM=INPLACE,
LOCK=NONE`` added (the server refuses: it cannot run the change online). Each accepted example
runs online as written, or with that clause added. Each SQLite example of ``sqlite-needs-rebuild``
(MIG040) and ``sqlite-add-column-refused`` (MIG016) fails on sqlite3; each accepted one runs.
The tables are shaped like a shop's orders, as the conformance examples assume.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import mysql_connect_args
from tests.test_lint_conformance import ACCEPTED, ACCEPTED_FOLDERS, FLAGGED, FLAGGED_FOLDERS

from parity.model.findings import Severity
from parity.plan.lint import lint_sql

MYSQL_SCHEMA = (
    "CREATE TABLE shops (id BIGINT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, shop_id BIGINT NOT NULL DEFAULT 1, qty INT,"
    " ref VARCHAR(40), note TEXT, status VARCHAR(20), KEY orders_ref (ref))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "INSERT INTO shops VALUES (1)",
    "INSERT INTO orders VALUES (1, 1, 2, 'r-1', 'first', 'paid'), (2, 1, 5, 'r-2', 'second', 'new')",
)
SQLITE_SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE shops (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, shop_id INTEGER REFERENCES shops (id),
                     qty INTEGER, note TEXT, status TEXT);
CREATE INDEX orders_status ON orders (status);
INSERT INTO shops VALUES (1);
INSERT INTO orders VALUES (1, 'r-1', 1, 2, 'first', 'paid');
"""

_ONLINE_ASKED = re.compile(
    r"ALGORITHM\s*=\s*(INSTANT|INPLACE)|LOCK\s*=\s*(NONE|SHARED)|ALGORITHM\s*=\s*COPY", re.I
)


def _cases(cases: list[tuple[str, str, str, int | None]], rule: str, dialect: str) -> list[str]:
    return [sql for r, d, sql, _ in cases if r == rule and d == dialect]


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _online(statement: str) -> str:
    """The statement asking the server to run it in place without blocking writes."""
    if statement.upper().startswith("CREATE"):
        return statement + " ALGORITHM=INPLACE LOCK=NONE"
    return statement + ", ALGORITHM=INPLACE, LOCK=NONE"


@pytest.fixture
def shop(mysql_url: str) -> Iterator[Any]:
    import pymysql

    conn = pymysql.connect(**mysql_connect_args(mysql_url))  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            for statement in MYSQL_SCHEMA:
                cur.execute(statement)
        yield conn
    finally:
        conn.close()


def _reset(conn: Any) -> None:
    with conn.cursor() as cur:
        cur.execute("SET foreign_key_checks = 1")
        for table in ("orders", "purchases", "shops"):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in MYSQL_SCHEMA:
            cur.execute(statement)


def test_blocking_alters_are_refused_online_and_run_blocking(shop: Any) -> None:
    import pymysql

    # A type change (column-type-change, MIG006, on MySQL) is the same family: the server copies.
    flagged = _cases(FLAGGED, "MIG039", "mysql") + _cases(FLAGGED, "MIG006", "mysql")
    assert len(flagged) >= 10
    refused: list[str] = []
    for sql in flagged:
        (statement,) = _statements(sql)
        if not _ONLINE_ASKED.search(statement):
            _reset(shop)
            with shop.cursor() as cur, pytest.raises(pymysql.err.MySQLError) as exc:
                cur.execute(_online(statement))
            # 1845/1846: the operation is not supported for this algorithm or lock level.
            assert exc.value.args[0] in (1845, 1846), (statement, exc.value)
            refused.append(statement)
        _reset(shop)
        with shop.cursor() as cur:
            cur.execute(statement)  # as written it runs: by copying the table, or under a lock
    assert len(refused) >= 9


def test_accepted_alters_run_online(shop: Any) -> None:
    accepted = _cases(ACCEPTED, "MIG039", "mysql")
    assert len(accepted) >= 5
    for sql in accepted:
        _reset(shop)
        with shop.cursor() as cur:
            for statement in _statements(sql):
                if statement.upper().startswith("ALTER") and not _ONLINE_ASKED.search(statement):
                    statement = _online(statement)
                cur.execute(statement)
        found = lint_sql(sql, "mysql")
        assert not [f for f in found if f.severity is not Severity.INFO], (sql, found)


def test_a_column_placed_first_or_after_is_instant_from_mariadb_10_4(shop: Any) -> None:
    """MIG041 is a note about older servers: on this one (MariaDB 10.4 or newer) each flagged
    example runs with ALGORITHM=INSTANT, so the note's "instant from 10.4" holds here."""
    with shop.cursor() as cur:
        cur.execute("SELECT VERSION()")
        (version,) = cur.fetchone()
    major, minor = (int(p) for p in re.findall(r"\d+", version)[:2])
    assert "MariaDB" in version and (major, minor) >= (10, 4), version
    flagged = _cases(FLAGGED, "MIG041", "mysql")
    assert len(flagged) >= 2
    for sql in flagged:
        (statement,) = _statements(sql)
        _reset(shop)
        with shop.cursor() as cur:
            cur.execute(statement if "ALGORITHM" in statement else statement + ", ALGORITHM=INSTANT")
            cur.execute("SELECT COUNT(*) FROM orders")
            assert cur.fetchone() == (2,)


def test_lock_none_makes_the_server_refuse_instead_of_blocking(shop: Any) -> None:
    """The fix the rule gives: with LOCK=NONE a change that would copy the table fails at once."""
    import pymysql

    sql = "ALTER TABLE orders MODIFY COLUMN qty BIGINT, ALGORITHM=INPLACE, LOCK=NONE;"
    assert "MIG039" not in {f.code for f in lint_sql(sql, "mysql")}
    with shop.cursor() as cur, pytest.raises(pymysql.err.MySQLError):
        cur.execute(sql.rstrip(";"))


def test_foreign_key_checks_back_on_flags_again() -> None:
    sql = (
        "SET foreign_key_checks = 0;\n"
        "ALTER TABLE orders ADD CONSTRAINT a FOREIGN KEY (shop_id) REFERENCES shops (id);\n"
        "SET foreign_key_checks = 1;\n"
        "ALTER TABLE orders ADD CONSTRAINT b FOREIGN KEY (shop_id) REFERENCES shops (id);\n"
    )
    assert [(f.code, f.line) for f in lint_sql(sql, "mysql") if f.code == "MIG039"] == [("MIG039", 4)]


def test_new_table_is_exempt_from_online_ddl() -> None:
    sql = (
        "CREATE TABLE events (id BIGINT PRIMARY KEY, body TEXT);\n"
        "ALTER TABLE events ADD FULLTEXT INDEX events_body (body);\n"
        "CREATE FULLTEXT INDEX events_body2 ON events (body);\n"
    )
    assert not [f for f in lint_sql(sql, "mysql") if f.code in ("MIG039", "MIG015")]


def _sqlite(script: str) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SQLITE_SCHEMA)
        conn.executescript(script)
    finally:
        conn.close()


@pytest.mark.parametrize("rule", ["MIG040", "MIG016"])
def test_sqlite_refuses_what_is_flagged(rule: str) -> None:
    flagged = _cases(FLAGGED, rule, "sqlite")
    assert len(flagged) >= 3
    for sql in flagged:
        with pytest.raises(sqlite3.Error):
            _sqlite(sql)


@pytest.mark.parametrize("rule", ["MIG040", "MIG016"])
def test_sqlite_runs_what_is_accepted(rule: str) -> None:
    accepted = _cases(ACCEPTED, rule, "sqlite")
    assert accepted
    for sql in accepted:
        _sqlite(sql)


def _applied_before(files: dict[str, str], linted: str) -> str:
    """The folder's files before ``linted`` in apply order (name order, no ``*.down.sql``)."""
    return "".join(files[n] for n in sorted(files) if n < linted and not n.endswith(".down.sql"))


def test_sqlite_refuses_the_flagged_file_after_the_folders_earlier_files() -> None:
    assert len(FLAGGED_FOLDERS) >= 3
    for _, _, files, linted in FLAGGED_FOLDERS:
        conn = sqlite3.connect(":memory:")
        try:
            conn.executescript(_applied_before(files, linted))  # the earlier files run
            with pytest.raises(sqlite3.Error):
                conn.executescript(files[linted])
        finally:
            conn.close()


def test_sqlite_runs_the_accepted_file_after_the_folders_earlier_files() -> None:
    assert len(ACCEPTED_FOLDERS) >= 3
    for _, _, files, linted in ACCEPTED_FOLDERS:
        conn = sqlite3.connect(":memory:")
        try:
            conn.executescript(_applied_before(files, linted) + files[linted])
        finally:
            conn.close()
