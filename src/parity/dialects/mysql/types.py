"""MySQL/MariaDB column types.

``information_schema.COLUMNS.COLUMN_TYPE`` is already canonical per server, but servers
differ in spelling: MariaDB and MySQL before 8.0.19 print integer display widths
(``int(11)``), MySQL 8 does not; ``BOOLEAN`` is stored as ``tinyint(1)``. Both fold here.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INT_WIDTH = re.compile(r"^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)(.*)$")
ALIASES = {
    "integer": "int",
    "bool": "boolean",
    "dec": "decimal",
    "numeric": "decimal",
    "double precision": "double",
}


_QUOTED = re.compile(r"('(?:[^'\\]|''|\\.)*')")


def _fold(text: str) -> str:
    """Lower-case and collapse the spacing of type text outside quoted literals."""
    text = re.sub(r"\s+", " ", text.lower())
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))
    return re.sub(r"\s*,\s*", ",", text)


@lru_cache(maxsize=4096)
def normalize_type(raw: str) -> str:
    """``int(11)`` → ``int``; ``tinyint(1)`` → ``boolean``; ``INTEGER UNSIGNED`` → ``int unsigned``.

    Quoted ``ENUM``/``SET`` labels keep their case and spacing: ``ENUM('A')`` and
    ``enum('a')`` are different types (the stored values differ).
    """
    pieces = _QUOTED.split(raw.strip())
    text = "".join(p if i % 2 else _fold(p) for i, p in enumerate(pieces))
    if text in ("tinyint(1)", "boolean", "bool"):
        return "boolean"
    m = _INT_WIDTH.match(text)
    if m:
        text = m.group(1) + m.group(2)
    head, paren, rest = text.partition("(")
    head = head.strip()
    for alias, name in ALIASES.items():
        if head == alias or head.startswith(alias + " "):
            head = name + head[len(alias) :]
            break
    return head + paren + rest


_SIZES = {"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "bigint": 8}


def narrows(old: str, new: str) -> bool:
    """Whether values of ``old`` may not fit ``new`` (smaller integer, shorter string)."""
    ob, nb = old.split("(")[0].split()[0], new.split("(")[0].split()[0]
    if ob in _SIZES and nb in _SIZES:
        return _SIZES[nb] < _SIZES[ob]
    mo, mn = re.search(r"\((\d+)", old), re.search(r"\((\d+)", new)
    if ob == nb and mo and mn:
        return int(mn.group(1)) < int(mo.group(1))
    return ob in ("text", "mediumtext", "longtext") and nb in ("varchar", "char")
