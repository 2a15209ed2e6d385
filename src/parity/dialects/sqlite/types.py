"""SQLite column types.

SQLite keeps the declared type text verbatim and derives an *affinity* from it
(https://www.sqlite.org/datatype3.html#determination_of_column_affinity). Two spellings
are the same type for parity when their text matches case- and space-insensitively;
``INT`` and ``INTEGER`` stay different because only ``INTEGER PRIMARY KEY`` makes a rowid
alias.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_PAREN_SPACES = re.compile(r"\s*([(),])\s*")


@lru_cache(maxsize=4096)
def normalize_type(raw: str) -> str:
    """``VARCHAR ( 20 )`` → ``varchar(20)``; an empty declared type stays empty (affinity BLOB)."""
    return _PAREN_SPACES.sub(r"\1", _SPACES.sub(" ", raw.strip().lower()))


def affinity(raw: str) -> str:
    """The column affinity SQLite gives a declared type (rules 1-5 of the documentation)."""
    t = raw.upper()
    if "INT" in t:
        return "INTEGER"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"
