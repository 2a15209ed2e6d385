"""The fallback store: orders in a dict, for local runs and tests without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from app.records import Order


class InMemoryStore:
    def __init__(self) -> None:
        self._orders: dict[int, Order] = {}
        self._next_id = 1

    def add_order(self, customer_id: int, total_cents: int) -> Order:
        created_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        order = Order(id=self._next_id, customer_id=customer_id, total_cents=total_cents, created_at=created_at)
        self._orders[order.id] = order
        self._next_id += 1
        return order

    def get_order(self, order_id: int) -> Order | None:
        return self._orders.get(order_id)

    def list_orders(self, *, customer_id: int | None = None) -> list[Order]:
        orders = sorted(self._orders.values(), key=lambda o: o.id)
        return [o for o in orders if customer_id is None or o.customer_id == customer_id]
