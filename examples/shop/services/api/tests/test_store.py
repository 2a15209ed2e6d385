"""Both stores must behave the same: the in-memory fallback is what local runs and tests use."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.store import open_store

SCHEMA = Path(__file__).resolve().parents[3] / "db" / "schema.sql"


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path):
    if request.param == "memory":
        return open_store("")
    db = tmp_path / "shop.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(SCHEMA.read_text())
        conn.execute("INSERT INTO customers (id, email, name) VALUES (1, 'a@example.invalid', 'A')")
        conn.execute("INSERT INTO customers (id, email, name) VALUES (2, 'b@example.invalid', 'B')")
        conn.commit()
    return open_store(f"sqlite:///{db}")


def test_add_then_get(store):
    order = store.add_order(customer_id=1, total_cents=1999)
    assert store.get_order(order.id) == order
    assert order.total_cents == 1999
    assert store.get_order(order.id + 100) is None


def test_list_filters_by_customer(store):
    a = store.add_order(1, 100)
    b = store.add_order(2, 200)
    c = store.add_order(1, 300)
    assert [o.id for o in store.list_orders()] == [a.id, b.id, c.id]
    assert [o.id for o in store.list_orders(customer_id=1)] == [a.id, c.id]


def test_new_order_has_the_schema_defaults(store):
    order = store.add_order(1, 500)
    assert order.status == "new"
    assert order.exported_at is None


def test_mark_exported(store):
    order = store.add_order(2, 700)
    store.mark_exported(order.id, "2026-06-01 12:00:00")
    assert store.get_order(order.id).exported_at == "2026-06-01 12:00:00"
