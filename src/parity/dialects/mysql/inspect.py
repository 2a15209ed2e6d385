"""Read-only MySQL/MariaDB inspector: ``information_schema`` through PyMySQL.

One query per object kind for the whole database (tables, columns, index parts, foreign
keys, checks, views, triggers), inside a ``READ ONLY`` transaction. Unique constraints are
unique indexes in InnoDB, so they are reported as indexes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from parity.dialects.base import RowCount
from parity.dialects.mysql.diff import (
    FK_ACTIONS,
    default_sql,
    normalize_default,
    normalize_expression,
    on_update_sql,
)
from parity.dialects.mysql.types import normalize_type
from parity.errors import DatabaseError, DatabaseUnreachable
from parity.model.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexPart,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    View,
)

Q_TABLES = (
    "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
)
Q_COLUMNS = (
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, "
    "COLLATION_NAME, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION"
)
Q_INDEXES = (
    "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE{expr} "
    "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
)
Q_FKS = (
    "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, "
    "r.DELETE_RULE, r.UPDATE_RULE, "
    "CASE WHEN k.REFERENCED_TABLE_SCHEMA <> k.TABLE_SCHEMA THEN k.REFERENCED_TABLE_SCHEMA END "
    "FROM information_schema.KEY_COLUMN_USAGE k "
    "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
    "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
    "WHERE k.TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME IS NOT NULL "
    "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)
# MariaDB's CHECK_CONSTRAINTS names the table; MySQL 8's does not (join TABLE_CONSTRAINTS).
Q_CHECKS_MARIADB = (
    "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = %s ORDER BY TABLE_NAME, CONSTRAINT_NAME"
)
Q_CHECKS_MYSQL = (
    "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc "
    "JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "
    "AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME WHERE tc.TABLE_SCHEMA = %s AND tc.CONSTRAINT_TYPE = 'CHECK'"
)
Q_VIEWS = "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME"
Q_TRIGGERS = (
    "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT "
    "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s ORDER BY TRIGGER_NAME"
)


def connect_args(url: str) -> dict[str, Any]:
    """PyMySQL keyword arguments for ``mysql://user:pw@host:port/db?unix_socket=…&charset=…``."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    args: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "connect_timeout": 5,
        "charset": query.get("charset", "utf8mb4"),
        "autocommit": True,
    }
    db = unquote(parts.path.lstrip("/"))
    if db:
        args["database"] = db
    if "unix_socket" in query:
        args["unix_socket"] = query["unix_socket"]
    return args


def connection_error(exc: Exception, url: str) -> DatabaseError:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if code == 1045:
        return DatabaseError("MySQL refused the credentials (wrong user or password)", url=url)
    if code == 1049:
        return DatabaseError("no such MySQL database", url=url)
    if code in (2002, 2003, 2005, 2013):
        return DatabaseUnreachable(
            "cannot reach the MySQL server (is it running, is the host/port right?)", url=url
        )
    msg = exc.args[1] if len(exc.args) > 1 else str(exc)
    return DatabaseError(f"MySQL: {str(msg).splitlines()[0]}", url=url)


def connect(url: str, *, read_only: bool = False) -> Any:
    """A PyMySQL connection; ``read_only`` makes every later transaction of the session READ ONLY
    (autocommitted statements included), so an inspection cannot write even by mistake."""
    import pymysql

    try:
        conn = pymysql.connect(**connect_args(url))
        if read_only:
            with conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
        return conn
    except pymysql.MySQLError as exc:
        raise connection_error(exc, url) from exc


def inspect(url: str) -> Schema:
    """The schema of the database named in ``url``, read in one READ ONLY transaction."""
    import pymysql

    conn = connect(url, read_only=True)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE(), VERSION()")
            db, version = cur.fetchone()
            if not db:
                raise DatabaseError(
                    "the MySQL URL names no database", url=url, hint="mysql://user@host/DBNAME"
                )
            cur.execute("START TRANSACTION READ ONLY")
            try:
                return _inspect(cur, db, "mariadb" in str(version).lower())
            finally:
                cur.execute("ROLLBACK")
    except pymysql.MySQLError as exc:
        raise connection_error(exc, url) from exc
    finally:
        conn.close()


def _inspect(cur: Any, db: str, mariadb: bool) -> Schema:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        cur.execute(sql, (db,))
        return list(cur.fetchall())

    table_rows = rows(Q_TABLES)
    table_collation = {t: c for t, c in table_rows}
    columns: dict[str, list[Column]] = defaultdict(list)
    for t, name, ctype, nullable, default, extra, gen_expr, collation, comment in rows(Q_COLUMNS):
        if t not in table_collation:
            continue  # a view's columns
        extra = extra or ""
        generated = normalize_expression(gen_expr) if gen_expr else None
        raw_default = None if generated else default_sql(default, extra, mariadb)
        columns[t].append(
            Column(
                name=name,
                type=normalize_type(ctype),
                raw_type=ctype,
                nullable=nullable == "YES",
                default=normalize_default(raw_default),
                raw_default=raw_default,
                generated=generated,
                generated_stored="STORED" in extra.upper() or "PERSISTENT" in extra.upper(),
                collation=collation if collation and collation != table_collation.get(t) else None,
                identity="auto" if "auto_increment" in extra.lower() else None,
                on_update=None if generated else on_update_sql(extra),
                comment=comment or None,
            )
        )
    has_expr = not mariadb
    idx_parts: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows(Q_INDEXES.format(expr=", EXPRESSION" if has_expr else "")):
        idx_parts[(row[0], row[1])].append(row)
    pks: dict[str, PrimaryKey] = {}
    indexes: dict[str, list[Index]] = defaultdict(list)
    for (t, iname), parts_rows in idx_parts.items():
        if iname == "PRIMARY":
            pks[t] = PrimaryKey(tuple(r[4] for r in parts_rows), None)
            continue
        method = parts_rows[0][7]
        parts = []
        for r in parts_rows:
            # SPATIAL key parts report SUB_PART 32 but take no prefix length.
            length = int(r[6]) if r[6] is not None and method != "SPATIAL" else None
            expr = r[8] if has_expr and len(r) > 8 else None
            if r[4] is None and expr:
                parts.append(IndexPart(None, normalize_expression(expr), r[5] == "D"))
            else:
                parts.append(IndexPart(r[4], None, r[5] == "D", length))
        indexes[t].append(
            Index(iname, tuple(parts), not parts_rows[0][2], None, None if method == "BTREE" else method)
        )
    fk_rows: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows(Q_FKS):
        fk_rows[(row[0], row[1])].append(row)
    fks: dict[str, list[ForeignKey]] = defaultdict(list)
    for (t, name), rs in fk_rows.items():
        fks[t].append(
            ForeignKey(
                tuple(r[2] for r in rs),
                rs[0][3],
                tuple(r[4] for r in rs),
                name,
                FK_ACTIONS.get(rs[0][5], rs[0][5]),
                FK_ACTIONS.get(rs[0][6], rs[0][6]),
                rs[0][7],
            )
        )
    # InnoDB creates an index named after a foreign key when none covers its columns; it
    # comes and goes with the key, so it is not an object of its own.
    for t, fk_list in fks.items():
        implied = {(fk.name, fk.columns) for fk in fk_list}
        indexes[t] = [ix for ix in indexes[t] if (ix.name, ix.columns) not in implied or ix.unique]
    checks: dict[str, list[CheckConstraint]] = defaultdict(list)
    for t, name, clause in rows(Q_CHECKS_MARIADB if mariadb else Q_CHECKS_MYSQL):
        checks[t].append(CheckConstraint(normalize_expression(clause, db), name))
    tables = tuple(
        Table(
            t,
            tuple(columns[t]),
            pks.get(t),
            tuple(sorted(indexes[t], key=lambda i: i.name)),
            tuple(sorted(fks[t], key=lambda f: (f.columns, f.ref_table))),
            (),
            tuple(sorted(checks[t], key=lambda c: c.expression)),
        )
        for t, _c in table_rows
    )
    views = tuple(View(n, normalize_expression(d or "", db)) for n, d in rows(Q_VIEWS))
    triggers = tuple(
        Trigger(n, t, f"CREATE TRIGGER {n} {timing} {event} ON {t} FOR EACH ROW {stmt}")
        for n, t, timing, event, stmt in rows(Q_TRIGGERS)
    )
    return Schema("mysql", tables, views, triggers=triggers, name=db)


def row_counts(url: str, tables: list[str]) -> dict[str, RowCount]:
    """``information_schema.TABLES.TABLE_ROWS``: InnoDB's estimate, refreshed by ANALYZE TABLE."""
    import pymysql

    conn = connect(url, read_only=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
            )
            wanted = {t.lower() for t in tables}
            return {
                name: RowCount(int(n or 0), estimated=True)
                for name, n in cur.fetchall()
                if name.lower() in wanted
            }
    except pymysql.MySQLError as exc:
        raise connection_error(exc, url) from exc
    finally:
        conn.close()


_AT_LINE = re.compile(r"at line (\d+)")


def error_line(message: str) -> int | None:
    m = _AT_LINE.search(message)
    return int(m.group(1)) if m else None
