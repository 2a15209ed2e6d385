"""PostgreSQL column types.

The catalog already folds aliases: ``format_type()`` prints ``integer`` for ``int4``/``int``,
``character varying(20)`` for ``varchar(20)``, ``boolean`` for ``bool``. The table below
folds the same aliases for type text that did not come from the catalog (models, user
input) and gives the short spelling used for display.
"""

from __future__ import annotations

import re
from functools import lru_cache

ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "serial4": "serial",
    "serial8": "bigserial",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "float": "double precision",
    "decimal": "numeric",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
}
_PARAM = re.compile(r"^([a-z0-9_ ]+?)\s*(\(.*\))?(\[\])?$")

# Widening changes PostgreSQL makes without rewriting the table (binary coercible), per
# https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
_NO_REWRITE = {
    ("character varying", "text"),
    ("character", "text"),
    ("cidr", "inet"),
}


@lru_cache(maxsize=4096)
def normalize_type(raw: str) -> str:
    """``VARCHAR(20)`` → ``character varying(20)``; ``int4[]`` → ``integer[]``."""
    text = re.sub(r"\s+", " ", raw.strip().lower())
    m = _PARAM.match(text)
    if not m:
        return text
    base, params, array = m.group(1).strip(), m.group(2) or "", m.group(3) or ""
    return ALIASES.get(base, base) + params.replace(" ", "") + array


def _split(t: str) -> tuple[str, tuple[int, ...]]:
    m = re.match(r"^(.*?)\((\d+(?:,\d+)*)\)$", t)
    if not m:
        return t, ()
    return m.group(1), tuple(int(x) for x in m.group(2).split(","))


def rewrites(old: str, new: str) -> bool:
    """Whether ``ALTER COLUMN … TYPE new`` rewrites a column of type ``old``."""
    if old == new:
        return False
    ob, op = _split(old)
    nb, np_ = _split(new)
    if (ob, nb) in _NO_REWRITE:
        return False
    if ob == nb == "character varying":
        return bool(np_) and (not op or np_[0] < op[0])
    if ob == nb == "numeric" and op and np_:
        return not (np_[0] >= op[0] and (np_[1:] or (0,)) == (op[1:] or (0,)))
    return True


def narrows(old: str, new: str) -> bool:
    """Whether existing values may not fit the new type (a shorter varchar, a smaller int)."""
    ob, op = _split(old)
    nb, np_ = _split(new)
    ints = ["smallint", "integer", "bigint"]
    if ob in ints and nb in ints:
        return ints.index(nb) < ints.index(ob)
    if ob == nb and op and np_:
        return np_[0] < op[0]
    return bool(ob == "text" and nb in ("character varying", "character") and np_)
