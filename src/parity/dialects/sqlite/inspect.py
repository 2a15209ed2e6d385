"""Read-only SQLite inspector: PRAGMA table-valued functions over ``sqlite_master``.

The file is opened with a ``mode=ro`` URI, so inspecting can neither change nor create it.
Each object kind is read with one query for the whole database (``pragma_table_xinfo``
joined to ``sqlite_master``) rather than one PRAGMA per table. What the PRAGMAs do not say
(CHECK constraints, generated expressions, collations, constraint names, index
expressions and predicates) is read from the stored ``CREATE`` text, parsed only for the
objects that need it.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from parity.dialects.base import RowCount
from parity.dialects.sql import gc_paused
from parity.dialects.sqlite.diff import normalize_default, normalize_expression, normalize_view
from parity.dialects.sqlite.types import normalize_type
from parity.errors import DatabaseError
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
    UniqueConstraint,
    View,
    fast_column,
)

_NEEDS_PARSE = re.compile(r"\b(check|collate|generated|constraint)\b|\bas\s*\(", re.IGNORECASE)
#: Quoted text, comments and parentheses: what finding the end of the column list must see.
_TOKENS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|/\*.*?(?:\*/|$)|[()]", re.S
)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)", re.S)
#: Key of :attr:`Schema.meta` listing the STRICT tables (JSON array of names): the model has
#: no field for it, and a rebuild must keep it.
_AUTOINCREMENT = re.compile(r"\bautoincrement\b", re.IGNORECASE)
_PARSE_WORDS = ("check", "collate", "generated", "constraint", "as")


def database_path(url: str) -> str:
    """``sqlite:///rel/x.db`` → ``rel/x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``.

    A ``file:`` URI after ``sqlite:///`` (used for shared in-memory scratch databases) is
    returned as is.
    """
    if "://" not in url:
        return url
    rest = url.split("://", 1)[1]
    if not rest.startswith("/"):
        raise DatabaseError(
            "a SQLite URL needs three slashes: sqlite:///relative.db or sqlite:////abs.db", url=url
        )
    path = rest[1:]
    if path.startswith("file:"):
        return path
    path = unquote(path.split("?", 1)[0])
    if not path:
        raise DatabaseError("the SQLite URL names no file", url=url)
    return path


def connect_readonly(url: str, timeout: float = 2.0) -> sqlite3.Connection:
    """Open ``url`` read-only; a missing, corrupt or locked file raises :class:`DatabaseError`."""
    path = database_path(url)
    if path.startswith("file:"):
        uri = path
    else:
        p = Path(path)
        if path == ":memory:":
            raise DatabaseError("an in-memory SQLite URL has nothing to inspect", url=url)
        if not p.exists():
            raise DatabaseError("no such SQLite database file", file=path, url=url)
        if not p.is_file():
            raise DatabaseError("not a SQLite database file (a folder?)", file=path, url=url)
        uri = "file:" + quote(str(p.resolve())) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
        # Touch the schema now so a corrupt or locked file fails here, with a clear message.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise _error(exc, path, url) from exc
    return conn


def _error(exc: sqlite3.Error, path: str, url: str) -> DatabaseError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return DatabaseError(
            "not a SQLite database, or the file is corrupt", file=None if path.startswith("file:") else path
        )
    if "locked" in text or "busy" in text:
        return DatabaseError(
            "the SQLite database is locked by another process", file=path, hint="retry when it is free"
        )
    return DatabaseError(f"cannot open SQLite database: {text}", file=path, url=url)


def inspect(url: str) -> Schema:
    """The schema of the SQLite database at ``url``, read-only."""
    conn = connect_readonly(url)
    try:
        with gc_paused():
            return inspect_connection(conn)
    except sqlite3.Error as exc:
        raise _error(exc, database_path(url), url) from exc
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, sql: str) -> list[Any]:
    return conn.execute(sql).fetchall()


def inspect_connection(conn: sqlite3.Connection) -> Schema:
    """The schema seen through an open connection (four queries for the whole database)."""
    master = _rows(
        conn,
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    table_sql = {name: sql or "" for typ, name, _t, sql in master if typ == "table"}
    index_sql = {name: sql for typ, name, _t, sql in master if typ == "index"}

    # Rows stay whole (the table or index name first) and are grouped by it in C: slicing and
    # appending them one by one was a sixth of the Python side.
    columns = _grouped(
        _rows(
            conn,
            'SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
            "FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
        )
    )
    index_list = _grouped(
        _rows(
            conn,
            'SELECT m.name, il.seq, il.name, il."unique", il.origin, il.partial '
            "FROM sqlite_master m JOIN pragma_index_list(m.name) il "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, il.name",
        )
    )
    index_cols = _grouped(
        _rows(
            conn,
            'SELECT il.name, ix.seqno, ix.cid, ix.name, ix."desc", ix.coll '
            "FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_xinfo(il.name) ix "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND ix.key = 1 ORDER BY il.name, ix.seqno",
        )
    )
    fks = _grouped(
        _rows(
            conn,
            'SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete '
            "FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, f.id, f.seq",
        )
    )

    pk_of: dict[str, tuple[str, ...]] = {}
    for tname in table_sql:
        pk_cols = sorted((r[6], r[2]) for r in columns.get(tname, ()) if r[6])
        pk_of[tname.lower()] = tuple(n for _, n in pk_cols)

    made: dict[tuple[Any, ...], Column] = {}
    tables = [
        _table(
            tname,
            sql,
            columns.get(tname, []),
            index_list.get(tname, []),
            index_cols,
            index_sql,
            fks.get(tname, []),
            pk_of,
            made,
        )
        for tname, sql in table_sql.items()
    ]
    views = [View(name, normalize_view(sql or "")) for typ, name, _t, sql in master if typ == "view"]
    triggers = [Trigger(name, tbl, sql or "") for typ, name, tbl, sql in master if typ == "trigger"]
    return Schema("sqlite", tuple(tables), tuple(views), triggers=tuple(triggers), name="main")


def _grouped(rows: list[Any]) -> dict[Any, list[Any]]:
    """Rows sorted by their first value, as lists per value."""
    out: dict[Any, list[Any]] = {}
    for k, group in groupby(rows, itemgetter(0)):
        out.setdefault(k, []).extend(group)
    return out


def split_table_options(sql: str) -> tuple[str, frozenset[str]]:
    """``CREATE TABLE t (…) WITHOUT ROWID, STRICT`` → (``CREATE TABLE t (…)``, the options).

    The options (``without_rowid``, ``strict``) are what follows the column list's closing
    parenthesis; sqlglot cannot parse them, so they are cut off before the text is parsed.
    Text whose tail holds anything else is returned whole, with no options.
    """
    depth = 0
    for m in _TOKENS.finditer(sql):
        tok = m.group()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth == 0:
                end = m.end()
                tail = _COMMENT.sub(" ", sql[end:]).strip().rstrip(";").strip()
                options: set[str] = set()
                for part in tail.split(",") if tail else ():
                    word = " ".join(part.split()).lower()
                    if word not in ("without rowid", "strict"):
                        return sql, frozenset()
                    options.add(word.replace(" ", "_"))
                return sql[:end], frozenset(options)
    return sql, frozenset()


def _table(
    name: str,
    sql: str,
    cols: list[tuple[Any, ...]],
    index_list: list[tuple[Any, ...]],
    index_cols: dict[str, list[tuple[Any, ...]]],
    index_sql: dict[str, str | None],
    fk_rows: list[tuple[Any, ...]],
    pk_of: dict[str, tuple[str, ...]],
    made: dict[tuple[Any, ...], Any] | None = None,
) -> Table:
    if made is None:
        made = {}
    low = sql.lower()
    options: frozenset[str] = frozenset()
    if "rowid" in low or "strict" in low:
        # Table options after the column list: cut off, or sqlglot gives up on the whole text.
        sql, options = split_table_options(sql)
    # Substring tests first: the regexes (and the parse) are only needed for the few tables
    # whose text holds one of these words.
    needs_parse = any(w in low for w in _PARSE_WORDS) and _NEEDS_PARSE.search(sql) is not None
    parsed = _parse_table(sql) if needs_parse else _EMPTY_PARSE
    pk_cols = pk_of[name.lower()]
    rowid_alias = len(pk_cols) == 1
    columns: list[Column] = []
    autoincrement = "autoincrement" in low and _AUTOINCREMENT.search(sql) is not None
    generated_of, collation_of = parsed.generated, parsed.collations
    # Without a parsed text, a column is its PRAGMA row and the table's two flags: equal ones are
    # one (immutable) object, built once per inspection (``made``: so are key parts and keys).
    plain = not generated_of and not collation_of
    for row in cols:
        _tname, _cid, cname, ctype, notnull, dflt, pk, hidden = row
        if hidden == 1:
            continue  # hidden columns of virtual tables
        key = (row[2:], rowid_alias, autoincrement)
        if plain and (same := made.get(key)) is not None:
            columns.append(same)
            continue
        ntype = normalize_type(ctype)
        is_rowid = bool(rowid_alias and pk and ntype == "integer")
        columns.append(
            fast_column(
                cname,
                ntype,
                ctype,
                # INTEGER PRIMARY KEY aliases the rowid and can never hold NULL, whatever PRAGMA says.
                not (notnull or is_rowid),
                normalize_default(dflt) if dflt is not None else None,
                dflt,
                generated_of.get(cname.lower()) if generated_of else None,
                hidden == 3,
                collation_of.get(cname.lower()) if collation_of else None,
                "auto" if is_rowid and autoincrement else None,
            )
        )
        if plain:
            made[key] = columns[-1]
    indexes: list[Index] = []
    uniques: list[UniqueConstraint] = []
    for _tname, _seq, iname, unique, origin, partial in index_list:
        parts_rows = index_cols.get(iname, [])
        if origin == "pk":
            continue
        if origin == "u":
            uniques.append(UniqueConstraint(tuple(r[3] for r in parts_rows), None))
            continue
        parts = [_part(made, r[3], bool(r[4])) for r in parts_rows]
        where = None
        if partial or any(r[2] == -2 for r in parts_rows):
            exprs, where = _parse_index(index_sql.get(iname) or "")
            parts = [
                IndexPart(None, exprs[i], bool(r[4])) if r[2] == -2 and i < len(exprs) and exprs[i] else p
                for i, (r, p) in enumerate(zip(parts_rows, parts, strict=True))
            ]
        indexes.append(Index(iname, tuple(parts), unique=bool(unique), where=where))
    foreign_keys: list[ForeignKey] = []
    by_id: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in fk_rows:
        by_id[row[1]].append(row)
    for fk_id in sorted(by_id):
        rows = by_id[fk_id]
        ref = rows[0][3]
        to = tuple(r[5] for r in rows)
        if any(t is None for t in to):
            # REFERENCES t without columns means t's primary key.
            to = pk_of.get(ref.lower(), ())
        src = tuple(r[4] for r in rows)
        foreign_keys.append(
            ForeignKey(
                src, ref, to, parsed.fk_names.get(tuple(c.lower() for c in src)), rows[0][7], rows[0][6]
            )
        )
    pk = (
        made.get(("pk", pk_cols)) or made.setdefault(("pk", pk_cols), PrimaryKey(pk_cols, None))
        if pk_cols
        else None
    )
    return Table(
        name,
        tuple(columns),
        pk,
        tuple(sorted(indexes, key=lambda i: i.name)),
        tuple(foreign_keys),
        tuple(sorted(uniques, key=lambda u: u.columns)),
        tuple(sorted(parsed.checks, key=lambda c: c.expression)),
        without_rowid="without_rowid" in options,
        strict="strict" in options,
    )


def _part(made: dict[tuple[Any, ...], Any], column: str, descending: bool) -> IndexPart:
    """An index's column part, one object per (column, order) for the whole inspection."""
    key = ("part", column, descending)
    part = made.get(key)
    if part is None:
        part = made[key] = IndexPart(column, None, descending)
    return part


class _ParsedTable:
    __slots__ = ("checks", "collations", "fk_names", "generated")

    def __init__(self) -> None:
        self.checks: list[CheckConstraint] = []
        self.generated: dict[str, str] = {}
        self.collations: dict[str, str] = {}
        self.fk_names: dict[tuple[str, ...], str] = {}


_EMPTY_PARSE = _ParsedTable()


def _parse_table(sql: str) -> _ParsedTable:
    """CHECKs, generated expressions, collations and constraint names from ``CREATE TABLE`` text."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    out = _ParsedTable()
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return out
    schema = tree.this if isinstance(tree, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        return out
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            cname = item.name.lower()
            for cons in item.args.get("constraints") or []:
                kind = cons.args.get("kind")
                cons_name = cons.name or None
                if isinstance(kind, exp.CheckColumnConstraint):
                    out.checks.append(
                        CheckConstraint(normalize_expression(kind.this.sql(dialect="sqlite")), cons_name)
                    )
                elif isinstance(kind, exp.ComputedColumnConstraint):
                    out.generated[cname] = normalize_expression(kind.this.sql(dialect="sqlite"))
                elif isinstance(kind, exp.CollateColumnConstraint):
                    coll = kind.this.name.upper()
                    if coll != "BINARY":
                        out.collations[cname] = coll
        elif isinstance(item, exp.Constraint):
            for sub in item.expressions:
                if isinstance(sub, exp.CheckColumnConstraint):
                    out.checks.append(
                        CheckConstraint(normalize_expression(sub.this.sql(dialect="sqlite")), item.name)
                    )
                elif isinstance(sub, exp.ForeignKey):
                    out.fk_names[tuple(e.name.lower() for e in sub.expressions)] = item.name
        elif isinstance(item, exp.CheckColumnConstraint):
            out.checks.append(CheckConstraint(normalize_expression(item.this.sql(dialect="sqlite")), None))
    return out


def _parse_index(sql: str) -> tuple[list[str | None], str | None]:
    """(expression per key part or None for a plain column, WHERE predicate) of ``CREATE INDEX``."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return [], None
    params = tree.find(exp.IndexParameters)
    if params is None:
        return [], None
    exprs: list[str | None] = []
    for col in params.args.get("columns") or []:
        node = col.this if isinstance(col, exp.Ordered) else col
        exprs.append(
            None if isinstance(node, exp.Column) else normalize_expression(node.sql(dialect="sqlite"))
        )
    where = params.args.get("where")
    return exprs, normalize_expression(where.this.sql(dialect="sqlite")) if where is not None else None


def row_counts(url: str, tables: list[str]) -> dict[str, RowCount]:
    """Rows per table: ``sqlite_stat1`` estimates when ANALYZE ran, else an exact ``count(*)``."""
    conn = connect_readonly(url)
    try:
        stats: dict[str, int] = {}
        has_stat = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        if has_stat:
            for tbl, stat in conn.execute("SELECT tbl, stat FROM sqlite_stat1"):
                if stat and tbl not in stats:
                    stats[tbl] = int(str(stat).split()[0])
        out: dict[str, RowCount] = {}
        for t in tables:
            if t in stats:
                out[t] = RowCount(stats[t], estimated=True)
            else:
                n = conn.execute(f'SELECT count(*) FROM "{t.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
                out[t] = RowCount(int(n))
        return out
    except sqlite3.Error as exc:
        raise _error(exc, database_path(url), url) from exc
    finally:
        conn.close()
