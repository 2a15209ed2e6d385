"""The PostgreSQL lint checker, on pglast's tree (the server's own parser).

It walks the file once and keeps what a reviewer keeps in mind: which tables the file creates
(a new table is empty and unused, so the locking rules skip it), whether each statement runs in a
transaction (parity's own per-file one, or an explicit BEGIN in a ``no-transaction`` file), which
constraints were added NOT VALID in the current transaction, and which timeouts are set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

from parity.model.findings import Severity
from parity.plan.lint_rules import VOLATILE, Hit

#: Functions a column DEFAULT may call without a rewrite or a surprise: immutable or stable
#: built-ins (a stable default is evaluated once for ADD COLUMN, from PostgreSQL 11).
_KNOWN_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "lower",
        "upper",
        "btrim",
        "ltrim",
        "rtrim",
        "concat",
        "length",
        "abs",
        "round",
        "date_trunc",
        "make_interval",
        "to_char",
        "to_jsonb",
        "to_json",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "array_fill",
        "timezone",
    }
)
_IDENT_LIMIT = 63
_KEY_INTS = {
    "int4": "integer",
    "int2": "smallint",
    "serial": "serial",
    "serial4": "serial",
    "smallserial": "smallserial",
}


@dataclass
class _State:
    transactional: bool
    pg_version: int | None
    created: set[str] = field(default_factory=set)
    created_indexes: set[str] = field(default_factory=set)
    lock_timeout: bool = False
    statement_timeout: bool = False
    warned_lock: bool = False
    warned_statement: bool = False
    explicit_begin: int | None = None  # offset of an open explicit BEGIN
    tx_serial: int = 0  # bumps at each transaction boundary
    not_valid: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, constraint) → tx
    not_null_checks: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, constraint) → column
    validated_columns: set[tuple[str, str]] = field(default_factory=set)
    validated_names: set[tuple[str, str]] = field(default_factory=set)  # constraints of earlier files
    qualified: list[tuple[str, int]] = field(default_factory=list)
    unqualified: list[tuple[str, int]] = field(default_factory=list)

    @property
    def in_transaction(self) -> bool:
        return self.transactional or self.explicit_begin is not None


def check(sql: str, transactional: bool, pg_version: int | None = None) -> Iterator[Hit]:
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        # pglast gives the error position (a byte offset) as the second argument.
        loc = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        yield Hit("MIG000", str(exc.args[0]) if exc.args else str(exc), char_offset(sql, max(loc - 1, 0)))
        return
    st = _State(transactional, pg_version)
    to_char = _offsets(sql)
    for raw in stmts:
        off = first_code_offset(sql, to_char(raw.stmt_location or 0))
        yield from _statement(raw.stmt, off, st)
    if st.explicit_begin is not None and not transactional:
        yield Hit(
            "MIG025",
            "BEGIN is never committed: the server rolls the file back when it ends",
            st.explicit_begin,
        )
    yield from _long_identifiers(sql)
    if st.qualified and st.unqualified:
        name, off = st.unqualified[0]
        yield Hit("MIG038", f"{name} has no schema while {st.qualified[0][0]} has one", off)


def _statement(stmt: Any, off: int, st: _State) -> Iterator[Hit]:

    if isinstance(stmt, ast.VariableSetStmt):
        name = (stmt.name or "").lower()
        st.lock_timeout |= name == "lock_timeout"
        st.statement_timeout |= name == "statement_timeout"
        return
    if isinstance(stmt, ast.TransactionStmt):
        yield from _transaction(stmt, off, st)
        return
    if isinstance(stmt, ast.VariableShowStmt | ast.SelectStmt | ast.InsertStmt | ast.DeleteStmt):
        return
    if isinstance(stmt, ast.UpdateStmt):
        seen: set[str] = set()
        for target in stmt.targetList or ():
            if target.name in seen:
                yield Hit("MIG029", f"UPDATE {_rel(stmt.relation)} assigns {target.name} twice", off)
            seen.add(target.name)
        return
    _names(stmt, off, st)
    locks_existing, table = yield from _ddl(stmt, off, st)
    if locks_existing:
        yield from _timeouts(table, off, st)


def _transaction(stmt: Any, off: int, st: _State) -> Iterator[Hit]:

    K = enums.TransactionStmtKind
    if stmt.kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
        if st.transactional:
            yield Hit("MIG014", "BEGIN inside a migration parity already runs in a transaction", off)
        elif st.explicit_begin is not None:
            yield Hit(
                "MIG025",
                "BEGIN while the transaction opened earlier is still open (a warning, then ignored)",
                off,
            )
        st.explicit_begin = off
        st.tx_serial += 1
    elif stmt.kind in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_ROLLBACK):
        if st.transactional:
            yield Hit("MIG014", "COMMIT/ROLLBACK inside a migration", off)
        elif st.explicit_begin is None:
            yield Hit("MIG025", "COMMIT/ROLLBACK with no transaction open", off)
        st.explicit_begin = None
        st.tx_serial += 1


def _ddl(stmt: Any, off: int, st: _State) -> Any:
    """Checks of one schema statement; returns (whether it locks something that exists, its table)."""

    OT = enums.ObjectType
    if isinstance(stmt, ast.CreateStmt):
        table = _rel(stmt.relation)
        st.created.add(table)
        yield from _column_types(stmt.tableElts or (), table, off, _pk_columns(stmt.tableElts or ()))
        # A new table locks only the tables it references.
        refs = any(
            (isinstance(e, ast.Constraint) and e.contype == enums.ConstrType.CONSTR_FOREIGN)
            or (
                isinstance(e, ast.ColumnDef)
                and any(c.contype == enums.ConstrType.CONSTR_FOREIGN for c in e.constraints or ())
            )
            for e in stmt.tableElts or ()
        )
        if not stmt.if_not_exists and not st.in_transaction:
            yield Hit("MIG035", f"CREATE TABLE {table} without IF NOT EXISTS", off)
        return refs, table
    if isinstance(
        stmt, ast.CreateSchemaStmt | ast.CreateExtensionStmt | ast.CreateSeqStmt | ast.CreatedbStmt
    ):
        return False, None
    if isinstance(stmt, ast.IndexStmt):
        table = _rel(stmt.relation)
        if stmt.idxname:
            st.created_indexes.add(stmt.idxname)
        existing = table not in st.created
        if stmt.concurrent and st.in_transaction:
            yield Hit(
                "MIG010", f"CREATE INDEX CONCURRENTLY {stmt.idxname or ''} runs inside a transaction", off
            )
        elif not stmt.concurrent and existing and getattr(stmt.relation, "inh", True):
            # ON ONLY (inh false) builds nothing: it makes the partitioned parent's index, still
            # invalid, to which each partition's index (built CONCURRENTLY) is then attached.
            yield Hit(
                "MIG004",
                f"index {stmt.idxname or ''} on existing table {table} built without CONCURRENTLY",
                off,
            )
        if not stmt.if_not_exists and not st.in_transaction and stmt.idxname:
            yield Hit("MIG035", f"CREATE INDEX {stmt.idxname} without IF NOT EXISTS", off)
        return existing, table
    if isinstance(stmt, ast.DropStmt):
        names = [
            ".".join(getattr(p, "sval", "") for p in obj)
            for obj in stmt.objects or ()
            if isinstance(obj, tuple)
        ]
        if stmt.removeType == OT.OBJECT_TABLE:
            yield Hit("MIG001", f"DROP TABLE {', '.join(names)}", off)
        elif stmt.removeType == OT.OBJECT_INDEX:
            if stmt.concurrent and st.in_transaction:
                yield Hit("MIG010", "DROP INDEX CONCURRENTLY runs inside a transaction", off)
            elif not stmt.concurrent and not set(n.split(".")[-1] for n in names) <= st.created_indexes:
                yield Hit("MIG018", f"DROP INDEX {', '.join(names)} without CONCURRENTLY", off)
        if not stmt.missing_ok and not st.in_transaction:
            yield Hit("MIG035", f"DROP {', '.join(names)} without IF EXISTS", off)
        # Dropping what this file created locks nothing that exists.
        made_here = {n.split(".")[-1] for n in names} <= (st.created | st.created_indexes)
        return not made_here, names[0] if names else None
    if isinstance(stmt, ast.DropdbStmt):
        yield Hit("MIG023", f"DROP DATABASE {stmt.dbname}", off)
        return True, None
    if isinstance(stmt, ast.TruncateStmt):
        tables = ", ".join(r.relname for r in stmt.relations or ())
        if stmt.behavior == enums.DropBehavior.DROP_CASCADE:
            yield Hit("MIG013", f"TRUNCATE {tables} CASCADE also empties every table that references it", off)
        else:
            yield Hit("MIG013", f"TRUNCATE {tables} deletes every row", off, Severity.INFO)
        return True, tables
    if isinstance(stmt, ast.VacuumStmt):
        options = {getattr(o, "defname", "") for o in stmt.options or ()}
        tables = ", ".join(_rel(r.relation) for r in stmt.rels or () if r.relation is not None)
        if stmt.is_vacuumcmd and "full" in options:
            yield Hit("MIG021", f"VACUUM FULL {tables}".rstrip(), off)
        if st.in_transaction and stmt.is_vacuumcmd:
            yield Hit("MIG010", "VACUUM runs inside a transaction", off)
        return True, tables or None
    if isinstance(stmt, ast.ClusterStmt):
        table = _rel(stmt.relation) if stmt.relation is not None else ""
        yield Hit("MIG021", f"CLUSTER {table}".rstrip(), off)
        return True, table or None
    if isinstance(stmt, ast.ReindexStmt):
        concurrent = any(getattr(p, "defname", "") == "concurrently" for p in stmt.params or ())
        what = _rel(stmt.relation) if stmt.relation is not None else (stmt.name or "")
        if concurrent and st.in_transaction:
            yield Hit("MIG010", f"REINDEX CONCURRENTLY {what} runs inside a transaction", off)
        elif not concurrent:
            yield Hit("MIG019", f"REINDEX {what} without CONCURRENTLY", off)
        return True, what
    if isinstance(stmt, ast.AlterDomainStmt):
        # Added NOT VALID, the check holds for new values at once and VALIDATE scans the old ones later.
        if stmt.subtype == "C" and not getattr(stmt.def_, "skip_validation", False):
            yield Hit("MIG022", f"ALTER DOMAIN {_dotted(stmt.typeName)} ADD CONSTRAINT", off)
        return True, None
    if isinstance(stmt, ast.CreateDomainStmt):
        if any(c.contype == enums.ConstrType.CONSTR_CHECK for c in stmt.constraints or ()):
            yield Hit("MIG022", f"CREATE DOMAIN {_dotted(stmt.domainname)} with a CHECK", off)
        return False, None
    if isinstance(stmt, ast.AlterEnumStmt):
        if stmt.newValNeighbor:
            where = "AFTER" if stmt.newValIsAfter else "BEFORE"
            yield Hit("MIG037", f"ADD VALUE '{stmt.newVal}' {where} '{stmt.newValNeighbor}'", off)
        if stmt.newVal and st.in_transaction and st.pg_version is not None and st.pg_version < 12:
            yield Hit(
                "MIG010", "ALTER TYPE … ADD VALUE cannot run in a transaction before PostgreSQL 12", off
            )
        return True, None
    if isinstance(stmt, ast.RenameStmt):
        renamed: str | None = _rel(stmt.relation) if stmt.relation else None
        if stmt.renameType in (OT.OBJECT_COLUMN, OT.OBJECT_TABLE) and renamed not in st.created:
            what = "column" if stmt.renameType == OT.OBJECT_COLUMN else "table"
            yield Hit("MIG007", f"RENAME {what} {stmt.subname or renamed} to {stmt.newname}", off)
        return renamed is not None and renamed not in st.created, renamed
    if isinstance(stmt, ast.AlterTableStmt):
        table = _rel(stmt.relation)
        existing = table not in st.created
        yield from _alter(stmt, table, existing, off, st)
        return existing, table
    # Everything else (CREATE TYPE, COMMENT, LOCK TABLE, CREATE/DROP of other objects, GRANT…)
    # takes a lock on something that exists.
    return True, None


def _timeouts(table: str | None, off: int, st: _State) -> Iterator[Hit]:
    what = f"on {table} " if table else ""
    if not st.lock_timeout and not st.warned_lock:
        st.warned_lock = True
        yield Hit("MIG009", f"a statement {what}takes a lock before any SET lock_timeout", off)
    if not st.statement_timeout and not st.warned_statement:
        st.warned_statement = True
        yield Hit("MIG017", f"a statement {what}takes a lock before any SET statement_timeout", off)


def _alter(stmt: Any, table: str, existing: bool, off: int, st: _State) -> Iterator[Hit]:

    T = enums.AlterTableType
    C = enums.ConstrType
    for cmd in stmt.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        sub = cmd.subtype
        if sub == T.AT_DropColumn:
            yield Hit("MIG002", f"DROP COLUMN {table}.{cmd.name}", off)
        elif sub == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            yield from _add_column(cmd, table, existing, off, st)
        elif sub == T.AT_AlterColumnType:
            yield Hit("MIG006", f"ALTER COLUMN {table}.{cmd.name} TYPE", off)
        elif sub == T.AT_ValidateConstraint:
            added_in = st.not_valid.get((table, cmd.name or ""))
            if added_in is not None and st.in_transaction and added_in == st.tx_serial:
                yield Hit(
                    "MIG026",
                    f"VALIDATE CONSTRAINT {cmd.name} in the transaction that added it NOT VALID",
                    off,
                )
            column = st.not_null_checks.get((table, cmd.name or ""))
            if column is not None:
                st.validated_columns.add((table, column))
            elif (table, cmd.name) not in st.not_valid:
                # Added by an earlier migration: a constraint named after a column is taken as its
                # NOT NULL proof (parity's planner names it <table>_<column>_not_null).
                st.validated_names.add((table, cmd.name or ""))
        elif sub == T.AT_SetNotNull and existing:
            skips_scan = st.pg_version is None or st.pg_version >= 12
            proven = (table, cmd.name) in st.validated_columns or any(
                t == table and f"_{cmd.name}_" in f"_{n}_" for t, n in st.validated_names
            )
            if not (skips_scan and proven):
                yield Hit("MIG011", f"ALTER COLUMN {table}.{cmd.name} SET NOT NULL", off)
        elif sub == T.AT_DropNotNull and existing:
            yield Hit("MIG024", f"ALTER COLUMN {table}.{cmd.name} DROP NOT NULL", off)
        elif sub == T.AT_DetachPartition and existing:
            concurrent = bool(getattr(cmd.def_, "concurrent", False))
            part = _rel(getattr(cmd.def_, "name", None))
            if concurrent and st.in_transaction:
                yield Hit("MIG010", f"DETACH PARTITION {part} CONCURRENTLY runs inside a transaction", off)
            elif not concurrent:
                yield Hit("MIG020", f"DETACH PARTITION {part} from {table} without CONCURRENTLY", off)
        elif sub == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            c = cmd.def_
            column = _not_null_check_column(c) if c.contype == C.CONSTR_CHECK else None
            if c.conname and column is not None:
                st.not_null_checks[(table, c.conname)] = column
                if not c.skip_validation:
                    st.validated_columns.add((table, column))
            if c.skip_validation and c.conname and st.in_transaction:
                st.not_valid[(table, c.conname)] = st.tx_serial
            if not existing:
                continue
            if c.contype in (C.CONSTR_FOREIGN, C.CONSTR_CHECK) and not c.skip_validation:
                kind = "FOREIGN KEY" if c.contype == C.CONSTR_FOREIGN else "CHECK"
                yield Hit("MIG005", f"ADD {kind} {c.conname or ''} on {table} without NOT VALID", off)
            elif c.contype in (C.CONSTR_UNIQUE, C.CONSTR_PRIMARY) and not c.indexname:
                yield Hit(
                    "MIG012", f"ADD UNIQUE/PRIMARY KEY {c.conname or ''} on {table} without USING INDEX", off
                )
        elif sub == T.AT_ColumnDefault and cmd.def_ is not None:
            text = _sql(cmd.def_)
            if VOLATILE.search(text):
                # Setting a default alone does not rewrite; reported because backfills often follow.
                yield Hit("MIG008", f"SET DEFAULT {text} on {table}.{cmd.name}", off)


def _add_column(cmd: Any, table: str, existing: bool, off: int, st: _State) -> Iterator[Hit]:

    C = enums.ConstrType
    col = cmd.def_
    cons = list(col.constraints or ())
    kinds = {c.contype for c in cons}
    default = next((c for c in cons if c.contype == C.CONSTR_DEFAULT), None)
    # pglast gives an unset identity/generated attribute as "\x00".
    generated = C.CONSTR_GENERATED in kinds or (col.generated or "\x00") != "\x00"
    fills = generated or C.CONSTR_IDENTITY in kinds or (col.identity or "\x00") != "\x00"
    name = f"{table}.{col.colname}"
    yield from _column_types((col,), table, off, {col.colname} if C.CONSTR_PRIMARY in kinds else set())
    if not cmd.missing_ok and not st.in_transaction:
        yield Hit("MIG035", f"ADD COLUMN {name} without IF NOT EXISTS", off)
    if not existing:
        return
    if C.CONSTR_NOTNULL in kinds and default is None and not fills:
        yield Hit("MIG003", f"ADD COLUMN {name} NOT NULL without DEFAULT", off)
    if fills:
        what = "STORED generated" if generated else "identity"
        yield Hit("MIG027", f"ADD COLUMN {name} as an {what} column", off)
    if default is not None:
        text = _sql(default.raw_expr) if default.raw_expr is not None else ""
        unknown = sorted(_unknown_functions(default.raw_expr))
        if VOLATILE.search(text):
            yield Hit("MIG008", f"ADD COLUMN {name} DEFAULT {text}", off)
        elif unknown:
            yield Hit(
                "MIG008",
                f"ADD COLUMN {name} DEFAULT {text}: {', '.join(unknown)}() may be volatile (rewrite)",
                off,
            )
        elif st.pg_version is not None and st.pg_version < 11:
            yield Hit("MIG028", f"ADD COLUMN {name} DEFAULT {text} on PostgreSQL {st.pg_version}", off)
    if any(c.contype in (C.CONSTR_UNIQUE, C.CONSTR_PRIMARY) for c in cons):
        yield Hit("MIG012", f"ADD COLUMN {name} with UNIQUE/PRIMARY KEY", off)
    if any(c.contype == C.CONSTR_FOREIGN and not c.skip_validation for c in cons):
        yield Hit("MIG005", f"ADD COLUMN {name} REFERENCES … without NOT VALID", off)


def _column_types(elements: Any, table: str, off: int, pk: set[str]) -> Iterator[Hit]:

    for e in elements:
        if not isinstance(e, ast.ColumnDef) or e.typeName is None:
            continue
        names = [getattr(n, "sval", "") for n in e.typeName.names or ()]
        base = names[-1].lower() if names else ""
        colname = e.colname or ""
        name = f"{table}.{colname}"
        if base == "varchar" and e.typeName.typmods:
            yield Hit("MIG030", f"{name} is varchar(n)", off)
        elif base == "bpchar":
            yield Hit("MIG034", f"{name} is char(n)", off)
        elif base == "timestamp":
            yield Hit("MIG031", f"{name} is timestamp without time zone", off)
        if base in ("serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"):
            yield Hit("MIG033", f"{name} is {base}", off)
        is_key = (
            colname in pk
            or colname == "id"
            or colname.endswith("_id")
            or any(
                c.contype in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_FOREIGN)
                for c in e.constraints or ()
            )
        )
        if is_key and base in _KEY_INTS:
            yield Hit("MIG032", f"key {name} is {_KEY_INTS[base]}", off)


def _pk_columns(elements: Any) -> set[str]:

    out: set[str] = set()
    for e in elements:
        if isinstance(e, ast.Constraint) and e.contype == enums.ConstrType.CONSTR_PRIMARY:
            out.update(getattr(k, "sval", "") for k in e.keys or ())
    return out


def _names(stmt: Any, off: int, st: _State) -> None:
    """Which table the statement is about, with a schema or without (MIG038). Only the statement's
    own relation: walking the whole tree costs more than the rest of the lint together."""
    relation = getattr(stmt, "relation", None)
    if relation is not None and hasattr(relation, "relname"):
        (st.qualified if relation.schemaname else st.unqualified).append((relation.relname or "", off))


#: A run of identifier characters long enough to be over the limit; without one (and without a
#: quoted identifier) the file has no long identifier and is not tokenized a second time.
_LONG_WORD = re.compile(rf"[A-Za-z0-9_$]{{{_IDENT_LIMIT + 1},}}")


def _long_identifiers(sql: str) -> Iterator[Hit]:
    """Identifiers over 63 bytes, read from the tokens: the parser has already cut them."""
    from pglast.parser import scan

    if sql.isascii() and '"' not in sql and not _LONG_WORD.search(sql):
        return
    raw = sql.encode("utf-8")
    seen: set[bytes] = set()
    for tok in scan(sql):
        if tok.name != "IDENT":
            continue
        word = raw[tok.start : tok.end + 1].strip(b'"')
        if len(word) > _IDENT_LIMIT and word not in seen:
            seen.add(word)
            name = word.decode("utf-8", errors="replace")
            yield Hit("MIG036", f"{name[:40]}… is {len(word)} bytes", char_offset(sql, tok.start))


def _not_null_check_column(c: Any) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)``, else None."""

    e = c.raw_expr
    if isinstance(e, ast.NullTest) and e.nulltesttype == enums.NullTestType.IS_NOT_NULL:
        arg = e.arg
        if isinstance(arg, ast.ColumnRef) and arg.fields:
            return str(getattr(arg.fields[-1], "sval", "")) or None
    return None


def _unknown_functions(expr: Any) -> set[str]:
    found: set[str] = set()
    _calls(expr, found)
    return found


def _calls(node: Any, found: set[str]) -> None:
    """Names of the functions a default calls that are not known safe, nested calls included.
    A plain walk of the node's slots: pglast's Visitor inspects its class at every call, which
    cost more than the rest of the statement's checks."""
    if isinstance(node, list | tuple):
        for item in node:
            _calls(item, found)
        return
    if not isinstance(node, ast.Node):
        return
    if isinstance(node, ast.FuncCall) and node.funcname:
        name = str(getattr(node.funcname[-1], "sval", "")).lower()
        if name not in _KNOWN_FUNCTIONS and not VOLATILE.search(name + "("):
            found.add(name)
    for slot in node.__slots__:
        value = getattr(node, slot, None)
        if isinstance(value, ast.Node | list | tuple):
            _calls(value, found)


def _sql(node: Any) -> str:
    from pglast.stream import RawStream

    return str(RawStream()(node))


def _rel(relation: object) -> str:
    return str(getattr(relation, "relname", "") or "")


def _dotted(names: Any) -> str:
    return ".".join(str(getattr(n, "sval", "")) for n in names or ())


def _offsets(sql: str) -> Callable[[int], int]:
    """Byte offset → character offset, in constant time for ASCII text (the usual case)."""
    if sql.isascii():
        return lambda b: b
    return lambda b: char_offset(sql, b)


def char_offset(sql: str, byte_offset: int) -> int:
    """pglast locations count UTF-8 bytes; Python strings count characters."""
    return len(sql.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def first_code_offset(sql: str, start: int) -> int:
    """Skip blank lines and comments so a finding's line points at the statement's keyword."""
    i = start
    n = len(sql)
    while i < n:
        if sql[i].isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i)
            i = n if j < 0 else j + 2
        else:
            break
    return i
