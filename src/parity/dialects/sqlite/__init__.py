"""SQLite dialect: files opened read-only, a shared in-memory scratch database, table rebuilds."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from parity.dialects.base import Dialect, RowCount
from parity.dialects.gate import Purpose, Screened
from parity.dialects.sqlite import diff, gate, inspect, render
from parity.errors import SchemaSourceError
from parity.model.changes import Change, CompareOptions, Impact
from parity.model.schema import Schema

_TX_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|END|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)


def split_script(sql: str) -> Iterator[tuple[int, str]]:
    """``(line, statement)`` pairs, cut at each ``;`` where SQLite itself says the text so far
    is a complete statement (so semicolons in strings, comments and trigger bodies stay)."""
    start = 0
    pos = sql.find(";")
    while pos != -1:
        chunk = sql[start : pos + 1]
        if sqlite3.complete_statement(chunk):
            lead = _LEADING.match(chunk)
            offset = start + (lead.end() if lead else 0)
            if offset <= pos:
                yield sql.count("\n", 0, offset) + 1, sql[offset : pos + 1]
            start = pos + 1
        pos = sql.find(";", pos + 1)
    rest = sql[start:]
    lead = _LEADING.match(rest)
    if lead and lead.end() < len(rest):
        offset = start + lead.end()
        yield sql.count("\n", 0, offset) + 1, sql[offset:]


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    url_schemes: ClassVar[tuple[str, ...]] = ("sqlite",)
    sqlalchemy_name: ClassVar[str] = "sqlite"
    compare_options: ClassVar[CompareOptions] = diff.COMPARE_OPTIONS
    transactional_ddl: ClassVar[bool] = True
    rebuilds_tables: ClassVar[bool] = True
    """Most table changes need the create-copy-drop-rename rebuild (ALTER TABLE is minimal)."""
    has_row_statistics: ClassVar[bool] = False
    """Row counts are exact ``count(*)`` unless ANALYZE has filled ``sqlite_stat1``."""

    def inspect(self, url: str) -> Schema:
        return inspect.inspect(url)

    def row_counts(self, url: str, tables: Sequence[str]) -> dict[str, RowCount]:
        return inspect.row_counts(url, list(tables))

    @contextmanager
    def scratch(self, dev_url: str | None = None, target: str | None = None) -> Iterator[str]:
        """A shared-cache in-memory database, alive while the context is open (``dev_url`` unused)."""
        uri = f"file:parity_scratch_{uuid.uuid4().hex}?mode=memory&cache=shared"
        keeper = sqlite3.connect(uri, uri=True)
        try:
            yield "sqlite:///" + uri
        finally:
            keeper.close()

    def screen(self, sql: str, file: Path | None = None, purpose: Purpose = Purpose.SCHEMA) -> Screened:
        return gate.screen(sql, file, purpose)

    def execute_script(
        self, url: str, sql: str, file: Path | None = None, purpose: Purpose | None = None
    ) -> None:
        path = inspect.database_path(url)
        conn = sqlite3.connect(path, uri=path.startswith("file:"), isolation_level=None)
        if purpose is not None:
            conn.set_authorizer(gate.authorizer(purpose))
        statements = list(split_script(sql))
        # One transaction, so a script failing half-way leaves nothing behind, unless the
        # script manages transactions itself (a migration file may).
        wrap = not any(_TX_CONTROL.match(stmt) for _, stmt in statements)
        try:
            if wrap:
                conn.execute("BEGIN")
            for line, statement in statements:
                try:
                    conn.execute(statement)
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise SchemaSourceError(
                        f"SQLite rejected the statement: {exc}", file=file, line=line
                    ) from exc
            if wrap:
                conn.execute("COMMIT")
        finally:
            conn.close()

    def render(self, change: Change, context: Schema | None = None) -> list[str]:
        return render.render(change, context)

    def impact(self, change: Change, context: Schema | None = None) -> Impact:
        return render.impact(change, context)

    def quote(self, ident: str) -> str:
        return render.q(ident)

    def sqlalchemy_url(self, url: str) -> str:
        path = inspect.database_path(url)
        # pysqlite takes a file: URI only when told so with uri=true.
        return "sqlite+pysqlite:///" + (path + "&uri=true" if path.startswith("file:") else path)


DIALECT = SQLiteDialect()
