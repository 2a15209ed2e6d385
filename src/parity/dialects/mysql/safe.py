"""MySQL/MariaDB: how parity runs migrations safely (runtime) and the online-DDL clauses it uses.

* Lock: ``GET_LOCK`` (a named, session-level lock) around the whole run.
* DDL is *not* transactional: every DDL statement commits implicitly
  (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html). A single ``ALTER TABLE`` is
  atomic on MariaDB ≥ 10.6 and MySQL 8, so planned migrations put one table's changes in one
  statement and use ``IF NOT EXISTS`` so a rerun after an interruption converges.
* Online DDL: ``ALGORITHM=INSTANT`` for adding a column, ``ALGORITHM=INPLACE, LOCK=NONE`` for
  adding an index (https://mariadb.com/kb/en/innodb-online-ddl-overview/).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from parity.dialects.mysql.convert import find_conversions, value_expr
from parity.dialects.mysql.render import index_part_sql
from parity.errors import DatabaseError
from parity.migrate import runtime as base
from parity.migrate.convert import Conversion
from parity.model.changes import AddColumn, AddIndex, AddTable, Change
from parity.model.schema import Schema
from parity.plan.model import SafeSQL

Render = Callable[[Change, Schema | None], list[str]]

LOCK_NAME = "parity_migrate"


class Runtime(base.Runtime):
    dialect = "mysql"
    sqlglot_dialect = "mysql"
    transactional_ddl = False
    param = "%s"
    bool_type = "BOOLEAN"
    timestamp_type = "VARCHAR(40)"

    def _connect(self) -> None:
        import pymysql

        parts = urlsplit(self.url)
        self.database = unquote(parts.path.lstrip("/"))
        socket = parse_qs(parts.query).get("unix_socket", [None])[0]
        try:
            self.conn = pymysql.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 3306,
                user=unquote(parts.username or "root"),
                password=unquote(parts.password or ""),
                database=self.database or None,
                autocommit=True,
                connect_timeout=10,
                charset="utf8mb4",
                unix_socket=socket,
            )
        except pymysql.Error as exc:
            from parity.dialects.mysql.inspect import connection_error

            # Unreachable stays unreachable (``check`` notes it and goes on); the rest is an error.
            kind = type(connection_error(exc, self.url))
            raise kind(f"cannot connect to MySQL: {self.error(exc)}", url=self.url) from exc
        self._mariadb: bool | None = None
        # chunk digests are built with GROUP_CONCAT; its 1 KiB default would truncate them.
        self.execute("SET SESSION group_concat_max_len = 4294967295")
        if self.read_only:
            self.execute("SET SESSION TRANSACTION READ ONLY")

    def close(self) -> None:
        self.conn.close()

    def _cursor_execute(self, sql: str, params: Sequence[Any] | None) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql, tuple(params) if params is not None else None)
        return cur

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def begin(self) -> None:
        self.execute("START TRANSACTION")
        self.in_transaction = True

    def acquire_lock(self) -> None:
        # GET_LOCK waits server-side; poll in short slices so the timeout message is ours.
        self._poll_lock(lambda: self.scalar("SELECT GET_LOCK(%s, 0)", (LOCK_NAME,)) == 1, "GET_LOCK")

    def release_lock(self) -> None:
        self.scalar("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))

    def split(self, script: str) -> list[str]:
        import sqlglot
        from sqlglot.errors import TokenError
        from sqlglot.tokens import TokenType

        try:
            tokens = sqlglot.tokenize(script, read="mysql")
        except TokenError as exc:
            raise DatabaseError(f"SQL syntax error: {exc}") from exc
        out: list[str] = []
        start: int | None = None
        for tok in tokens:
            if tok.token_type == TokenType.SEMICOLON:
                if start is not None:
                    out.append(script[start : tok.start].strip())
                start = None
            elif start is None:
                start = tok.start
        if start is not None:
            out.append(script[start:].strip())
        return [s for s in out if s]

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        return [r[0] for r in rows]

    def column_names(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = %s "
            "ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def primary_key(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = DATABASE() "
            "AND table_name = %s AND constraint_name = 'PRIMARY' ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def clock(self) -> Any:
        return self.scalar("SELECT NOW()")

    def has_triggers(self, table: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.triggers "
                "WHERE trigger_schema = DATABASE() AND event_object_table = %s",
                (table,),
            )
        )

    def written_elsewhere(self, statements: Sequence[str], tables: Sequence[str], since: Any) -> set[str]:
        """InnoDB keeps no per-table write counter parity can read by default (performance_schema
        is off in MariaDB), but it does keep each table's last ``UPDATE_TIME``. A table the run's
        statements cannot have reached, that was written since the run began, was written by
        someone else. "Reached" over-approximates: any word of a statement that names a table,
        plus tables whose foreign keys cascade from those; a view, a routine or a trigger on a
        reached table could write anywhere, so any of them means "cannot tell". Statements that
        only add (a column, an index, a constraint: what parity plans here) leave every old value
        and row count as it was, so they reach nothing."""
        import sqlglot
        from sqlglot.errors import TokenError

        try:
            tokenized = [sqlglot.tokenize(s, read="mysql") for s in statements]
        except TokenError:
            return set()
        if any(_sets_off_writes(tokens) for tokens in tokenized):
            return set()
        words = {t.text.lower() for tokens in tokenized if not _only_adds(tokens) for t in tokens}
        reached = self._reached(words, self.table_names())
        if reached is None:
            return set()
        import pymysql

        # MySQL 8 caches these columns for a day by default; MariaDB has no such variable.
        with contextlib.suppress(pymysql.Error):
            self.execute("SET SESSION information_schema_stats_expiry = 0")
        candidates = [t for t in tables if t.lower() not in reached]
        if not candidates:
            return set()
        marks = ", ".join(["%s"] * len(candidates))
        rows = self.query(
            "SELECT table_name, update_time FROM information_schema.tables "
            f"WHERE table_schema = DATABASE() AND table_name IN ({marks})",
            candidates,
        )
        return {name for name, updated in rows if updated is not None and updated >= since}

    def backup_tables(self, tables: Sequence[str], statements: Sequence[str] | None) -> list[str]:
        """The tables ``statements`` name (any word equal to a table's name), plus the tables
        whose foreign keys cascade from those. All of ``tables`` when a statement cannot be
        read, sets off code (``CALL``, a new trigger or event), or names a view or a routine,
        or when a named table has a trigger: those can write anywhere."""
        import sqlglot
        from sqlglot.errors import TokenError

        if statements is None:
            return list(tables)
        try:
            tokenized = [sqlglot.tokenize(s, read="mysql") for s in statements]
        except TokenError:
            return list(tables)
        if any(_sets_off_writes(tokens) for tokens in tokenized):
            return list(tables)
        reached = self._reached({t.text.lower() for tokens in tokenized for t in tokens}, tables)
        if reached is None:
            return list(tables)
        return [t for t in tables if t.lower() in reached]

    def may_change_row_counts(self, statements: Sequence[str] | None) -> bool:
        """A statement that inserts or deletes (``INSERT``, ``REPLACE``, ``DELETE``, ``LOAD``,
        ``TRUNCATE``, a partition dropped or exchanged, ``ALTER IGNORE``), runs code (``CALL``, a
        new trigger or event), or an ``UPDATE`` while some trigger's body writes rows. ``ON DELETE``
        of a foreign key is no deletion."""
        import sqlglot
        from sqlglot.errors import TokenError

        if statements is None:
            return True
        try:
            tokenized = [sqlglot.tokenize(s, read="mysql") for s in statements]
        except TokenError:
            return True
        updates = False
        for tokens in tokenized:
            words = [t.text.upper() for t in tokens]
            if _sets_off_writes(tokens) or _deletes_or_inserts(words):
                return True
            updates = updates or "UPDATE" in words
        if not updates:
            return False
        bodies = self.query(
            "SELECT action_statement FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        )
        for (body,) in bodies:
            try:
                words = [t.text.upper() for t in sqlglot.tokenize(str(body), read="mysql")]
            except TokenError:
                return True
            if _deletes_or_inserts(words) or "UPDATE" in words:
                return True  # an UPDATE there can fire the next trigger
        return False

    def _reached(self, words: set[str], tables: Sequence[str]) -> set[str] | None:
        """Lower-cased names of ``tables`` among ``words``, plus the tables whose foreign keys
        cascade from those; None ("cannot tell") when a word names a view or a routine, or a
        reached table has a trigger."""
        others = self.query(
            "SELECT LOWER(table_name) FROM information_schema.views WHERE table_schema = DATABASE() "
            "UNION ALL SELECT LOWER(routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE()"
        )
        if words & {r[0] for r in others}:
            return None
        reached = words & {t.lower() for t in tables}
        rules = self.query(
            "SELECT LOWER(table_name), LOWER(referenced_table_name) FROM information_schema.referential_constraints "
            "WHERE constraint_schema = DATABASE() "
            "AND (update_rule NOT IN ('RESTRICT', 'NO ACTION') OR delete_rule NOT IN ('RESTRICT', 'NO ACTION'))"
        )
        grew = True
        while grew:
            grew = False
            for child, parent in rules:
                if parent in reached and child not in reached:
                    reached.add(child)
                    grew = True
        triggers = self.query(
            "SELECT LOWER(event_object_table) FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        )
        if reached & {r[0] for r in triggers}:
            return None
        return reached

    digests_by_value = True

    @property
    def mariadb(self) -> bool:
        if self._mariadb is None:
            self._mariadb = "mariadb" in str(self.scalar("SELECT VERSION()")).lower()
        return self._mariadb

    def conversions(self, statements: Sequence[str]) -> list[Conversion]:
        return find_conversions(self, statements)

    def chunk_digest_sql(
        self,
        table: str,
        columns: Sequence[str],
        key: str | None,
        chunk: int,
        first: bool,
        values: Sequence[tuple[str, str]] = (),
    ) -> str:
        t = self.quote(table)
        exprs = [self.quote(c) for c in columns]
        exprs += [value_expr(self.quote(c), family, self.mariadb) for c, family in values]
        if key is None:
            order = ", ".join(self.quote(c) for c in columns) or "1"
            aggs = "".join(f", MD5(GROUP_CONCAT(QUOTE({e}) ORDER BY {order} SEPARATOR ','))" for e in exprs)
            return f"SELECT COUNT(*), NULL{aggs} FROM {t}"
        k = self.quote(key)
        cols = "".join(f", {self.quote(c)}" for c in columns if c != key)
        aggs = "".join(f", MD5(GROUP_CONCAT(QUOTE({e}) ORDER BY {k} SEPARATOR ','))" for e in exprs)
        where = "" if first else f"WHERE {k} > %s "
        inner = f"SELECT {k}{cols} FROM {t} {where}ORDER BY {k} LIMIT {chunk}"
        return f"SELECT COUNT(*), MAX({k}){aggs} FROM ({inner}) AS chunk"


# --- safe rendering for the planner -------------------------------------------------------------

PREAMBLE: tuple[str, ...] = ()
NO_TX_PREAMBLE: tuple[str, ...] = ()

_ADD_COLUMN = re.compile(r"^(ALTER\s+TABLE\s+\S+\s+ADD\s+(?:COLUMN\s+)?)(?!IF\s+NOT\s+EXISTS)", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^CREATE\s+TABLE\s+(?!IF\s+NOT\s+EXISTS)", re.IGNORECASE)


def _sets_off_writes(tokens: Sequence[Any]) -> bool:
    """``CALL``, or a ``CREATE [OR REPLACE] [DEFINER=…] TRIGGER|EVENT``: code that writes later."""
    words = [t.text.upper() for t in tokens]
    if words[:1] == ["CALL"]:
        return True
    head = words[: words.index("(")] if "(" in words else words
    return words[:1] == ["CREATE"] and bool({"TRIGGER", "EVENT"} & set(head))


_ROW_WRITES = frozenset({"INSERT", "REPLACE", "DELETE", "TRUNCATE", "LOAD", "CALL", "HANDLER"})
_PARTITION_LOSSES = frozenset({"DROP", "TRUNCATE", "EXCHANGE", "REORGANIZE", "COALESCE", "REMOVE"})


def _deletes_or_inserts(words: Sequence[str]) -> bool:
    """Whether a statement's words (upper-cased) may insert or delete rows."""
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if w in _ROW_WRITES and before != "ON":  # ON DELETE / ON UPDATE of a foreign key
            return True
        if w == "PARTITION" and before in _PARTITION_LOSSES:
            return True
    return words[:2] == ["ALTER", "IGNORE"]


def _only_adds(tokens: Sequence[Any]) -> bool:
    """``CREATE TABLE`` (at most reads others), ``CREATE … INDEX``, or ``ALTER TABLE t`` whose
    every clause adds something (``ADD …`` except a partition) or names the algorithm or lock: old
    rows and values stay as they were. ``ALTER IGNORE TABLE`` is not one (it deletes duplicates)."""
    words = [t.text.upper() for t in tokens]
    if words[:1] == ["CREATE"]:
        kind = words[1:2] if words[1:2] != ["TEMPORARY"] else words[2:3]
        return kind == ["TABLE"] or (
            "INDEX" in words[1:3] and words[1] in ("INDEX", "UNIQUE", "FULLTEXT", "SPATIAL")
        )
    if words[:2] == ["ALTER", "ONLINE"]:  # MariaDB
        words, tokens = words[:1] + words[2:], [tokens[0], *tokens[2:]]
    if words[:2] != ["ALTER", "TABLE"] or len(tokens) < 4:
        return False
    i = 3
    while i + 1 < len(tokens) and tokens[i].text == ".":
        i += 2  # db.table
    clauses: list[list[str]] = [[]]
    depth = 0
    for t, w in zip(tokens[i:], words[i:], strict=True):
        depth += (t.text == "(") - (t.text == ")")
        if depth == 0 and t.text == ",":
            clauses.append([])
        else:
            clauses[-1].append(w)
    return all(
        (c[:1] == ["ADD"] and c[1:2] != ["PARTITION"] and len(c) > 1) or c[:1] in (["ALGORITHM"], ["LOCK"])
        for c in clauses
    )


def _q(name: str) -> str:
    from parity.dialects.sql import quote_ident

    return quote_ident(name, "`")


def safe_steps(change: Change, context: Schema | None, render: Render) -> list[SafeSQL] | None:
    """Online, rerunnable versions of additive changes (MariaDB syntax).

    DDL is not transactional here, so each statement is written to be harmless when run
    twice (``IF NOT EXISTS``), and asks the server for a non-blocking algorithm: with
    ``ALGORITHM=INSTANT`` / ``INPLACE, LOCK=NONE`` the server refuses a plan that would copy
    the table or block writes instead of silently doing it.
    """
    match change:
        case AddColumn(table=table, column=col):
            stmts = render(change, context)
            if len(stmts) != 1 or not _ADD_COLUMN.match(stmts[0]):
                return None
            sql = _ADD_COLUMN.sub(r"\1IF NOT EXISTS ", stmts[0]) + ", ALGORITHM=INSTANT"
            undo = f"ALTER TABLE {_q(table)} DROP COLUMN IF EXISTS {_q(col.name)}"
            return [SafeSQL((sql,), (undo,), True, "ALGORITHM=INSTANT: metadata only")]
        case AddIndex(table=table, index=ix):
            parts = ", ".join(index_part_sql(p) for p in ix.parts)
            sql = (
                f"ALTER TABLE {_q(table)} ADD {'UNIQUE ' if ix.unique else ''}INDEX IF NOT EXISTS {_q(ix.name)} ({parts}), "
                "ALGORITHM=INPLACE, LOCK=NONE"
            )
            undo = f"ALTER TABLE {_q(table)} DROP INDEX IF EXISTS {_q(ix.name)}"
            return [SafeSQL((sql,), (undo,), True, "ALGORITHM=INPLACE, LOCK=NONE: writes continue")]
        case AddTable(definition=t):
            stmts = [
                _CREATE_TABLE.sub("CREATE TABLE IF NOT EXISTS ", s, count=1) for s in render(change, context)
            ]
            return [SafeSQL(tuple(stmts), (f"DROP TABLE IF EXISTS {_q(t.name)}",), True, "")]
    return None
