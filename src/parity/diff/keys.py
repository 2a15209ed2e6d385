"""Matching names by the dialect's rule (PostgreSQL exact, MySQL and SQLite folded)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def by_key(items: Iterable[T], name: Callable[[T], str], key: Callable[[str], str]) -> dict[str, T]:
    """``items`` by their name as ``key`` folds it."""
    return {key(name(i)): i for i in items}
