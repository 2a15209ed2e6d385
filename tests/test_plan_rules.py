"""The planner's safety rules, table-driven on the neutral model (no database needed to plan),
and the SQLite 12-step rebuild run for real."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from parity import dialects
from parity.errors import MigrationError, ParityError
from parity.migrate import dir as mdir
from parity.migrate.executor import Executor
from parity.model.changes import (
    AddColumn,
    AddForeignKey,
    AlterColumn,
    DropColumn,
    DropTable,
    PossibleRename,
    RenameColumn,
    Safety,
)
from parity.model.schema import Column, ForeignKey, PrimaryKey, Schema, Table
from parity.plan.planner import parse_backfills, plan

ORDERS = Table(
    "orders",
    (
        Column("id", "integer", "INTEGER", nullable=False),
        Column("customer_id", "integer", "INTEGER", nullable=False),
        Column("note", "text", "TEXT"),
    ),
    PrimaryKey(("id",)),
)
CUSTOMERS = Table("customers", (Column("id", "integer", "INTEGER", nullable=False),), PrimaryKey(("id",)))
CURRENT = Schema("sqlite", (CUSTOMERS, ORDERS))
SQLITE = dialects.get("sqlite")
REGION = Column("region", "text", "TEXT", nullable=False)


def codes(p) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in p.diagnostics]


def test_not_null_without_default_on_rows_is_refused_with_the_exact_command() -> None:
    p = plan(CURRENT, [AddColumn("orders", REGION)], SQLITE, row_counts={"orders": 12}, name="add_region")
    assert codes(p) == ["PLN001"]
    assert p.refused[0].fix == "parity migrate new add_region --backfill orders.region=<SQL expression>"
    assert p.steps == ()


def test_unknown_row_count_is_treated_as_non_empty() -> None:
    assert codes(plan(CURRENT, [AddColumn("orders", REGION)], SQLITE)) == ["PLN001"]


def test_not_null_without_default_on_an_empty_table_is_planned_directly() -> None:
    p = plan(CURRENT, [AddColumn("orders", REGION)], SQLITE, row_counts={"orders": 0})
    assert p.refused == ()
    assert len(p.steps) == 1 and p.steps[0].rewrites_table  # SQLite cannot ADD it: rebuild


def test_backfill_plans_expand_backfill_contract() -> None:
    p = plan(
        CURRENT,
        [AddColumn("orders", REGION)],
        SQLITE,
        row_counts={"orders": 12},
        backfills={"orders.region": "'eu'"},
    )
    assert p.refused == ()
    comments = [s.comment for s in p.steps]
    assert comments[0].startswith("expand: add orders.region as nullable")
    assert comments[1] == "backfill orders.region = 'eu'"
    assert comments[2].startswith("contract: enforce NOT NULL on orders.region")
    assert p.steps[0].sql == ("ALTER TABLE orders ADD COLUMN region TEXT",)
    assert p.steps[1].sql == ("UPDATE orders SET region = 'eu' WHERE region IS NULL",)
    assert p.transactional and p.reversible


@pytest.mark.parametrize(
    "change",
    [
        DropTable(ORDERS),
        DropColumn("orders", ORDERS.columns[2]),
        RenameColumn("orders", "note", "remark"),
    ],
    ids=["drop table", "drop column", "rename"],
)
def test_drops_and_renames_are_refused(change) -> None:  # type: ignore[no-untyped-def]
    p = plan(CURRENT, [change], SQLITE)
    assert codes(p) == ["PLN002"]
    assert p.steps == ()
    assert "expand/contract" in (p.refused[0].fix or "")


def test_possible_rename_adds_the_new_column_and_keeps_the_old() -> None:
    remark = Column("remark", "text", "TEXT")
    p = plan(CURRENT, [PossibleRename("orders", ORDERS.columns[2], remark)], SQLITE, row_counts={"orders": 3})
    assert codes(p) == ["PLN004"]
    assert p.diagnostics[0].fix == "copy the data with --backfill orders.remark=note"
    assert p.steps[0].sql == ("ALTER TABLE orders ADD COLUMN remark TEXT",)
    assert all("note" not in s for step in p.steps for s in step.sql)


def test_type_change_is_marked_unsafe_and_rebuilds_in_one_transaction() -> None:
    total = Column("note", "integer", "INTEGER")
    p = plan(CURRENT, [AlterColumn("orders", ORDERS.columns[2], total, frozenset({"type"}))], SQLITE)
    assert "PLN005" in codes(p)
    (step,) = p.steps
    assert step.safety is Safety.UNSAFE and step.rewrites_table and step.transactional
    text = "\n".join(step.sql)
    assert "INSERT INTO" in text and "DROP TABLE orders" in text and "RENAME TO orders" in text
    # The rebuild's DROP TABLE is not a drop for the linter (a copy takes the table's place).
    assert "MIG001" not in codes(p)


def test_bad_backfill_option_is_a_clear_error() -> None:
    assert parse_backfills(["orders.region='eu'", "x=upper(y)"]) == {"orders.region": "'eu'", "x": "upper(y)"}
    with pytest.raises(ParityError, match="--backfill expects COL=EXPR"):
        parse_backfills(["region"])


def test_sqlite_rebuild_adding_a_foreign_key_checks_existing_rows(tmp_path: Path) -> None:
    """The 12-step rebuild runs with foreign_key_check before commit: orphans roll it back."""
    path = tmp_path / "prod.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, note TEXT);"
            "CREATE INDEX idx_orders_customer ON orders (customer_id);"
            "INSERT INTO customers VALUES (1);"
            "INSERT INTO orders VALUES (1, 1, 'kept'), (2, 99, 'orphan');"
        )
    conn.close()
    url = f"sqlite:///{path}"
    current = SQLITE.inspect(url)
    fk = ForeignKey(("customer_id",), "customers", ("id",))
    p = plan(current, [AddForeignKey("orders", fk)], SQLITE, row_counts={"orders": 2})
    (m,) = p.migrations()
    folder = tmp_path / "migrations"
    mdir.write(folder, "orders fk", m.up, m.down)
    with pytest.raises(MigrationError, match="foreign_key_check failed"):
        Executor(url, folder).up()
    rolled_back = SQLITE.inspect(url)
    # rolled back: still the old tables, index included (plus the history recording the failure)
    assert tuple(t for t in rolled_back.tables if t.name != "parity_schema_history") == current.tables

    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO customers VALUES (99)")
    conn.close()
    Executor(url, folder).up()
    after = SQLITE.inspect(url)
    orders = after.table("orders")
    assert orders is not None and orders.foreign_keys[0].ref_table == "customers"
    assert [i.name for i in orders.indexes] == ["idx_orders_customer"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, customer_id, note FROM orders ORDER BY id").fetchall() == [
            (1, 1, "kept"),
            (2, 99, "orphan"),
        ]
    conn.close()
