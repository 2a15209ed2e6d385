"""Shared pieces of the migration tests (real databases from conftest's fixtures), and their own tests.

``db`` is a parametrised fixture: the same test runs on a SQLite file, a fresh PostgreSQL
database and a fresh MariaDB database. Each test module declares it in two lines with :func:`make_db`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from parity.migrate import dir as mdir
from parity.migrate.runtime import open_runtime

DIALECTS = ("sqlite", "postgres", "mysql")


@dataclass(frozen=True)
class Db:
    dialect: str
    url: str

    def run(self, sql: str) -> None:
        rt = open_runtime(self.url)
        try:
            for statement in rt.split(sql):
                rt.execute(statement)
        finally:
            rt.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        rt = open_runtime(self.url, read_only=True)
        try:
            return rt.query(sql)
        finally:
            rt.close()

    def tables(self) -> list[str]:
        rt = open_runtime(self.url, read_only=True)
        try:
            return rt.table_names()
        finally:
            rt.close()

    def columns(self, table: str) -> list[str]:
        rt = open_runtime(self.url, read_only=True)
        try:
            return rt.column_names(table)
        finally:
            rt.close()

    def history(self) -> list[tuple[str, bool]]:
        if "parity_schema_history" not in self.tables():
            return []
        rows = self.query("SELECT version, success FROM parity_schema_history ORDER BY version")
        return [(str(v), bool(s)) for v, s in rows]


def sqlite_db(tmp_path: Path) -> Db:
    path = tmp_path / "prod.db"
    sqlite3.connect(path).close()
    return Db("sqlite", f"sqlite:///{path}")


def make_db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    """For a fixture parametrised over :data:`DIALECTS`: a fresh database of ``request.param``."""
    if request.param == "sqlite":
        return sqlite_db(tmp_path)
    if request.param == "postgres":
        return Db("postgres", request.getfixturevalue("pg_url"))
    return Db("mysql", request.getfixturevalue("mysql_url"))


#: The shop's production tables, written so every dialect accepts them.
SEED = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    total_cents INTEGER NOT NULL,
    created_at VARCHAR(40) NOT NULL,
    legacy_note VARCHAR(200)
);
INSERT INTO customers (id, email, name) VALUES (1, 'ada@example.invalid', 'Ada'), (2, 'grace@example.invalid', 'Grace');
INSERT INTO orders (id, customer_id, total_cents, created_at, legacy_note) VALUES
    (1, 1, 1999, '2026-01-05 10:00:00', 'imported from v1'),
    (2, 1, 4500, '2026-02-11 12:30:00', NULL),
    (3, 2, 250, '2026-03-01 08:15:00', 'gift wrap');
"""

#: A migration in three statements that must land together (dialects differ in the last one only).
ADD_STATUS = {
    "sqlite": "ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'new';\n"
    "CREATE TABLE exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), bucket VARCHAR(50) NOT NULL);\n"
    "CREATE INDEX idx_orders_status ON orders (status);\n",
    "postgres": "ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'new';\n"
    "CREATE TABLE exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), bucket VARCHAR(50) NOT NULL);\n"
    "CREATE INDEX idx_orders_status ON orders (status);\n",
    # MariaDB: one atomic ALTER (DDL commits implicitly, so one statement per table keeps it whole).
    "mysql": "ALTER TABLE orders ADD COLUMN IF NOT EXISTS status VARCHAR(20) NOT NULL DEFAULT 'new', "
    "ADD INDEX IF NOT EXISTS idx_orders_status (status);\n"
    "CREATE TABLE IF NOT EXISTS exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, bucket VARCHAR(50) NOT NULL);\n",
}
DROP_STATUS = {
    "sqlite": "DROP INDEX idx_orders_status;\nDROP TABLE exports;\nALTER TABLE orders DROP COLUMN status;\n",
    "postgres": "DROP INDEX idx_orders_status;\nDROP TABLE exports;\nALTER TABLE orders DROP COLUMN status;\n",
    "mysql": "DROP TABLE IF EXISTS exports;\nALTER TABLE orders DROP INDEX IF EXISTS idx_orders_status, DROP COLUMN IF EXISTS status;\n",
}
ADD_EXPORTED = {d: "ALTER TABLE orders ADD COLUMN exported_at VARCHAR(40);\n" for d in DIALECTS}
DROP_EXPORTED = {d: "ALTER TABLE orders DROP COLUMN exported_at;\n" for d in DIALECTS}

#: A statement that takes a noticeable moment, so concurrent runners overlap and kills land mid-run.
SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000) SELECT count(*) FROM n",
    "postgres": "SELECT pg_sleep(0.15)",
    "mysql": "SELECT SLEEP(0.15)",
}


def write_shop_migrations(folder: Path, dialect: str) -> list[mdir.Migration]:
    return [
        mdir.write(folder, "add status", ADD_STATUS[dialect], DROP_STATUS[dialect]),
        mdir.write(folder, "add exported at", ADD_EXPORTED[dialect], DROP_EXPORTED[dialect]),
    ]


# --- tests of the helpers themselves ------------------------------------------------------------


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    return make_db(request, tmp_path)


def test_seed_and_history_helpers_work_on_every_dialect(db: Db) -> None:
    db.run(SEED)
    assert db.tables() == ["customers", "orders"]
    assert db.columns("orders") == ["id", "customer_id", "total_cents", "created_at", "legacy_note"]
    assert db.history() == []
