"""Which statements of a declared schema may run on SQLite's scratch database.

SQLite has no server to keep apart: the scratch database is in memory, so the danger is a
statement that reaches a real file — ``ATTACH DATABASE 'db/shop.db' AS prod`` followed by
``DELETE FROM prod.orders``, ``VACUUM INTO '/elsewhere'``, ``load_extension()``. The keyword
screen refuses them with file and line; :func:`authorizer` then enforces the same inside SQLite
itself (https://www.sqlite.org/c3ref/set_authorizer.html), so a statement the screen misreads
still cannot attach a file or run a pragma that is not on the list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from parity.dialects.gate import (
    Purpose,
    Screened,
    blank,
    check_targets,
    head,
    literal_values_only,
    refuse,
    shown,
    top_level,
    words,
)
from parity.errors import SchemaSourceError

_FILLERS = frozenset({"OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "IF", "NOT", "EXISTS"})
_SCHEMA = {
    ("CREATE", "TABLE"),
    ("CREATE", "INDEX"),
    ("CREATE", "VIEW"),
    ("CREATE", "TRIGGER"),
    ("CREATE", "VIRTUAL"),
    ("ALTER", "TABLE"),
    ("DROP", "TABLE"),
    ("DROP", "INDEX"),
    ("DROP", "VIEW"),
    ("DROP", "TRIGGER"),
}
_TRANSACTION = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_DATA = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
#: Pragmas that only change how this connection reads or checks the schema, or only read it
#: (parity's own rebuild migrations set ``secure_delete`` and run ``foreign_key_check``).
PRAGMAS = frozenset(
    {
        "secure_delete",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
        "cache_size",
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "foreign_keys",
        "defer_foreign_keys",
        "legacy_alter_table",
        "recursive_triggers",
        "encoding",
        "user_version",
        "application_id",
        "journal_mode",
        "synchronous",
        "auto_vacuum",
        "page_size",
        "case_sensitive_like",
        "ignore_check_constraints",
    }
)
_OWN_SCHEMAS = frozenset({"main", "temp"})
_REFUSED_WHY = {
    "ATTACH": "it opens another database file",
    "DETACH": "it works on another database file",
    "VACUUM": "VACUUM (INTO) writes a database file",
    "SELECT": "a query is not a schema statement",
    "WITH": "a query is not a schema statement",
    "ANALYZE": "not a schema statement",
    "REINDEX": "not a schema statement",
}


def screen(sql: str, file: Path | str | None, purpose: Purpose) -> Screened:
    """The script, cleared statement by statement (see :mod:`parity.dialects.gate`)."""
    from parity.dialects.sqlite import split_script

    skipped: list[tuple[int, str]] = []
    blanks: list[tuple[int, int]] = []
    offsets = _line_offsets(sql)
    for line, statement in split_script(sql):
        ws = words(statement, "sqlite")
        if not ws:
            continue
        verb = head(ws, _FILLERS, 2)
        first = ws[0].text if ws[0].bare else ""
        if first in _TRANSACTION:
            continue
        if first == "PRAGMA":
            name = ws[1].text.lower() if len(ws) > 1 else ""
            if len(ws) > 3 and ws[2].text == ".":
                name = ws[3].text.lower()
            if name not in PRAGMAS:
                raise refuse(
                    f"PRAGMA {name or '?'}", "only pragmas that shape the schema may run", file, line
                )
            continue
        if first in _DATA:
            if purpose is Purpose.MIGRATIONS:
                check_targets(ws, statement, file, line, _OWN_SCHEMAS)
                continue
            if literal_values_only(ws):
                start = offsets[line - 1] + _column(sql, offsets[line - 1], statement)
                blanks.append((start, start + len(statement)))
                skipped.append((line, "INSERT … VALUES: data does not shape the schema"))
                continue
            raise refuse(shown(statement), "a schema file may not change data", file, line)
        if verb in _SCHEMA:
            if verb == ("CREATE", "TABLE") and top_level(ws, ("AS", "SELECT")):
                raise refuse(shown(statement), "CREATE TABLE … AS SELECT runs a query", file, line)
            check_targets(ws, statement, file, line, _OWN_SCHEMAS)
            continue
        _syntax_check(statement, file, line)
        why = _REFUSED_WHY.get(first, "not a schema statement")
        raise refuse(shown(statement), why, file, line)
    return Screened(blank(sql, blanks), tuple(skipped))


def _syntax_check(statement: str, file: Path | str | None, line: int) -> None:
    """A statement the screen does not know may just be misspelt: let SQLite compile it on an
    empty in-memory database that authorizes nothing, so a typo reads as SQLite's syntax error
    (compiling fails before anything could run)."""
    conn = sqlite3.connect(":memory:")
    conn.set_authorizer(lambda *_args: sqlite3.SQLITE_DENY)
    try:
        conn.execute(statement)
    except sqlite3.Error as exc:
        if "syntax error" in str(exc) or "incomplete input" in str(exc):
            raise SchemaSourceError(f"SQLite rejected the statement: {exc}", file=file, line=line) from exc
    finally:
        conn.close()


def _line_offsets(sql: str) -> list[int]:
    offsets = [0]
    for i, ch in enumerate(sql):
        if ch == "\n":
            offsets.append(i + 1)
    return offsets


def _column(sql: str, line_start: int, statement: str) -> int:
    """Where ``statement`` starts on its line (the splitter gives the line, not the offset)."""
    found = sql.find(statement, line_start)
    return found - line_start if found >= 0 else 0


# --- enforcement inside SQLite -----------------------------------------------------------------

_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})


def authorizer(purpose: Purpose) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """An authorizer for the scratch connection: no other database, no pragma off the list, no
    function that touches files, and in a schema file no data change outside a trigger body."""

    def check(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            return sqlite3.SQLITE_OK if (arg1 or "").lower() in PRAGMAS else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        if db is not None and db not in _OWN_SCHEMAS:
            return sqlite3.SQLITE_DENY
        if (
            purpose is Purpose.SCHEMA
            and action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_DELETE)
            and source is None
            and not (arg1 or "").startswith("sqlite_")
        ):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return check
