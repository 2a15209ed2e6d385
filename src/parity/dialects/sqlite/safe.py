"""SQLite: how parity runs migrations safely (runtime) and which changes SQLite can make in place.

* Lock: ``BEGIN IMMEDIATE`` takes the write lock at the start of each migration, so a second
  runner waits (busy timeout) and then re-reads the history inside its own lock.
  https://www.sqlite.org/lang_transaction.html
* DDL is transactional; a migration and its history row commit together.
* Schema changes ``ALTER TABLE`` cannot make are done with the documented 12-step rebuild
  ("Making Other Kinds Of Table Schema Changes", https://www.sqlite.org/lang_altertable.html#otheralter),
  which needs ``foreign_key_check`` before the commit.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import EllipsisType
from typing import Any
from urllib.parse import unquote

from parity.dialects.sqlite.inspect import split_table_options
from parity.errors import DatabaseError, LockTimeout, MigrationError
from parity.migrate import runtime as base
from parity.model.changes import Change
from parity.model.schema import Schema
from parity.plan.model import SafeSQL

Render = Callable[[Change, Schema | None], list[str]]

#: ``ADD COLUMN`` is refused by SQLite for these (lang_altertable.html#altertabaddcol); the
#: planner rebuilds the table instead.
ADD_COLUMN_FORBIDS = (
    "PRIMARY KEY or UNIQUE constraint",
    "default of CURRENT_TIME, CURRENT_DATE, CURRENT_TIMESTAMP or an expression in parentheses",
    "NOT NULL without a non-NULL default",
    "a foreign key with a non-NULL default while foreign keys are enforced",
    "a STORED generated column",
)


#: The cache while an index builds: SQLite sorts within cache_size before spilling to temporary
#: files, so a large one keeps the sort in memory (measured: 8% off a rebuild with two indexes).
#: Everything else runs with the connection's default: for the rebuild's copy a large cache
#: only adds allocation (9% slower, bench_migrate's table). An upper bound, allocated as used.
CACHE_KIB = 262144
_CREATE_INDEX = re.compile(r"^(?:\s*--[^\n]*\n)*\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", re.IGNORECASE)


def path_of(url: str) -> Path:
    """``sqlite:///rel/path.db`` → ``rel/path.db``; ``sqlite:////abs.db`` → ``/abs.db``."""
    rest = url.split(":", 1)[1]
    if rest.startswith("///"):
        rest = rest[3:]
    elif rest.startswith("//"):
        rest = rest[2:]
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        raise DatabaseError("an in-memory SQLite database cannot be migrated", url=url)
    return Path(unquote(rest))


class Runtime(base.Runtime):
    dialect = "sqlite"
    sqlglot_dialect = "sqlite"
    transactional_ddl = True
    lock_in_begin = True
    param = "?"
    bool_type = "INTEGER"
    timestamp_type = "TEXT"

    def _connect(self) -> None:
        self.path = path_of(self.url)
        if not self.path.is_file():
            raise DatabaseError("no such SQLite database file", file=self.path)
        mode = "ro" if self.read_only else "rw"
        try:
            # isolation_level=None: no implicit BEGIN/COMMIT from the sqlite3 module; we issue them.
            self.conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode={mode}",
                uri=True,
                isolation_level=None,
                timeout=self.lock_timeout,
                check_same_thread=False,
            )
            self._cursor_execute("SELECT count(*) FROM sqlite_master", None).fetchone()
            self._cache_size = self._cache_now = int(
                self._cursor_execute("PRAGMA cache_size", None).fetchone()[0]
            )
            self._secure_delete = int(self._cursor_execute("PRAGMA secure_delete", None).fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"cannot open SQLite database: {exc}", file=self.path) from exc

    def close(self) -> None:
        self.conn.close()

    def _cursor_execute(self, sql: str, params: Sequence[Any] | None) -> Any:
        try:
            return self.conn.execute(sql, tuple(params or ()))
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LockTimeout(
                    f"the SQLite file is locked by another process; waited {self.lock_timeout:g}s",
                    file=self.path,
                    hint="close the other writer or retry later",
                ) from exc
            raise

    def begin(self) -> None:
        # A rebuild relaxes secure_delete for its DROP (see render.rebuild); no later statement
        # inherits that.
        self.execute(f"PRAGMA secure_delete = {self._secure_delete}")
        # IMMEDIATE takes the RESERVED lock now, so two runners serialise here and not at COMMIT.
        self.execute("BEGIN IMMEDIATE")
        self.in_transaction = True

    def before_statement(self, statement: str) -> None:
        cache = -CACHE_KIB if _CREATE_INDEX.match(statement) else self._cache_size
        if cache != self._cache_now:
            self.execute(f"PRAGMA cache_size = {cache}")
            self._cache_now = cache

    def before_commit(self) -> None:
        bad = self.query("PRAGMA foreign_key_check")
        if bad:
            table, rowid, parent, _ = bad[0]
            raise MigrationError(
                f"foreign_key_check failed: {len(bad)} row(s), first in '{table}' (rowid {rowid}) referencing '{parent}'"
            )

    def health_checks(self) -> list[tuple[str, str]]:
        out = []
        problems = [r[0] for r in self.query("PRAGMA integrity_check")]
        if problems != ["ok"]:
            out.append(
                (
                    "VER005",
                    f"integrity_check: {problems[0]}"
                    + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""),
                )
            )
        bad = self.query("PRAGMA foreign_key_check")
        if bad:
            out.append(
                (
                    "VER006",
                    f"foreign_key_check: {len(bad)} row(s) violate a foreign key, first in '{bad[0][0]}'",
                )
            )
        return out

    def split(self, script: str) -> list[str]:
        # sqlite3.complete_statement knows where a statement ends (strings, comments, trigger bodies).
        out: list[str] = []
        buf = ""
        for piece in script.split(";"):
            buf += piece + ";"
            if sqlite3.complete_statement(buf):
                if _has_code(buf):
                    out.append(buf.strip())
                buf = ""
        if _has_code(buf.rstrip(";")):
            out.append(buf.rstrip(";").strip())
        return out

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [r[0] for r in rows]

    def column_names(self, table: str) -> list[str]:
        return [r[1] for r in self.query(f"PRAGMA table_info({self.quote(table)})")]

    def primary_key(self, table: str) -> list[str]:
        rows = sorted((r[5], r[1]) for r in self.query(f"PRAGMA table_info({self.quote(table)})") if r[5])
        return [name for _, name in rows]

    digest_in_db = False

    def order_key(self, table: str) -> str | None:
        """rowid order survives both ``ADD COLUMN`` and the 12-step copy (rows are copied in rowid
        order), so chunks line up before and after a migration."""
        sql = self.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)) or ""
        if "without_rowid" in split_table_options(sql)[1]:
            pk = self.primary_key(table)
            return pk[0] if len(pk) == 1 else None
        return "rowid"

    def _aggregates(self, columns: Sequence[str]) -> str:
        # NULL → a zero byte (quote() would tell types apart but costs more than the scan itself);
        # rows are separated by the record separator, as integrity.digest_table expects.
        return ", ".join(f"group_concat(ifnull({self.quote(c)}, X'00'), char(30))" for c in columns) or "NULL"

    def chunk_digest_sql(
        self,
        table: str,
        columns: Sequence[str],
        key: str | None,
        chunk: int,
        first: bool,
        values: Sequence[tuple[str, str]] = (),  # not digested by value here (digests_by_value)
    ) -> str:
        # Used for WITHOUT ROWID tables only; rowid tables walk rowid ranges (column_chunks).
        cols = "".join(f", {self.quote(c)}" for c in columns)
        if key is None:
            order = ", ".join(self.quote(c) for c in self.primary_key(table)) or "1"
            inner = f"SELECT NULL{cols} FROM {self.quote(table)} ORDER BY {order}"
            return f"SELECT count(*), NULL, {self._aggregates(columns)} FROM ({inner})"
        k = self.quote(key)
        where = "" if first else f"WHERE {k} > ? "
        inner = f"SELECT {k} AS __parity_k{cols} FROM {self.quote(table)} {where}ORDER BY {k} LIMIT {chunk}"
        return f"SELECT count(*), max(__parity_k), {self._aggregates(columns)} FROM ({inner})"

    def column_chunks(
        self,
        table: str,
        columns: Sequence[str],
        chunk: int,
        key: str | EllipsisType | None = ...,
        values: Sequence[tuple[str, str]] = (),
    ) -> Iterator[tuple[int, Sequence[Any]]]:
        """Walk rowid ranges: each chunk is one range scan aggregated directly (no subquery to
        materialise), in rowid order — the order both ADD COLUMN and the 12-step copy keep."""
        if key is ...:
            key = self.order_key(table)
        if key != "rowid":
            yield from super().column_chunks(table, columns, chunk, key)
            return
        t = self.quote(table)
        first = self.scalar(f"SELECT min(rowid) FROM {t}")
        lo: int | None = None if first is None else int(first) - 1
        sql = f"SELECT count(*), {self._aggregates(columns)} FROM {t} WHERE rowid > ? AND rowid <= ?"
        while lo is not None:
            row = self.query(sql, (lo, lo + chunk))[0]
            if row[0]:
                yield int(row[0]), row[1:]
                lo += chunk
            else:
                nxt = self.scalar(f"SELECT min(rowid) FROM {t} WHERE rowid > ?", (lo,))
                lo = None if nxt is None else int(nxt) - 1


def _has_code(sql: str) -> bool:
    for line in sql.splitlines():
        stripped = line.split("--", 1)[0].strip().strip(";").strip()
        if stripped:
            return True
    return False


# --- safe rendering for the planner -------------------------------------------------------------

PREAMBLE: tuple[str, ...] = ()
NO_TX_PREAMBLE: tuple[str, ...] = ()


def safe_steps(change: Change, context: Schema | None, render: Render) -> list[SafeSQL] | None:
    """SQLite's renderer already chooses ``ADD COLUMN`` or the 12-step rebuild, and the executor
    runs the rebuild in one transaction with ``foreign_key_check``: nothing to change here."""
    return None
