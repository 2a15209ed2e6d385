"""Which statements of a declared schema may run on a MySQL/MariaDB scratch database.

One server holds many databases, so the danger is a statement that names another one
(``DELETE FROM proddb.orders``, ``CREATE TABLE proddb.x``), changes server state (users, grants,
global settings) or touches server files (``LOAD DATA``, ``SELECT … INTO OUTFILE``). The
keyword screen refuses them with file and line; on parity's throwaway server the loading user
is also granted nothing beyond the scratch database.

MySQL runs the text of a versioned comment (``/*!40101 SET NAMES utf8 */``, MariaDB's
``/*M!100100 … */``), and mysqldump writes many. The screen reads them as the server does: the
comment markers are blanked and their text is screened and run like any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from parity.dialects.gate import (
    Purpose,
    Screened,
    Word,
    blank,
    check_targets,
    head,
    literal_values_only,
    refuse,
    shown,
    top_level,
)
from parity.dialects.gate import words as tokenize

_VERSIONED = re.compile(r"/\*(M?!\d{0,6})(.*?)\*/", re.S)
_FILLERS = frozenset(
    {
        "OR",
        "REPLACE",
        "TEMPORARY",
        "UNIQUE",
        "FULLTEXT",
        "SPATIAL",
        "IF",
        "NOT",
        "EXISTS",
        "ONLINE",
        "OFFLINE",
        "IGNORE",
        "AGGREGATE",
        "SQL",
    }
)
_SCHEMA = {
    ("CREATE", "TABLE"),
    ("CREATE", "INDEX"),
    ("CREATE", "VIEW"),
    ("CREATE", "TRIGGER"),
    ("CREATE", "PROCEDURE"),
    ("CREATE", "FUNCTION"),
    ("CREATE", "SEQUENCE"),
    ("ALTER", "TABLE"),
    ("ALTER", "VIEW"),
    ("ALTER", "SEQUENCE"),
    ("DROP", "TABLE"),
    ("DROP", "INDEX"),
    ("DROP", "VIEW"),
    ("DROP", "TRIGGER"),
    ("DROP", "PROCEDURE"),
    ("DROP", "FUNCTION"),
    ("DROP", "SEQUENCE"),
    ("RENAME", "TABLE"),
}
_TRANSACTION = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_HARMLESS = {("START", "TRANSACTION"), ("LOCK", "TABLES"), ("UNLOCK", "TABLES")}
_DATA = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
#: ``SET`` forms that change the server or the session's identity, not the session's settings.
_REFUSED_SET = frozenset({"GLOBAL", "PERSIST", "PERSIST_ONLY", "PASSWORD", "ROLE", "DEFAULT"})
_REFUSED_WHY = {
    "USE": "it switches to another database",
    "GRANT": "grants are not part of a schema",
    "REVOKE": "grants are not part of a schema",
    "LOAD": "LOAD DATA reads files",
    "SELECT": "a query is not a schema statement",
    "CALL": "CALL runs code",
    "HANDLER": "not a schema statement",
    "DELIMITER": "DELIMITER is a mysql client command, not SQL",
    "FLUSH": "it changes server state",
    "INSTALL": "it loads code into the server",
    "UNINSTALL": "it changes the server",
    "SHUTDOWN": "it stops the server",
    "KILL": "it ends other sessions",
    "TRUNCATE": "a schema file may not change data",
}
_REFUSED_OBJECT_WHY = {
    "DATABASE": "it works on a whole database",
    "SCHEMA": "it works on a whole database",
    "USER": "users are not part of a schema",
    "ROLE": "roles are not part of a schema",
    "EVENT": "an event runs code on a schedule",
    "SERVER": "it reaches other servers",
    "TABLESPACE": "tablespaces are server files",
    "LOGFILE": "it changes server files",
}


def expand_versioned(sql: str) -> str:
    """``/*!40101 SET NAMES utf8 */`` → ``         SET NAMES utf8   `` (same offsets and lines)."""

    def open_up(m: re.Match[str]) -> str:
        marker = " " * (2 + len(m.group(1)))
        return marker + m.group(2) + "  "

    return _VERSIONED.sub(open_up, sql)


def screen(sql: str, file: Path | str | None, purpose: Purpose) -> Screened:
    """The script, cleared statement by statement (see :mod:`parity.dialects.gate`)."""
    from parity.dialects.sql import split_statements

    text = expand_versioned(sql)
    skipped: list[tuple[int, str]] = []
    blanks: list[tuple[int, int]] = []
    line_starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    for line, statement in split_statements(text, "mysql"):
        ws = tokenize(statement, "mysql")
        if not ws:
            continue
        first = ws[0].text if ws[0].bare else ""
        verb = head(ws, _FILLERS, 2)
        if first in _TRANSACTION or verb in _HARMLESS:
            continue
        if first == "SET":
            _check_set(ws, statement, file, line)
            continue
        if first in _DATA:
            if any(w.bare and w.text in ("OUTFILE", "DUMPFILE", "INFILE") for w in ws):
                raise refuse(shown(statement), "it reads or writes server files", file, line)
            if purpose is Purpose.MIGRATIONS:
                check_targets(ws, statement, file, line)
                continue
            if literal_values_only(ws):
                start = text.find(statement, line_starts[line - 1])
                blanks.append((start, start + len(statement)))
                skipped.append((line, "INSERT … VALUES: data does not shape the schema"))
                continue
            raise refuse(shown(statement), "a schema file may not change data", file, line)
        if verb in _SCHEMA:
            if verb == ("CREATE", "TABLE") and top_level(ws, ("SELECT", "WITH")):
                raise refuse(shown(statement), "CREATE TABLE … SELECT runs a query", file, line)
            check_targets(ws, statement, file, line)
            definer = _definer(ws)
            if definer is not None:
                at = text.find(statement, line_starts[line - 1])
                blanks.append((at + definer[0], at + definer[1]))
            continue
        if len(verb) == 2 and verb[0] in ("CREATE", "ALTER", "DROP") and verb[1] in _REFUSED_OBJECT_WHY:
            raise refuse(shown(statement), _REFUSED_OBJECT_WHY[verb[1]], file, line)
        raise refuse(shown(statement), _REFUSED_WHY.get(first, "not a schema statement"), file, line)
    return Screened(blank(text, blanks), tuple(skipped))


def _check_set(ws: Sequence[Word], statement: str, file: Path | str | None, line: int) -> None:
    for w in ws[1:3]:
        if w.bare and w.text in _REFUSED_SET:
            raise refuse(
                shown(statement), f"SET {w.text} changes the server or who the session is", file, line
            )
        if w.text.startswith("@@GLOBAL") or w.text.startswith("@@PERSIST"):
            raise refuse(shown(statement), "it changes the server's settings", file, line)
    if any(w.text.upper().startswith(("@@GLOBAL", "@@PERSIST")) for w in ws):
        raise refuse(shown(statement), "it changes the server's settings", file, line)


def _definer(ws: Sequence[Word]) -> tuple[int, int] | None:
    """The span of ``DEFINER = user@host`` in a CREATE's head: mysqldump writes it, it names an
    account the scratch server has no reason to hold, and it does not shape the schema."""
    for i, w in enumerate(ws[:12]):
        if w.bare and w.text == "DEFINER" and i + 1 < len(ws) and ws[i + 1].text == "=":
            for nxt in ws[i + 2 :]:
                if nxt.bare and nxt.text in ("SQL", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"):
                    return w.start, nxt.start
            return None
    return None
