"""What a declared schema may hold: every statement is screened before anything runs it.

A repository is untrusted input, and ``check`` runs next to production credentials. So the
declared schema (a ``.sql`` file, a folder of migrations) is read statement by statement, and
only statements that describe a schema go on to the scratch database. Anything else — reaching
another database (``ATTACH``, a name qualified with another database), reading or writing
server files (``COPY``, ``INTO OUTFILE``, ``VACUUM INTO``), roles and grants, data changes in a
schema file — is refused with one line naming the file and line, before a single statement runs.

The screen is the first of three walls: the scratch database lives on a throwaway server parity
starts itself (or the dev server the user names), and the loading session there has no more
rights than it needs (a non-superuser role, a SQLite authorizer). Each dialect knows its own
statements (``parity.dialects.<name>.gate``); this module holds what they share.

Two purposes, two strictnesses:

- ``SCHEMA``: a schema file. Data statements are refused, except plain ``INSERT … VALUES`` of
  literals (Rails' ``structure.sql`` records its migration versions that way), which are
  skipped: data never shapes a schema.
- ``MIGRATIONS``: a folder of migrations replayed in order. Backfills (``INSERT``, ``UPDATE``,
  ``DELETE`` of the scratch database's own tables) run there, since later files may depend on
  them; everything that reaches outside the scratch database is refused just the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from parity.errors import SchemaSourceError


class Purpose(StrEnum):
    SCHEMA = "schema"
    MIGRATIONS = "migrations"


class UnsafeStatement(SchemaSourceError):
    """A declared schema holds a statement parity will not run (file and line as fields)."""


@dataclass(frozen=True, slots=True)
class Screened:
    """A script cleared to run on a scratch database.

    ``text`` has the same lines as the file: skipped statements and stripped client commands
    are blanked, never removed, so a database error still names the file's own line.
    """

    text: str
    skipped: tuple[tuple[int, str], ...] = ()


def refuse(what: str, why: str, file: Path | str | None, line: int | None) -> UnsafeStatement:
    return UnsafeStatement(
        f"refused to load {what}: {why}",
        file=file,
        line=line,
        hint="a declared schema may only hold schema statements (CREATE, ALTER, COMMENT, …)",
    )


def blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every character of each ``(start, end)`` span but newlines made a space."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(end, len(chars))):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


def shown(statement: str, limit: int = 60) -> str:
    """The start of a statement, on one line, for a message."""
    flat = " ".join(statement.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


# --- the keyword screen shared by SQLite and MySQL --------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """A token of a statement: its upper-cased text, whether it is a bare word (a keyword or an
    unquoted name) and its character offset in the statement."""

    text: str
    bare: bool
    start: int


def words(statement: str, read: str, offset: int = 0) -> list[Word]:
    """The tokens of ``statement`` (sqlglot's tokenizer for dialect ``read``).

    Multi-word keywords (``LOCK TABLES``) come back as one word each. sqlglot swallows the rest
    of a statement after a "command" keyword (``RENAME``, ``REPLACE``) into one string; that
    rest is tokenized again, so a name it holds is seen like any other.
    """
    from sqlglot import TokenType
    from sqlglot.dialects.dialect import Dialect

    tokenizer = Dialect.get_or_raise(read).tokenizer_class
    tokens = Dialect.get_or_raise(read).tokenize(statement)
    out: list[Word] = []
    for i, tok in enumerate(tokens):
        bare = tok.token_type not in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER)
        if bare and " " in tok.text:
            out.extend(Word(part.upper(), True, offset + tok.start) for part in tok.text.split())
        else:
            out.append(Word(tok.text.upper() if bare else tok.text, bare, offset + tok.start))
        if tok.token_type in tokenizer.COMMANDS and i + 1 < len(tokens):
            rest = tok.end + 1
            out.extend(words(statement[rest:], read, offset + rest))
            break
    return out


def head(ws: Sequence[Word], fillers: frozenset[str], limit: int = 3) -> tuple[str, ...]:
    """The statement's first ``limit`` keywords, leaving out ``fillers`` (``OR REPLACE``,
    ``TEMPORARY``, ``UNIQUE`` …) so ``CREATE OR REPLACE TEMP VIEW`` reads ``CREATE VIEW``."""
    out: list[str] = []
    skip_assignment = False
    for w in ws:
        if len(out) >= limit:
            break
        if skip_assignment:
            # ``DEFINER = `u`@`h``` and ``ALGORITHM = MERGE``: skip to the next keyword we know.
            if w.bare and w.text in _AFTER_ASSIGNMENT:
                skip_assignment = False
            else:
                continue
        if not w.bare:
            break
        if w.text in _ASSIGNED:
            skip_assignment = True
            continue
        if w.text in fillers:
            continue
        out.append(w.text)
    return tuple(out)


_ASSIGNED = frozenset({"DEFINER", "ALGORITHM", "SECURITY"})
_AFTER_ASSIGNMENT = frozenset(
    {"VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "SQL", "ALGORITHM", "DEFINER", "TABLE", "INDEX"}
)

#: Keywords after which a (possibly qualified) table name follows, wherever they stand: the
#: targets of writes, also inside trigger bodies (a trigger that writes another database would
#: fire on the first backfill).
TARGET_BEFORE = frozenset({"TABLE", "INTO", "UPDATE", "EXISTS", "TO", "ON", "JOIN", "TABLES"})


def qualified_targets(ws: Sequence[Word], qualifier_ok: frozenset[str]) -> list[tuple[str, int]]:
    """``(schema, offset)`` of each ``schema.table`` written right after a target keyword (or
    after ``DELETE FROM``, or in a ``DROP``/``RENAME`` list), unless ``schema`` is in
    ``qualifier_ok`` (SQLite's ``main``/``temp``)."""
    found: list[tuple[str, int]] = []
    listing = bool(ws) and ws[0].bare and ws[0].text in ("DROP", "RENAME", "TRUNCATE", "LOCK")
    for i in range(len(ws) - 2):
        a, dot, b = ws[i], ws[i + 1], ws[i + 2]
        if dot.text != "." or not (a.text and b.text):
            continue
        prev = ws[i - 1] if i else None
        after_target = prev is not None and prev.bare and prev.text in TARGET_BEFORE
        after_delete = (
            prev is not None and prev.text == "FROM" and i >= 2 and ws[i - 2].text in ("DELETE", "IGNORE")
        )
        after_comma_in_list = listing and prev is not None and prev.text == ","
        if not (after_target or after_delete or after_comma_in_list):
            continue
        # ``ON t.col`` never appears as a target, but ``ON x.t`` (an index or trigger) does;
        # a qualified column in a join condition (``ON a.id = b.id``) is followed by ``=``.
        nxt = ws[i + 3] if i + 3 < len(ws) else None
        if prev is not None and prev.text in ("ON", "JOIN") and nxt is not None and nxt.text in ("=", "."):
            continue
        schema = a.text if not a.bare else a.text.lower()
        if schema.lower() in qualifier_ok:
            continue
        found.append((schema, a.start))
    return found


def literal_values_only(ws: Sequence[Word]) -> bool:
    """``INSERT INTO t [(cols)] VALUES (…), (…)`` with nothing but literals, commas, signs and
    parentheses after ``VALUES`` (no function call, no sub-select, no ``ON CONFLICT``)."""
    texts = [w.text for w in ws]
    if "VALUES" not in texts or texts[0] != "INSERT":
        return False
    i = texts.index("VALUES")
    for w in ws[i + 1 :]:
        if not w.bare:
            continue  # strings, numbers, quoted names inside the tuples
        if w.text in ("(", ")", ",", "-", "+", "NULL", "TRUE", "FALSE", ";"):
            continue
        return False
    return True


def top_level(ws: Sequence[Word], keywords: tuple[str, ...]) -> bool:
    """Whether one of ``keywords`` stands outside every parenthesis: ``CREATE TABLE t AS SELECT``
    runs a query, a generated column's ``AS (expr)`` inside the column list does not."""
    depth = 0
    for w in ws:
        if w.text == "(":
            depth += 1
        elif w.text == ")":
            depth -= 1
        elif depth == 0 and w.bare and w.text in keywords:
            return True
    return False


def check_targets(
    ws: Sequence[Word], statement: str, file: Path | str | None, line: int, own: frozenset[str] = frozenset()
) -> None:
    """Refuse a statement that writes a table of another database (``own``: schema names that are
    this database's, such as SQLite's ``main`` and ``temp``)."""
    for schema, _ in qualified_targets(ws, own):
        raise refuse(shown(statement), f"it names another database ({schema})", file, line)
