"""`migrate up` on a PostgreSQL database that the application keeps writing to.

Row counts and content digests cannot match exactly when other sessions write meanwhile: those
tables are reported as VER008 (a warning) instead of failing and rolling back the migration.
A migration that changes old data itself stays an error (its own writes are accounted for).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from helpers import application, production_project
from parity.migrate import dir as mdir
from parity.migrate import service
from parity.project import discover


@pytest.fixture
def project_root(tmp_path: Path, pg_url: str) -> Path:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE orders (id bigserial PRIMARY KEY, total integer NOT NULL);"
            "INSERT INTO orders (total) SELECT i FROM generate_series(1, 2000) AS i;"
            "CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL);"
            "INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 50) AS i;"
        )
    return production_project(tmp_path, pg_url)


@pytest.fixture
def live_writer(pg_url: str) -> Iterator[threading.Event]:
    """The application: inserts an order every few milliseconds until the test ends."""

    def write(stop: threading.Event) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO orders (total) VALUES (1)")
                time.sleep(0.005)

    with application(write) as stop:
        yield stop


STATUS_COLUMNS = (
    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'status'"
)


def _apply(root: Path, name: str, up: str, down: str) -> service.ApplyResult:
    """Write one migration into the project and ``migrate up`` it on production."""
    project = discover(root)
    mdir.write(service.migrations_folder(project), name, up, down)
    return service.apply(project, "production", verify_schema=False)


def _count(pg_url: str, sql: str) -> int:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_application_writes_during_the_migration_do_not_fail_it(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    result = _apply(project_root, "status", "ALTER TABLE orders ADD COLUMN status text;\n", "")
    live_writer.set()
    codes = [(f.code, f.severity.value, f.key) for f in result.verification]
    assert not result.rolled_back and result.ok, codes
    assert ("VER008", "warning", "orders") in codes
    assert all(key != "customers" for _code, _sev, key in codes)  # untouched tables compare exactly
    assert _count(pg_url, STATUS_COLUMNS) == 1


def test_a_migration_that_changes_old_data_still_fails_on_postgres(project_root: Path, pg_url: str) -> None:
    result = _apply(
        project_root,
        "sneaky",
        "ALTER TABLE orders ADD COLUMN status text;\nUPDATE orders SET total = 0 WHERE id <= 3;\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    assert result.rolled_back and not result.ok
    assert [(f.code, f.key) for f in result.verification] == [("VER004", "orders")]
    # Rolled back by its down migration (the data change itself is the pg_dump backup's job).
    assert _count(pg_url, STATUS_COLUMNS) == 0


def test_a_migration_that_changes_data_of_a_table_nobody_else_writes_fails_under_load(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    result = _apply(
        project_root,
        "sneaky",
        "UPDATE customers SET name = 'x' WHERE id = 1;\n",
        "",
    )
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.rolled_back and ("VER004", "customers") in codes


def test_a_column_dropped_from_a_table_the_application_writes_is_still_an_error(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    """Writes meanwhile make counts and digests incomparable, not the column list: a column the
    migration dropped is VER003 whatever else happened to the table."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE orders ADD COLUMN legacy_note text DEFAULT 'kept'")  # not the app's
    result = _apply(
        project_root,
        "drop",
        "ALTER TABLE orders ADD COLUMN status text;\nALTER TABLE orders DROP COLUMN legacy_note;\n"
        "SELECT pg_sleep(0.3);\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.rolled_back and ("VER003", "orders") in codes, codes


def test_a_backfill_of_a_new_column_on_a_table_the_application_writes_is_kept(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    """The run writes rows of orders too (the backfill), but only a column that is new: the old
    columns' differences can only be the application's."""
    result = _apply(
        project_root,
        "backfill",
        "ALTER TABLE orders ADD COLUMN status text;\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\n"
        "UPDATE orders SET status = 'new' WHERE status IS NULL;\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.ok and not result.rolled_back, codes
    assert ("VER008", "orders") in codes
    assert _count(pg_url, STATUS_COLUMNS) == 1


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE orders SET total = total + 1 WHERE id <= 3;",  # an old column
        "DELETE FROM orders WHERE id = 1;",
        "UPDATE orders SET status = 'x', total = 0 WHERE id = 2;",  # a new and an old one
        "WITH gone AS (DELETE FROM orders WHERE id = 1 RETURNING id) SELECT count(*) FROM gone;",
    ],
)
def test_a_migration_that_writes_old_data_of_a_table_the_application_writes_still_fails(
    project_root: Path, pg_url: str, live_writer: threading.Event, change: str
) -> None:
    result = _apply(
        project_root,
        "sneaky",
        f"ALTER TABLE orders ADD COLUMN status text;\n{change}\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.rolled_back and not result.ok, codes
    assert ("VER008", "orders") not in codes and {c for c, k in codes if k == "orders"} & {"VER002", "VER004"}


def test_a_trigger_on_the_backfilled_table_keeps_the_exact_check(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    """A trigger may rewrite an old column while the backfill updates the new one."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.total := NEW.total + 1; RETURN NEW; END $$;"
            "CREATE TRIGGER orders_bump BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION bump();"
        )
    result = _apply(
        project_root,
        "backfill",
        "ALTER TABLE orders ADD COLUMN status text;\nUPDATE orders SET status = 'new';\n",
        "ALTER TABLE orders DROP COLUMN status;\n",
    )
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.rolled_back and ("VER008", "orders") not in codes, codes


@pytest.mark.parametrize(
    ("sql", "dialect", "table"),
    [
        ("UPDATE orders SET status = 'new' WHERE status IS NULL", "postgres", "orders"),
        (
            "UPDATE orders AS o SET status = c.tier FROM customers AS c WHERE c.id = o.id",
            "postgres",
            "orders",
        ),
        ("UPDATE orders SET status = 'x', total = 0", "postgres", None),  # an old column too
        ("UPDATE orders SET status = my_function(total)", "postgres", None),  # a routine writes anything
        ("UPDATE invites SET status = 'x'", "postgres", None),  # a table that did not exist before
        ("WITH d AS (DELETE FROM customers RETURNING id) UPDATE orders SET status = 'x'", "postgres", None),
        ("UPDATE orders o JOIN customers c ON c.id = o.id SET o.status = 'x', c.name = 'y'", "mysql", None),
        ("UPDATE orders SET status = 'x' WHERE id = 1", "mysql", "orders"),
        ("DELETE FROM orders WHERE id = 1", "postgres", None),
    ],
)
def test_what_counts_as_a_backfill_of_new_columns(sql: str, dialect: str, table: str | None) -> None:
    from parity.migrate.service import _parse, backfill_of

    old = {"orders": {"id", "total"}, "customers": {"id", "name"}}.get
    tree = _parse(sql, dialect)
    assert tree is not None
    assert backfill_of(tree, sql, old) == table


def test_rows_a_cascade_wrote_in_a_table_the_application_writes_stay_an_error(
    project_root: Path, pg_url: str, live_writer: threading.Event
) -> None:
    """The run wrote orders only through a cascading key: no backfill of orders explains it."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE orders ADD COLUMN customer_id bigint"
            " REFERENCES customers (id) ON UPDATE CASCADE;"
            "UPDATE orders SET customer_id = 1 WHERE id <= 5;"
        )
    result = _apply(project_root, "renumber", "UPDATE customers SET id = 1000 WHERE id = 1;\n", "")
    live_writer.set()
    codes = [(f.code, f.key) for f in result.verification]
    assert result.rolled_back and ("VER008", "orders") not in codes, codes
