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


@lru_cache(maxsize=4096)
def normalize_type(raw: str) -> str:
    """``int(11)`` → ``int``; ``tinyint(1)`` → ``boolean``; ``INTEGER UNSIGNED`` → ``int unsigned``."""
    text = re.sub(r"\s+", " ", raw.strip().lower())
    if text in ("tinyint(1)", "boolean", "bool"):
        return "boolean"
    m = _INT_WIDTH.match(text)
    if m:
        text = m.group(1) + m.group(2)
    head, _, rest = text.partition("(")
    head = ALIASES.get(head.strip(), head.strip())
    text = head + ("(" + rest if rest else "")
    return re.sub(r"\s*,\s*", ",", text)


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
