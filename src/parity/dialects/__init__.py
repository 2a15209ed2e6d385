"""The dialect registry: ``get("postgresql://…")`` or ``get("sqlite")`` → a :class:`Dialect`.

Concrete dialects are imported lazily (they pull in drivers), and only through here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from parity.errors import DatabaseError

if TYPE_CHECKING:
    from parity.dialects.base import Dialect

# URL scheme (before any ``+driver``) → dialect package.
_SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "postgres": "postgres",
    "pg": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
NAMES = ("sqlite", "postgres", "mysql")


def scheme_of(name_or_url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql``; ``sqlite`` → ``sqlite``."""
    head = name_or_url.split("://", 1)[0] if "://" in name_or_url else name_or_url.split(":", 1)[0]
    return head.split("+", 1)[0].lower()


def family_of(name_or_url: str) -> str:
    """The dialect package a URL or name belongs to (``postgres``, ``mysql``, ``sqlite``), or
    its scheme when parity has none for it."""
    scheme = scheme_of(name_or_url)
    return _SCHEMES.get(scheme, scheme)


def get(name_or_url: str) -> Dialect:
    """The dialect for a name (``sqlite``, ``postgres``, ``mysql``) or a database URL."""
    scheme = scheme_of(name_or_url)
    package = _SCHEMES.get(scheme)
    if package is None:
        raise DatabaseError(
            f"unsupported database '{scheme}'",
            url=name_or_url if "://" in name_or_url else None,
            hint="use sqlite:///path, postgresql://… or mysql://…",
        )
    module = importlib.import_module(f"parity.dialects.{package}")
    dialect: Dialect = module.DIALECT
    return dialect


def is_database_url(text: str) -> bool:
    return "://" in text and scheme_of(text) in _SCHEMES
