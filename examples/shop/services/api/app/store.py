"""Where the api keeps orders: SQLite when DATABASE_URL is set, memory when it is not (local runs, tests)."""

from __future__ import annotations

import os
from typing import Protocol

from app.records import Order


class Store(Protocol):
    def add_order(self, customer_id: int, total_cents: int) -> Order: ...

    def get_order(self, order_id: int) -> Order | None: ...

    def list_orders(self, *, customer_id: int | None = None) -> list[Order]: ...

    def mark_exported(self, order_id: int, exported_at: str) -> None: ...


def open_store(database_url: str | None = None) -> Store:
    """The store for ``database_url`` (default: DATABASE_URL); no URL means the in-memory fallback."""
    url = os.environ.get("DATABASE_URL", "") if database_url is None else database_url
    if url.startswith("sqlite:///"):
        from app.store_sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"))
    from app.store_memory import InMemoryStore

    return InMemoryStore()
