"""PostgreSQL: how parity runs migrations safely (runtime) and the settings its plans use.

* Lock: a session-level advisory lock around the whole run, so two runners never interleave
  (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
* DDL is transactional; each migration commits with its history row. A migration marked
  ``-- parity:no-transaction`` (``CREATE INDEX CONCURRENTLY``) runs statement by statement.
* An interrupted ``CREATE INDEX CONCURRENTLY`` leaves an INVALID index behind; before running
  one, an invalid index of the same name is dropped (``DROP INDEX CONCURRENTLY``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from parity.dialects.postgres.convert import find_conversions, precheck, restore_columns, value_expr
from parity.dialects.postgres.diff import check_sql
from parity.dialects.postgres.render import deferrable_sql, in_schema_of, index_parts_sql, qn, ref_sql
from parity.errors import DatabaseError
from parity.migrate import runtime as base
from parity.migrate.convert import Conversion, Precheck
from parity.model.changes import AddCheck, AddForeignKey, AddIndex, AlterColumn, Change, DropIndex
from parity.model.schema import ForeignKey, Index, Schema
from parity.plan.model import SafeSQL

Render = Callable[[Change, Schema | None], list[str]]

#: Every planned PostgreSQL migration starts with these, so a blocked ALTER gives up instead
#: of queueing every query behind its ACCESS EXCLUSIVE lock (docs: "lock_timeout").
LOCK_TIMEOUT = "3s"
STATEMENT_TIMEOUT = "15min"

_ADVISORY_KEY = 0x70617269747900  # "parity\0": stable across runs and processes
_CONCURRENT_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(\"(?:[^\"]|\"\")+\"|[\w$]+)",
    re.IGNORECASE,
)


class Runtime(base.Runtime):
    dialect = "postgres"
    sqlglot_dialect = "postgres"
    transactional_ddl = True
    param = "%s"
    bool_type = "BOOLEAN"
    timestamp_type = "TIMESTAMPTZ"

    def _connect(self) -> None:
        import psycopg

        url = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", self.url)
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            from parity.dialects.postgres.inspect import connection_error

            # Unreachable stays unreachable (``check`` notes it and goes on); the rest is an error.
            kind = type(connection_error(exc, self.url))
            raise kind(f"cannot connect to PostgreSQL: {self.error(exc)}", url=self.url) from exc
        if self.read_only:
            self.execute("SET default_transaction_read_only = on")

    def close(self) -> None:
        self.conn.close()

    def _cursor_execute(self, sql: str, params: Sequence[Any] | None) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql, params)
        return cur

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        cur = self._cursor_execute(sql, params)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def error(self, exc: BaseException) -> str:
        text = super().error(exc)
        if str(getattr(exc, "sqlstate", "") or "").startswith("22"):
            # A data error quotes the value it failed on (`invalid input syntax for type integer:
            # "…"`): production values may be secrets, so the value is cut.
            text = re.sub(r':\s*".*"$', ": (the value is not shown)", text)
        return text

    def acquire_lock(self) -> None:
        self._poll_lock(
            lambda: bool(self.scalar("SELECT pg_try_advisory_lock(%s)", (_ADVISORY_KEY,))), "advisory lock"
        )

    def release_lock(self) -> None:
        self.scalar("SELECT pg_advisory_unlock(%s)", (_ADVISORY_KEY,))

    def before_commit(self) -> None:
        # The transaction's own row writes, so that verification can tell them from the
        # application's (pg_stat_xact_* shows the current transaction only).
        for name, n in self.query(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE schemaname = current_schema()"
        ):
            if n:
                self.own_writes[name] = self.own_writes.get(name, 0) + int(n)

    def write_counts(self, tables: Sequence[str]) -> dict[str, int] | None:
        # Cumulative statistics: other backends flush theirs at most about once a second, so a
        # caller that sees no movement right after a write waits and asks again.
        self.execute("SELECT pg_stat_clear_snapshot()")
        wanted = set(tables)
        rows = self.query(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema()"
        )
        return {name: int(n) for name, n in rows if name in wanted}

    def has_triggers(self, table: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
                (table,),
            )
        )

    def before_statement(self, statement: str) -> None:
        m = _CONCURRENT_INDEX.search(statement)
        if not m or self.in_transaction:
            return
        name = m.group(1)
        name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
        invalid = self.scalar(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid",
            (name,),
        )
        if invalid:
            self.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.quote(name)}")

    def split(self, script: str) -> list[str]:
        from pglast import split
        from pglast.parser import ParseError

        try:
            return [s for s in split(script) if s.strip()]
        except ParseError as exc:
            raise DatabaseError(f"SQL syntax error: {exc}") from exc

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
            "AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
        return [r[0] for r in rows]

    def column_names(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = (quote_ident(current_schema()) || '.' || quote_ident(%s))::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        )
        return [r[0] for r in rows]

    def primary_key(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(%s))::regclass AND i.indisprimary "
            "ORDER BY k.n",
            (table,),
        )
        return [r[0] for r in rows]

    digests_by_value = True

    def chunk_digest_sql(
        self,
        table: str,
        columns: Sequence[str],
        key: str | None,
        chunk: int,
        first: bool,
        values: Sequence[tuple[str, str]] = (),
    ) -> str:
        # The database hashes each chunk: md5 over the quoted values in key order. No ORDER BY
        # inside the aggregates: their input comes from a subquery sorted by the key (which
        # aggregates follow, as PostgreSQL's docs on aggregate expressions say), and one sort per
        # column would cost more than the scan itself.
        t = self.quote(table)
        cols = ", ".join(self.quote(c) for c in columns)
        aggs = "".join(f", md5(string_agg(quote_nullable({self.quote(c)}), ','))" for c in columns)
        aggs += "".join(
            f", md5(string_agg(quote_nullable({value_expr(self.quote(c), family)}), ','))"
            for c, family in values
        )
        if key is None:
            order = ", ".join(f"{self.quote(c)}::text" for c in columns) or "1"
            return (
                f"SELECT count(*), NULL{aggs} FROM (SELECT {cols or '1'} FROM {t} ORDER BY {order}) AS chunk"
            )
        k = self.quote(key)
        where = "" if first else f"WHERE {k} > %s "
        inner = f"SELECT {k} AS __parity_k{', ' + cols if cols else ''} FROM {t} {where}ORDER BY {k} LIMIT {chunk}"
        return f"SELECT count(*), (array_agg(__parity_k))[count(*)]{aggs} FROM ({inner}) AS chunk"

    def conversions(self, statements: Sequence[str]) -> list[Conversion]:
        return find_conversions(self, statements)

    def precheck(self, conversion: Conversion) -> Precheck | None:
        return precheck(self, conversion)

    def restore_columns(self, backup: Path, table: str, columns: Sequence[str]) -> int:
        return restore_columns(self, backup, table, columns)


# --- safe rendering for the planner -------------------------------------------------------------

#: Run at the start of every planned migration (inside its transaction, so ``SET LOCAL``).
PREAMBLE = (
    f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'",
    f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'",
)
#: The same for migrations run outside a transaction (session settings of the runner's connection).
NO_TX_PREAMBLE = (f"SET lock_timeout = '{LOCK_TIMEOUT}'", f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")


def _q(name: str) -> str:
    from parity.dialects.sql import quote_ident

    return quote_ident(name, '"')


def _fk_name(table: str, fk: ForeignKey) -> str:
    # PostgreSQL's own default name, so a plan and a later inspection agree.
    return fk.name or f"{table}_{'_'.join(fk.columns)}_fkey"


def _create_concurrently(table: str, ix: Index) -> str:
    parts = index_parts_sql(ix)
    using = f" USING {ix.method}" if ix.method and ix.method != "btree" else ""
    return (
        f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX CONCURRENTLY IF NOT EXISTS {_q(ix.name)} "
        f"ON {qn(table)}{using} ({parts})" + (f" WHERE {ix.where}" if ix.where else "")
    )


def _partitioned(context: Schema | None, table: str) -> bool:
    """CREATE INDEX CONCURRENTLY is not supported on a partitioned table: its index is built plainly."""
    t = context.table(table) if context is not None else None
    return t is not None and t.partition_by is not None


def _partitioned_index(table: str, ix: Index, context: Schema | None) -> list[SafeSQL] | None:
    """An index on a partitioned table without blocking writes (the documented recipe): the parent's
    index ON ONLY (no build, invalid until every partition has one), each partition's built
    CONCURRENTLY and attached; the last ATTACH makes the parent's valid. None (a plain CREATE INDEX)
    when a partition is partitioned in turn."""
    parts = [p for p in (context.partitions if context else ()) if p.parent == table]
    if any(p.partition_by for p in parts):
        return None
    using = f" USING {ix.method}" if ix.method and ix.method != "btree" else ""
    where = f" WHERE {ix.where}" if ix.where else ""
    unique = "UNIQUE " if ix.unique else ""
    key = index_parts_sql(ix)
    steps = [
        SafeSQL(
            (f"CREATE {unique}INDEX IF NOT EXISTS {_q(ix.name)} ON ONLY {qn(table)}{using} ({key}){where}",),
            (f"DROP INDEX IF EXISTS {in_schema_of(table, ix.name)}",),
            True,
            "the parent's index, built by its partitions",
        )
    ]
    for p in parts:
        child = f"{p.name.rpartition('.')[2]}_{ix.name}"[:63]  # in the partition's schema
        steps.append(
            SafeSQL(
                (
                    f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {_q(child)} ON {qn(p.name)}{using} ({key}){where}",
                ),
                (f"DROP INDEX CONCURRENTLY IF EXISTS {in_schema_of(p.name, child)}",),
                False,
                f"partition {p.name} built without blocking writes",
            )
        )
        steps.append(
            SafeSQL(
                (
                    f"ALTER INDEX {in_schema_of(table, ix.name)} ATTACH PARTITION {in_schema_of(p.name, child)}",
                ),
                (),
                True,
                "attached",
            )
        )
    return steps


def safe_steps(change: Change, context: Schema | None, render: Render) -> list[SafeSQL] | None:
    """Online versions of the changes that lock a busy table; None means "use the dialect's render".

    * index → ``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` outside a transaction (the runtime drops
      an INVALID index of the same name first, left by an interrupted build);
    * foreign key / check → ``ADD CONSTRAINT … NOT VALID`` (brief lock), then
      ``VALIDATE CONSTRAINT`` outside the migration's transaction (SHARE UPDATE EXCLUSIVE: writes go on).
    https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    """
    match change:
        case AddIndex(table=table, index=ix) if _partitioned(context, table):
            return _partitioned_index(table, ix, context)
        case AddIndex(table=table, index=ix):
            return [
                SafeSQL(
                    (_create_concurrently(table, ix),),
                    (f"DROP INDEX CONCURRENTLY IF EXISTS {in_schema_of(table, ix.name)}",),
                    False,
                    "built without blocking writes",
                )
            ]
        case DropIndex(table=table, index=ix):
            # A plain DROP INDEX takes ACCESS EXCLUSIVE on the table (reads wait too).
            return [
                SafeSQL(
                    (f"DROP INDEX CONCURRENTLY IF EXISTS {in_schema_of(table, ix.name)}",),
                    (_create_concurrently(table, ix),),
                    False,
                    "dropped without blocking reads or writes",
                )
            ]
        case AddForeignKey(table=table, foreign_key=fk):
            name = _fk_name(table, fk)
            ref = f" ({', '.join(_q(c) for c in fk.ref_columns)})" if fk.ref_columns else ""
            actions = "".join(
                f" ON {what} {act}"
                for what, act in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update))
                if act != "NO ACTION"
            )
            add = (
                f"ALTER TABLE {qn(table)} ADD CONSTRAINT {_q(name)} FOREIGN KEY ({', '.join(_q(c) for c in fk.columns)}) "
                f"REFERENCES {ref_sql(fk)}{ref}{actions}{deferrable_sql(fk.deferrable)} NOT VALID"
            )
            drop = f"ALTER TABLE {qn(table)} DROP CONSTRAINT IF EXISTS {_q(name)}"
            return [
                SafeSQL((add,), (drop,), True, "added NOT VALID: no scan under the lock"),
                SafeSQL(
                    (f"ALTER TABLE {qn(table)} VALIDATE CONSTRAINT {_q(name)}",),
                    (),
                    False,
                    "validated without blocking writes",
                ),
            ]
        case AddCheck(table=table, check=ck):
            name = ck.name or f"{table}_check_{zlib.crc32(ck.expression.encode()):08x}"
            add = f"ALTER TABLE {qn(table)} ADD CONSTRAINT {_q(name)} {check_sql(ck.expression)} NOT VALID"
            drop = f"ALTER TABLE {qn(table)} DROP CONSTRAINT IF EXISTS {_q(name)}"
            return [
                SafeSQL((add,), (drop,), True, "added NOT VALID: no scan under the lock"),
                SafeSQL(
                    (f"ALTER TABLE {qn(table)} VALIDATE CONSTRAINT {_q(name)}",),
                    (),
                    False,
                    "validated without blocking writes",
                ),
            ]
        case AlterColumn(table=table, desired=col, changes=what) if what == {"nullable"} and not col.nullable:
            # SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated
            # CHECK (col IS NOT NULL) already proves it (PostgreSQL ≥ 12).
            name = f"{table}_{col.name}_not_null"[:63]
            t, c = qn(table), _q(col.name)
            return [
                SafeSQL(
                    (f"ALTER TABLE {t} ADD CONSTRAINT {_q(name)} CHECK ({c} IS NOT NULL) NOT VALID",),
                    (f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {_q(name)}",),
                    True,
                    "CHECK added NOT VALID",
                ),
                SafeSQL(
                    (
                        f"ALTER TABLE {t} VALIDATE CONSTRAINT {_q(name)}",
                        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL",
                        f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {_q(name)}",
                    ),
                    (f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL",),
                    False,
                    "validated without blocking writes, then SET NOT NULL without a scan",
                ),
            ]
    return None
