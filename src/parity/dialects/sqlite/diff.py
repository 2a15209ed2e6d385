"""SQLite normalisation hooks: what the inspector folds so comparing reports no noise.

SQLite stores CHECK, DEFAULT, generated and partial-index expressions as the text the user
wrote, so two equal schemas can differ in spacing, case of keywords or redundant
parentheses. Expressions are re-printed through sqlglot's SQLite dialect, which settles all
three; identifiers are case-insensitive in SQLite, hence ``COMPARE_OPTIONS.fold_case``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parity.model.changes import CompareOptions


def affinity(declared: str) -> str:
    """SQLite's column affinity of a declared type, by its documented rules (datatype3.html, 3.1)."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


def same_storage(a: str, b: str) -> bool:
    return affinity(a) == affinity(b)


COMPARE_OPTIONS = CompareOptions(fold_case=True)

# Keywords SQLite accepts as a default whose spelling may vary in case.
_KEYWORD_DEFAULTS = {"current_timestamp", "current_date", "current_time", "true", "false"}
_SPACES = re.compile(r"\s+")


def _strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    quote: str | None = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@lru_cache(maxsize=4096)
def normalize_expression(text: str) -> str:
    """``( x>0 )`` → ``x > 0``: re-printed by sqlglot; whitespace-collapsed text if it cannot parse."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    inner = _strip_parens(text)
    try:
        parsed = sqlglot.parse_one(inner, read="sqlite")
    except SqlglotError:
        return _SPACES.sub(" ", inner)
    return _strip_parens(parsed.sql(dialect="sqlite"))


@lru_cache(maxsize=4096)
def normalize_default(raw: str | None) -> str | None:
    """``'new'``, ``CURRENT_TIMESTAMP``, ``(0)`` and ``NULL`` as one spelling each (NULL → None)."""
    if raw is None:
        return None
    text = _strip_parens(raw)
    if text.upper() == "NULL":
        return None
    if text.lower() in _KEYWORD_DEFAULTS:
        return text.upper()
    if text.startswith("'") and text.endswith("'") and _balanced(text):
        return text
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return text.lstrip("+")
    return normalize_expression(text)


def normalize_view(sql: str) -> str:
    """The SELECT of a ``CREATE VIEW`` statement, re-printed."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        parsed = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return _SPACES.sub(" ", sql.strip())
    if isinstance(parsed, exp.Create) and parsed.expression is not None:
        return str(parsed.expression.sql(dialect="sqlite"))
    return str(parsed.sql(dialect="sqlite"))
