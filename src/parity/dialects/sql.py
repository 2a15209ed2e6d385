"""Helpers shared by the dialects' renderers and script runners (no dialect knowledge here)."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager

_SIMPLE = re.compile(r"^[a-z_][a-z0-9_]*$")

# Words that must be quoted as identifiers in at least one supported engine; quoting a
# non-reserved word is harmless, so one list serves all.
RESERVED = frozenset(
    [
        "all",
        "alter",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "between",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "cross",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "delete",
        "desc",
        "distinct",
        "do",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "in",
        "index",
        "initially",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "join",
        "key",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "similar",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "view",
        "when",
        "where",
        "window",
        "with",
        "range",
        "rows",
    ]
)


def quote_ident(name: str, quote: str = '"') -> str:
    """Quote ``name`` only when it needs it (not lower-case simple, or a reserved word)."""
    if _SIMPLE.match(name) and name not in RESERVED:
        return name
    return quote + name.replace(quote, quote * 2) + quote


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_statements(sql: str, read: str) -> Iterator[tuple[int, str]]:
    """``(line, statement)`` for each ``;``-terminated statement of ``sql``, quotes and comments
    respected (sqlglot's tokenizer for dialect ``read``). ``line`` is 1-based, where it starts."""
    from sqlglot import TokenType
    from sqlglot.dialects.dialect import Dialect

    tokens = Dialect.get_or_raise(read).tokenize(sql)
    start: int | None = None
    start_line = 1
    # A PostgreSQL SQL-standard body (BEGIN ATOMIC … END) holds statements of its own: its
    # semicolons do not end the CREATE FUNCTION. ``atomic`` counts the ENDs still due (a CASE
    # inside it ends with END too).
    atomic = 0
    previous = None
    for tok in tokens:
        kind = tok.token_type
        if read == "postgres":
            if kind == TokenType.VAR and tok.text.upper() == "ATOMIC" and previous == TokenType.BEGIN:
                atomic = max(atomic, 1)
            elif atomic and kind == TokenType.CASE:
                atomic += 1
            elif atomic and kind == TokenType.END:
                atomic -= 1
        previous = kind
        if kind == TokenType.SEMICOLON and atomic:
            continue
        if kind == TokenType.SEMICOLON:
            if start is not None:
                yield start_line, sql[start : tok.start]
            start = None
            continue
        if start is None:
            # A token's start offset skips leading comments; count lines up to it.
            start = tok.start
            start_line = sql.count("\n", 0, tok.start) + 1
    if start is not None:
        yield start_line, sql[start:]


def line_of_offset(sql: str, offset: int) -> int:
    """1-based line of 0-based character ``offset`` in ``sql``."""
    return sql.count("\n", 0, max(0, offset)) + 1


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an inspector builds many small objects.

    The objects are acyclic tuples and dataclasses; collections triggered by the sheer
    number of allocations cost a third of the inspection time and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
