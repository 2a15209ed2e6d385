"""MySQL/MariaDB dialect: information_schema inspection, a scratch database created (and
dropped) on the dev server, DDL scripts with the failing file and line."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from parity.dialects.base import Dialect, RowCount
from parity.dialects.gate import Purpose, Screened
from parity.dialects.mysql import diff, gate, inspect, render
from parity.dialects.sql import split_statements
from parity.errors import DatabaseError, SchemaSourceError
from parity.model.changes import Change, CompareOptions, Impact
from parity.model.schema import Schema


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def with_user(url: str, user: str) -> str:
    """The same URL logging in as ``user`` with no password (parity's throwaway server)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}:@{host}", parts.path, parts.query, parts.fragment))


class MySQLDialect(Dialect):
    name: ClassVar[str] = "mysql"
    url_schemes: ClassVar[tuple[str, ...]] = ("mysql", "mariadb")
    sqlalchemy_name: ClassVar[str] = "mysql+pymysql"
    compare_options: ClassVar[CompareOptions] = diff.COMPARE_OPTIONS
    transactional_ddl: ClassVar[bool] = False
    rebuilds_tables: ClassVar[bool] = False
    """ALTER TABLE does everything; InnoDB chooses INSTANT, INPLACE or COPY per operation."""
    has_row_statistics: ClassVar[bool] = True
    """``information_schema.TABLES.TABLE_ROWS`` is InnoDB's sampled estimate."""

    def inspect(self, url: str) -> Schema:
        return inspect.inspect(url)

    def row_counts(self, url: str, tables: Sequence[str]) -> dict[str, RowCount]:
        return inspect.row_counts(url, list(tables))

    @contextmanager
    def scratch(self, dev_url: str | None = None, target: str | None = None) -> Iterator[str]:
        """A new empty database, dropped on exit: on ``dev_url``'s server when one is named,
        else on parity's throwaway MariaDB, where the loading user may touch nothing else."""
        import pymysql

        loader = None
        if not dev_url:
            from parity.dialects.mysql import throwaway

            dev_url = throwaway.admin_url()
            loader = throwaway.LOADER
        name = f"parity_scratch_{uuid.uuid4().hex[:12]}"
        server = with_database(dev_url, "")
        conn = inspect.connect(server)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
                if loader:
                    cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{loader}'@'localhost'")
        except pymysql.MySQLError as exc:
            conn.close()
            raise DatabaseError(
                f"cannot create a scratch database: {exc.args[-1]}",
                url=dev_url,
                hint="pass --dev-url naming a server where parity may create databases",
            ) from exc
        try:
            url = with_database(dev_url, name)
            yield with_user(url, loader) if loader else url
        finally:
            try:
                with conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            finally:
                conn.close()

    def screen(self, sql: str, file: Path | None = None, purpose: Purpose = Purpose.SCHEMA) -> Screened:
        return gate.screen(sql, file, purpose)

    def execute_script(
        self, url: str, sql: str, file: Path | None = None, purpose: Purpose | None = None
    ) -> None:
        import pymysql

        conn = inspect.connect(url)
        try:
            with conn.cursor() as cur:
                for line, statement in split_statements(sql, "mysql"):
                    try:
                        cur.execute(statement)
                    except pymysql.MySQLError as exc:
                        msg = str(exc.args[-1]) if exc.args else str(exc)
                        rel = inspect.error_line(msg)
                        at = line + rel - 1 if rel else line
                        raise SchemaSourceError(
                            f"MySQL rejected the statement: {msg.splitlines()[0]}", file=file, line=at
                        ) from exc
        finally:
            conn.close()

    def render(self, change: Change, context: Schema | None = None) -> list[str]:
        return render.render(change, context)

    def impact(self, change: Change, context: Schema | None = None) -> Impact:
        return render.impact(change, context)

    def quote(self, ident: str) -> str:
        return render.q(ident)

    def sqlalchemy_url(self, url: str) -> str:
        return "mysql+pymysql://" + url.split("://", 1)[1]


DIALECT = MySQLDialect()
