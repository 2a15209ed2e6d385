"""The records the api passes around, one per row of a table it reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Order:
    """A row of ``orders``: what both stores hand out."""

    id: int
    customer_id: int
    total_cents: int
    created_at: str  # set by the database (or the in-memory store) on insert
