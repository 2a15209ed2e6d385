"""Planning on real databases: plan the declared schema against production, write the migration
files, apply them, and the re-diff is empty apart from the kept production-only objects; the
old rows and the production-only column survive; down then up round-trips. SQLite, PostgreSQL,
MariaDB — the same scenario, each with its dialect's safe DDL."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity import dialects
from parity.diff import compare
from parity.migrate import dir as mdir
from parity.migrate.executor import Executor
from parity.model.changes import ProductionOnly
from parity.model.schema import Schema
from parity.plan.planner import plan
from test_migrate_helpers import DIALECTS, SEED, Db, make_db

DESIRED = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    total_cents INTEGER NOT NULL,
    created_at VARCHAR(40) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'new',
    region VARCHAR(10) NOT NULL,
    exported_at VARCHAR(40),
    CONSTRAINT orders_total_check CHECK (total_cents >= 0)
);
CREATE INDEX idx_orders_status ON orders (status);
CREATE TABLE exports (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), bucket VARCHAR(50) NOT NULL);
"""


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    return make_db(request, tmp_path)


def _dev_url(request: pytest.FixtureRequest, dialect: str) -> str | None:
    if dialect == "postgres":
        return str(request.getfixturevalue("pg_server_url"))
    if dialect == "mysql":
        return str(request.getfixturevalue("mysql_server_url"))
    return None


def _desired(db: Db, dev_url: str | None) -> Schema:
    d = dialects.get(db.url)
    with d.scratch(dev_url) as scratch:
        d.execute_script(scratch, DESIRED)
        return d.inspect(scratch)


def _left(db: Db, desired: Schema) -> list[str]:
    d = dialects.get(db.url)
    changes = compare(d.inspect(db.url), desired, d.compare_options)
    return sorted(c.object_name for c in changes if not isinstance(c, ProductionOnly))


def _orders(db: Db) -> list[tuple[object, ...]]:
    return db.query("SELECT id, customer_id, total_cents, created_at, legacy_note FROM orders ORDER BY id")


def test_plan_apply_converges_keeps_old_data_and_round_trips(
    db: Db, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db.run(SEED)
    before = _orders(db)
    d = dialects.get(db.url)
    current = d.inspect(db.url)
    desired = _desired(db, _dev_url(request, db.dialect))
    changes = compare(current, desired, d.compare_options)

    refused = plan(current, changes, d, row_counts={"orders": 3, "customers": 2}, name="shop")
    # orders.region is NOT NULL without default on a table with rows: refused with the exact command.
    (pln001,) = [f for f in refused.refused if f.code == "PLN001"]
    assert pln001.fix == "parity migrate new shop --backfill orders.region=<SQL expression>"

    p = plan(
        current, changes, d, row_counts={"orders": 3, "customers": 2}, backfills={"orders.region": "'eu'"}
    )
    assert p.refused == ()
    assert p.reversible
    assert [c.object_name for c in p.kept] == ["orders.legacy_note"]
    assert not any("DROP" in s.upper() and "legacy_note" in s for step in p.steps for s in step.sql)

    folder = tmp_path / "migrations"
    for i, m in enumerate(p.migrations()):
        mdir.write(folder, "shop" + (m.suffix if i else ""), m.up, m.down)
    ex = Executor(db.url, folder)
    ex.up()
    assert _left(db, desired) == []
    assert _orders(db) == before  # legacy_note and every old value intact
    assert sorted({r[0] for r in db.query("SELECT region FROM orders")}) == ["eu"]
    assert ex.up().steps == ()

    ex.down(to="0", force=True, backup_dir=tmp_path / "bk")
    after_down = d.inspect(db.url)
    assert [
        c
        for c in compare(after_down, current, d.compare_options)
        if not (isinstance(c, ProductionOnly) and c.name == "parity_schema_history")
    ] == []
    ex.up()
    assert _left(db, desired) == []
    assert _orders(db) == before


def test_postgres_plan_uses_online_ddl(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = Db("postgres", request.getfixturevalue("pg_url"))
    db.run(SEED)
    d = dialects.get(db.url)
    current = d.inspect(db.url)
    desired = _desired(db, _dev_url(request, "postgres"))
    p = plan(
        current,
        compare(current, desired, d.compare_options),
        d,
        row_counts={"orders": 3},
        backfills={"region": "'eu'"},
    )
    tx, online = p.migrations()
    assert tx.transactional and not online.transactional
    assert tx.up.startswith("SET LOCAL lock_timeout = '3s';\nSET LOCAL statement_timeout")
    assert online.up.startswith("-- parity:no-transaction\nSET lock_timeout = '3s';")
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_status ON orders (status);" in online.up
    assert "CHECK (total_cents >= 0) NOT VALID;" in tx.up
    assert "VALIDATE CONSTRAINT orders_total_check;" in online.up
    assert "DROP INDEX CONCURRENTLY IF EXISTS idx_orders_status;" in online.down
    # The planned files pass the linter apart from nothing: no MIG finding at all.
    assert [f.code for f in p.diagnostics if f.code.startswith("MIG")] == []
    assert not p.transactional


def test_postgres_invalid_index_left_by_an_interrupted_build_is_rebuilt(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = Db("postgres", request.getfixturevalue("pg_url"))
    db.run("CREATE TABLE t (id int PRIMARY KEY, email text); INSERT INTO t VALUES (1, 'a'), (2, 'a')")
    # A unique index build that fails leaves an INVALID index behind, as an interrupted one does.
    with pytest.raises(Exception, match="could not create unique index"):
        db.run("CREATE UNIQUE INDEX CONCURRENTLY t_email ON t (email)")
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_email'::regclass") == [(False,)]
    db.run("UPDATE t SET email = 'b' WHERE id = 2")
    folder = tmp_path / "migrations"
    mdir.write(
        folder,
        "email index",
        "-- parity:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_email ON t (email);\n",
        "-- parity:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS t_email;\n",
    )
    Executor(db.url, folder).up()
    # IF NOT EXISTS alone would have kept the invalid index; the runtime dropped and rebuilt it.
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_email'::regclass") == [(True,)]


def test_mysql_plan_asks_for_online_algorithms_and_is_rerunnable(request: pytest.FixtureRequest) -> None:
    db = Db("mysql", request.getfixturevalue("mysql_url"))
    db.run(SEED)
    d = dialects.get(db.url)
    current = d.inspect(db.url)
    desired = _desired(db, _dev_url(request, "mysql"))
    p = plan(
        current,
        compare(current, desired, d.compare_options),
        d,
        row_counts={"orders": 3},
        backfills={"region": "'eu'"},
    )
    (m,) = p.migrations()
    assert "ADD COLUMN IF NOT EXISTS status varchar(20) NOT NULL DEFAULT 'new', ALGORITHM=INSTANT;" in m.up
    assert "ADD INDEX IF NOT EXISTS idx_orders_status (status), ALGORITHM=INPLACE, LOCK=NONE;" in m.up
    assert "CREATE TABLE IF NOT EXISTS exports" in m.up
    # Run the additive statements twice: the second run changes nothing and does not fail.
    rerunnable = [
        line for line in m.up.splitlines() if line.startswith("ALTER TABLE") and "IF NOT EXISTS" in line
    ]
    assert len(rerunnable) == 4  # status, region, exported_at, the index
    db.run("\n".join(rerunnable))
    cols = db.columns("orders")
    db.run("\n".join(rerunnable))
    assert db.columns("orders") == cols


def test_postgres_foreign_key_into_another_schema_targets_that_schema(request: pytest.FixtureRequest) -> None:
    """``billing.accounts`` and ``public.accounts`` share a name: the planned foreign key must
    reference the one the declared schema names, and the re-diff is then empty."""
    tables = (
        "CREATE SCHEMA billing;"
        "CREATE TABLE billing.accounts (code text PRIMARY KEY);"
        "CREATE TABLE accounts (code text PRIMARY KEY);"
        "CREATE TABLE invoices (id bigint PRIMARY KEY, account_code text);"
    )
    db = Db("postgres", request.getfixturevalue("pg_url"))
    db.run(tables)
    d = dialects.get(db.url)
    with d.scratch(_dev_url(request, "postgres")) as scratch:
        d.execute_script(
            scratch,
            tables + "ALTER TABLE invoices ADD CONSTRAINT fk_invoices_account"
            " FOREIGN KEY (account_code) REFERENCES billing.accounts (code);",
        )
        desired = d.inspect(scratch)
    invoices = desired.table("invoices")
    assert invoices is not None
    # billing is a user schema, read with the inspected one: its table is named billing.accounts.
    assert [(f.ref_schema, f.ref_table) for f in invoices.foreign_keys] == [(None, "billing.accounts")]
    assert [f.ref_schema for t in desired.tables for f in t.foreign_keys if t.name != "invoices"] == []

    current = d.inspect(db.url)
    changes = compare(current, desired, d.compare_options)
    assert [c.object_name for c in changes] == ["fk_invoices_account"]
    p = plan(current, changes, d)
    assert "REFERENCES billing.accounts (code) NOT VALID" in p.migrations()[0].up
    for m in p.migrations():
        d.execute_script(db.url, m.up)
    assert _left(db, desired) == []
    db.run("INSERT INTO billing.accounts VALUES ('b-1'); INSERT INTO invoices VALUES (1, 'b-1')")
    assert db.query("SELECT count(*) FROM invoices") == [(1,)]
