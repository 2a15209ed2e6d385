"""The production store: orders in the SQLite database of DATABASE_URL."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import fields

from app.records import Order


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path)
        conn.row_factory = sqlite3.Row
        return conn

    def _record(self, row: sqlite3.Row) -> Order:
        # The record takes the columns it knows; one that lags the schema silently drops the rest.
        known = {f.name for f in fields(Order)}
        return Order(**{k: row[k] for k in row.keys() if k in known})

    def add_order(self, customer_id: int, total_cents: int) -> Order:
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO orders (customer_id, total_cents) VALUES (?, ?)", (customer_id, total_cents)
            )
            row = conn.execute("SELECT * FROM orders WHERE id = ?", (cur.lastrowid,)).fetchone()
        return self._record(row)

    def get_order(self, order_id: int) -> Order | None:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
        return self._record(row) if row else None

    def list_orders(self, *, customer_id: int | None = None) -> list[Order]:
        with closing(self._connect()) as conn:
            if customer_id is None:
                rows = conn.execute("SELECT * FROM orders ORDER BY id").fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM orders WHERE customer_id = ? ORDER BY id", (customer_id,)
                ).fetchall()
        return [self._record(r) for r in rows]

    def mark_exported(self, order_id: int, exported_at: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE orders SET exported_at = ? WHERE id = ?", (exported_at, order_id))
