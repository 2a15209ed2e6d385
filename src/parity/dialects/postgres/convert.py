"""PostgreSQL type conversions: found in migration statements, pre-checked on the existing rows
without writing, compared by value, and undone to the exact original values from the pg_dump
backup (issue 17; the rules are in :mod:`parity.migrate.convert`).

The pre-check runs in a ``READ ONLY`` transaction and creates nothing (it runs on production):

1. one scan that applies the conversion to every row (``count(expr)``): no error, no failing row;
2. only when that scan fails on a value: PostgreSQL 16+ counts the failing rows with
   ``pg_input_is_valid`` (for a plain cast from text-like or numeric values), else a ``DO``
   block converts row by row with an exception handler each and hands its count and the first
   keys back through ``set_config`` (a setting, not a write).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.migrate.convert import SHOWN_KEYS, Conversion, Precheck, base_type

if TYPE_CHECKING:
    from parity.migrate.runtime import Runtime

#: Sources whose cast to any type means reading their text as input of that type (so
#: ``pg_input_is_valid(value::text, type)`` answers the cast's question exactly).
_TEXT_LIKE = frozenset({"text", "character varying", "character", "name", "json", "jsonb", "citext"})
_NUMBERS = frozenset({"smallint", "integer", "bigint", "numeric", "real", "double precision"})
_SEP = "\x1f"  # between keys in the DO block's setting (a key holding it is cut there: display only)


def value_expr(column_sql: str, family: str) -> str:
    """The expression a converted column is digested by, in both snapshots (before and after)."""
    if family == "jsonb":
        return f"({column_sql})::jsonb"
    if family == "float":
        return f"({column_sql})::double precision"
    if family == "time":
        return f"({column_sql})::timestamptz"
    # trim_scale: 1.50 and 1.5000 are one number (PostgreSQL 13+; older servers fail the
    # by-value digest and are compared by text, which is stricter, never looser).
    return f"trim_scale(({column_sql})::numeric)"


def find_conversions(rt: Runtime, statements: Sequence[str]) -> list[Conversion]:
    """Every ``ALTER TABLE … ALTER COLUMN … TYPE`` of ``statements`` on a table of the current
    schema, with the column's type before it (the catalog's, or the previous conversion's)."""
    from pglast import ast, parse_sql
    from pglast.enums import AlterTableType
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    out: list[Conversion] = []
    types: dict[tuple[str, str], str] = {}
    touched: set[str] = set()  # tables an earlier statement writes rows of
    anything = False  # an earlier statement may write rows of any table (a DO block, a function)
    for statement in statements:
        try:
            trees = parse_sql(statement)
        except ParseError:
            anything = True
            continue
        for raw in trees:
            stmt = raw.stmt
            if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt):
                if stmt.relation is not None and stmt.withClause is None and not _calls(stmt):
                    touched.add(str(stmt.relation.relname))
                else:
                    anything = True
                continue
            if not isinstance(stmt, ast.AlterTableStmt) or stmt.relation is None:
                if type(stmt).__name__ not in _NO_ROW_WRITES:
                    anything = True
                continue
            if stmt.relation.schemaname not in (None, _current_schema(rt)):
                continue
            table = str(stmt.relation.relname)
            for cmd in stmt.cmds or ():
                if cmd.subtype != AlterTableType.AT_AlterColumnType or cmd.def_ is None:
                    continue
                column = str(cmd.name)
                old = types.get((table, column)) or _catalog_type(rt, table, column)
                if old is None:
                    continue  # a column this migration creates: no old value to convert
                new = RawStream()(cmd.def_.typeName).removeprefix("pg_catalog.")  # as written
                using = RawStream()(cmd.def_.raw_default) if cmd.def_.raw_default is not None else None
                # The rows it converts are the ones the earlier statements leave: checked now,
                # they may be the wrong ones (a migration that cleans values up first).
                first = anything or table in touched
                out.append(Conversion(table, column, old, new, using, rows_changed_first=first))
                types[(table, column)] = new
    return out


#: Statements that write no row of an existing column (DDL that adds, session settings).
_NO_ROW_WRITES = frozenset(
    {
        "AlterTableStmt",
        "IndexStmt",
        "CreateStmt",
        "CommentStmt",
        "VariableSetStmt",
        "CreateSeqStmt",
        "AlterSeqStmt",
        "ViewStmt",
        "CreateEnumStmt",
        "AlterEnumStmt",
        "GrantStmt",
        "TransactionStmt",
        "CreateFunctionStmt",
        "CreateDomainStmt",
        "CreateExtensionStmt",
        "CreateSchemaStmt",
    }
)


def _calls(stmt: Any) -> bool:
    """Whether a statement calls a function anywhere (it may write rows of any table)."""
    from pglast.visitors import Visitor

    class Found(Visitor):
        hit = False

        def visit_FuncCall(self, ancestors: object, node: object) -> None:
            self.hit = True

    v = Found()
    v(stmt)
    return bool(v.hit)


def _current_schema(rt: Runtime) -> str:
    return str(rt.scalar("SELECT current_schema()"))


def _catalog_type(rt: Runtime, table: str, column: str) -> str | None:
    row = rt.query(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(%s)) "
        "AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped",
        (table, column),
    )
    return str(row[0][0]) if row else None


@contextmanager
def _read_only(rt: Runtime) -> Iterator[None]:
    """A READ ONLY transaction, always rolled back: nothing the pre-check runs can stay."""
    rt.execute("BEGIN READ ONLY")
    rt.in_transaction = True
    try:
        yield
    finally:
        rt.rollback()


def _keys(rt: Runtime, table: str) -> tuple[tuple[str, ...], str, str]:
    """(key column names, the key's text as SQL, ORDER BY) for naming rows of ``table``."""
    pk = rt.primary_key(table)
    if not pk:
        return ("ctid",), "ctid::text", "ctid"
    q = [rt.quote(c) for c in pk]
    text = f"{q[0]}::text" if len(q) == 1 else "concat_ws(', ', " + ", ".join(f"{c}::text" for c in q) + ")"
    return tuple(pk), text, ", ".join(q)


def precheck(rt: Runtime, c: Conversion) -> Precheck:
    """How many existing rows ``c`` would fail on, and the keys of the first of them. Read-only.
    A question the database refuses (no SELECT privilege, a timeout) is UNKNOWN, not a pass."""
    import psycopg

    try:
        return _precheck(rt, c)
    except psycopg.Error as exc:
        # The class only: a data error's message can quote a value.
        return Precheck(c, 0, None, reason=f"the database refused the check ({type(exc).__name__})")


def _precheck(rt: Runtime, c: Conversion) -> Precheck:
    import psycopg

    t, col = rt.quote(c.table), rt.quote(c.column)
    expr = c.using or f"{col}::{c.new_type}"
    if c.rows_changed_first:
        return Precheck(c, 0, None, reason="an earlier statement of the run may change the rows first")
    key_columns, key_sql, order = _keys(rt, c.table)
    if not _one_select(f"SELECT count(({expr})) FROM {t}"):
        # The type or USING text comes from a file: it must stay one expression of one query.
        return Precheck(c, 0, None, reason="its type or USING expression is not a single expression")
    with _read_only(rt):
        rows = int(rt.scalar(f"SELECT count(*) FROM {t}"))
        rt.execute("SAVEPOINT parity_precheck")
        try:
            rt.scalar(f"SELECT count(({expr})) FROM {t}")
        except psycopg.Error as exc:
            rt.execute("ROLLBACK TO SAVEPOINT parity_precheck")
            if not (exc.sqlstate or "").startswith("22"):  # not a data exception: not about rows
                return Precheck(c, rows, None, reason=rt.error(exc))
        else:
            return Precheck(c, rows, 0, key_columns, method="one scan")
        version = int(rt.scalar("SHOW server_version_num"))
        old = base_type(c.old_type)
        plain = c.using is None
        if (
            version >= 160000
            and plain
            and (old in _TEXT_LIKE or (old in _NUMBERS and base_type(c.new_type) in _NUMBERS))
        ):
            failing, keys = rt.query(_input_is_valid_sql(t, col, key_sql, order), (c.new_type,))[0]
            return Precheck(c, rows, int(failing), key_columns, tuple(keys or ()), method="pg_input_is_valid")
        if "$parity$" in expr:
            return Precheck(
                c, rows, None, key_columns, reason="its USING expression cannot be checked row by row"
            )
        rt.execute(_row_by_row_sql(t, col, c.new_type, c.using, key_sql, order))
        failing, keys = rt.query(
            "SELECT current_setting('parity.precheck_failing'), current_setting('parity.precheck_keys')"
        )[0]
    shown = tuple(k for k in str(keys).split(_SEP) if k)[:SHOWN_KEYS]
    return Precheck(c, rows, int(failing), key_columns, shown, method="per row")


def _one_select(sql: str) -> bool:
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        trees = parse_sql(sql)
    except ParseError:
        return False
    return len(trees) == 1 and isinstance(trees[0].stmt, ast.SelectStmt)


def _input_is_valid_sql(t: str, col: str, key_sql: str, order: str) -> str:
    """PostgreSQL 16+: the failing rows counted in one scan, no exception per row."""
    inner = (
        f"SELECT {key_sql} AS k FROM {t} WHERE {col} IS NOT NULL "
        f"AND NOT pg_input_is_valid({col}::text, %s) ORDER BY {order}"
    )
    return f"SELECT count(*), (array_agg(k))[1:{SHOWN_KEYS}] FROM ({inner}) AS failing"


def _row_by_row_sql(t: str, col: str, new_type: str, using: str | None, key_sql: str, order: str) -> str:
    """Before PostgreSQL 16: each row converted in its own subtransaction (the handler catches
    data exceptions only); the result leaves through transaction-local settings."""
    if using is None:
        source = f"SELECT {key_sql} AS k, {col} AS v FROM {t} WHERE {col} IS NOT NULL ORDER BY {order}"
        convert = f"PERFORM (r.v)::{new_type};"
    else:
        # A USING expression may read any column of the row: evaluate it on that row.
        source = f"SELECT {key_sql} AS k, ctid AS parity_ctid FROM {t} ORDER BY {order}"
        convert = f"PERFORM ({using}) FROM {t} WHERE ctid = r.parity_ctid;"
    return (
        "DO $parity$\nDECLARE r record; n bigint := 0; keys text[] := '{}';\nBEGIN\n"
        f"  FOR r IN {source} LOOP\n"
        f"    BEGIN {convert}\n"
        "    EXCEPTION WHEN data_exception THEN\n"
        f"      n := n + 1; IF n <= {SHOWN_KEYS} THEN keys := keys || r.k; END IF;\n"
        "    END;\n  END LOOP;\n"
        "  PERFORM set_config('parity.precheck_failing', n::text, true);\n"
        "  PERFORM set_config('parity.precheck_keys', array_to_string(keys, chr(31)), true);\n"
        "END $parity$"
    )


# --- the exact restore ------------------------------------------------------------------------

_COPY = re.compile(r'^COPY (?:(?:"(?:[^"]|"")+"|[^ ."]+)\.)?("(?:[^"]|"")+"|[^ ."]+) \((.*)\) FROM stdin;$')


def _ident(text: str) -> str:
    text = text.strip()
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def dump_rows(dump: Path, table: str) -> tuple[list[str], bytes] | None:
    """(columns, COPY text data) of ``table`` in a plain-format pg_dump file; None when absent."""
    with dump.open("rb") as fh:
        for line in fh:
            m = _COPY.match(line.decode("utf-8", "surrogateescape").rstrip("\n"))
            if not m or _ident(m.group(1)) != table:
                continue
            columns = [_ident(c) for c in _split_columns(m.group(2))]
            data = bytearray()
            for row in fh:
                if row in (b"\\.\n", b"\\."):
                    return columns, bytes(data)
                data += row
            return None  # the block never ended: a cut-off dump is no source to restore from
    return None


def _split_columns(text: str) -> list[str]:
    return [c for c in re.findall(r'"(?:[^"]|"")+"|[^,\s]+', text)]


def restore_columns(rt: Runtime, dump: Path, table: str, columns: Sequence[str]) -> int:
    """Put ``columns`` of ``table`` back to the values the dump holds, row by primary key, in one
    transaction; only rows whose value differs are written. Returns the rows written."""
    found = dump_rows(dump, table)
    pk = rt.primary_key(table)
    if found is None or not pk:
        raise LookupError("no rows of it in the backup" if found is None else "it has no primary key")
    names, data = found
    wanted = [c for c in columns if c in names and c not in pk]
    if not wanted:
        return 0
    import psycopg

    try:
        return _restore(rt, table, pk, names, data, wanted)
    except psycopg.Error as exc:
        # The class only: a data error's message can quote a value.
        raise LookupError(f"the database refused the restore ({type(exc).__name__})") from exc


def _restore(
    rt: Runtime, table: str, pk: Sequence[str], names: Sequence[str], data: bytes, wanted: Sequence[str]
) -> int:
    t, q = rt.quote(table), rt.quote
    cur: Any
    with rt.transaction():
        rt.execute(f"CREATE TEMP TABLE parity_restore (LIKE {t}) ON COMMIT DROP")
        cur = rt.conn.cursor()  # type: ignore[attr-defined]
        with cur.copy(f"COPY parity_restore ({', '.join(q(c) for c in names)}) FROM STDIN") as copy:
            copy.write(data)
        sets = ", ".join(f"{q(c)} = r.{q(c)}" for c in wanted)
        match = " AND ".join(f"t.{q(k)} = r.{q(k)}" for k in pk)
        differs = " OR ".join(f"t.{q(c)} IS DISTINCT FROM r.{q(c)}" for c in wanted)
        cur = rt._cursor_execute(
            f"UPDATE {t} AS t SET {sets} FROM parity_restore r WHERE {match} AND ({differs})", None
        )
        return int(cur.rowcount)
