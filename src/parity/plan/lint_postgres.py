"""The PostgreSQL lint checker, on the server's own parser (libpg_query through pglast).

It walks the file once and keeps what a reviewer keeps in mind: which tables the file creates
(a new table is empty and unused, so the locking rules skip it), whether each statement runs in a
transaction (parity's own per-file one, or an explicit BEGIN in a ``no-transaction`` file), which
constraints were added NOT VALID in the current transaction, and which timeouts are set.

The tree is read as the parser's JSON (plain dicts, enum names as strings), not as pglast's
Python node objects: building those costs four times the parse itself, and a 10,000-statement
file is the size the lint is benchmarked at. pglast's nodes are built only to print a default
expression a finding quotes, one statement at a time.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

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
_SERIALS = frozenset({"serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"})

#: A JSON node: ``{"AlterTableStmt": {...fields}}`` where a field may hold any node type; a field
#: of one fixed type (a RangeVar relation, a TypeName) holds the fields alone.
Node = dict[str, Any]


@dataclass
class _State:
    transactional: bool
    pg_version: int | None
    source: bytes = b""
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
    validated_names: dict[str, set[str]] = field(default_factory=dict)  # table → constraints of earlier files
    qualified: list[tuple[str, int]] = field(default_factory=list)
    unqualified: list[tuple[str, int]] = field(default_factory=list)
    # The statement being checked, as (byte offset, byte length; 0: to the end), for printing.
    span: tuple[int, int] = (0, 0)
    printed: dict[str, str] = field(default_factory=dict)  # expression JSON → SQL text

    hits: list[Hit] = field(default_factory=list)

    @property
    def in_transaction(self) -> bool:
        return self.transactional or self.explicit_begin is not None

    def add(self, rule: str, message: str, offset: int, severity: Severity | None = None) -> None:
        # Hits go to a list, not through generators: a generator per statement and per clause
        # cost a tenth of the walk.
        self.hits.append(Hit(rule, message, offset, severity))


def check(sql: str, transactional: bool, pg_version: int | None = None) -> list[Hit]:
    from pglast.parser import ParseError, parse_sql_json

    try:
        stmts = json.loads(parse_sql_json(sql)).get("stmts", ())
    except ParseError as exc:
        # pglast gives the error position (a byte offset) as the second argument.
        loc = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        message = str(exc.args[0]) if exc.args else str(exc)
        return [Hit("MIG000", message, char_offset(sql, max(loc - 1, 0)))]
    st = _State(transactional, pg_version, sql.encode("utf-8"))
    to_char = _offsets(sql)
    for raw in stmts:
        location = raw.get("stmt_location", 0)
        st.span = (location, raw.get("stmt_len", 0))
        off = first_code_offset(sql, to_char(location))
        ((kind, stmt),) = raw["stmt"].items()
        _statement(kind, stmt, off, st)
    if st.explicit_begin is not None and not transactional:
        st.add(
            "MIG025",
            "BEGIN is never committed: the server rolls the file back when it ends",
            st.explicit_begin,
        )
    st.hits.extend(_long_identifiers(sql))
    if st.qualified and st.unqualified:
        name, off = st.unqualified[0]
        st.add("MIG038", f"{name} has no schema while {st.qualified[0][0]} has one", off)
    return st.hits


def _statement(kind: str, stmt: Node, off: int, st: _State) -> None:
    if kind == "VariableSetStmt":
        name = (stmt.get("name") or "").lower()
        st.lock_timeout |= name == "lock_timeout"
        st.statement_timeout |= name == "statement_timeout"
        return
    if kind == "TransactionStmt":
        _transaction(stmt, off, st)
        return
    if kind in ("VariableShowStmt", "SelectStmt", "InsertStmt", "DeleteStmt"):
        return
    if kind == "UpdateStmt":
        seen: set[str] = set()
        for target in _each(stmt.get("targetList")):
            name = target.get("name")
            if str(name) in seen:
                st.add("MIG029", f"UPDATE {_rel(stmt.get('relation'))} assigns {name} twice", off)
            seen.add(str(name))
        return
    _names(stmt, off, st)
    locks_existing, table = _ddl(kind, stmt, off, st)
    if locks_existing:
        _timeouts(table, off, st)


def _transaction(stmt: Node, off: int, st: _State) -> None:
    kind = stmt.get("kind")
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        if st.transactional:
            st.add("MIG014", "BEGIN inside a migration parity already runs in a transaction", off)
        elif st.explicit_begin is not None:
            st.add(
                "MIG025",
                "BEGIN while the transaction opened earlier is still open (a warning, then ignored)",
                off,
            )
        st.explicit_begin = off
        st.tx_serial += 1
    elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
        if st.transactional:
            st.add("MIG014", "COMMIT/ROLLBACK inside a migration", off)
        elif st.explicit_begin is None:
            st.add("MIG025", "COMMIT/ROLLBACK with no transaction open", off)
        st.explicit_begin = None
        st.tx_serial += 1


def _ddl(kind: str, stmt: Node, off: int, st: _State) -> tuple[bool, str | None]:
    """Checks of one schema statement; returns (whether it locks something that exists, its table)."""
    # The kinds are distinct: the most frequent one is tested first.
    if kind == "AlterTableStmt":
        table = _rel(stmt.get("relation"))
        existing = table not in st.created
        _alter(stmt, table, existing, off, st)
        return existing, table
    if kind == "CreateStmt":
        table = _rel(stmt.get("relation"))
        st.created.add(table)
        elements = list(_nodes(stmt.get("tableElts")))
        _column_types(st, elements, table, off, _pk_columns(elements))
        # A new table locks only the tables it references.
        refs = any(
            (k == "Constraint" and e.get("contype") == "CONSTR_FOREIGN")
            or (
                k == "ColumnDef"
                and any(c.get("contype") == "CONSTR_FOREIGN" for c in _each(e.get("constraints")))
            )
            for k, e in elements
        )
        if not stmt.get("if_not_exists") and not st.in_transaction:
            st.add("MIG035", f"CREATE TABLE {table} without IF NOT EXISTS", off)
        return refs, table
    if kind in ("CreateSchemaStmt", "CreateExtensionStmt", "CreateSeqStmt", "CreatedbStmt"):
        return False, None
    if kind == "CreateTableAsStmt":
        # A materialized view made in this file (a new one, or one made again around a change): its
        # indexes lock nothing anyone uses yet.
        st.created.add(_rel((stmt.get("into") or {}).get("rel")))
        return True, None  # it reads the tables it selects from, as before
    if kind == "IndexStmt":
        table = _rel(stmt.get("relation"))
        idxname = stmt.get("idxname")
        if idxname:
            st.created_indexes.add(idxname)
        existing = table not in st.created
        concurrent = stmt.get("concurrent", False)
        if concurrent and st.in_transaction:
            st.add("MIG010", f"CREATE INDEX CONCURRENTLY {idxname or ''} runs inside a transaction", off)
        elif not concurrent and existing and (stmt.get("relation") or {}).get("inh", False):
            # ON ONLY (inh false) builds nothing: it makes the partitioned parent's index, still
            # invalid, to which each partition's index (built CONCURRENTLY) is then attached.
            st.add(
                "MIG004",
                f"index {idxname or ''} on existing table {table} built without CONCURRENTLY",
                off,
            )
        if not stmt.get("if_not_exists") and not st.in_transaction and idxname:
            st.add("MIG035", f"CREATE INDEX {idxname} without IF NOT EXISTS", off)
        return existing, table
    if kind == "DropStmt":
        names = [
            ".".join(_str(p) for p in _each_raw(obj.get("items")))
            for k, obj in _nodes(stmt.get("objects"))
            if k == "List"
        ]
        remove = stmt.get("removeType")
        concurrent = stmt.get("concurrent", False)
        if remove == "OBJECT_TABLE":
            st.add("MIG001", f"DROP TABLE {', '.join(names)}", off)
        elif remove == "OBJECT_INDEX":
            if concurrent and st.in_transaction:
                st.add("MIG010", "DROP INDEX CONCURRENTLY runs inside a transaction", off)
            elif not concurrent and not set(n.split(".")[-1] for n in names) <= st.created_indexes:
                st.add("MIG018", f"DROP INDEX {', '.join(names)} without CONCURRENTLY", off)
        if not stmt.get("missing_ok") and not st.in_transaction:
            st.add("MIG035", f"DROP {', '.join(names)} without IF EXISTS", off)
        # Dropping what this file created locks nothing that exists.
        made_here = {n.split(".")[-1] for n in names} <= (st.created | st.created_indexes)
        return not made_here, names[0] if names else None
    if kind == "DropdbStmt":
        st.add("MIG023", f"DROP DATABASE {stmt.get('dbname')}", off)
        return True, None
    if kind == "TruncateStmt":
        tables = ", ".join(_rel(r) for r in _each(stmt.get("relations")))
        if stmt.get("behavior") == "DROP_CASCADE":
            st.add("MIG013", f"TRUNCATE {tables} CASCADE also empties every table that references it", off)
        else:
            st.add("MIG013", f"TRUNCATE {tables} deletes every row", off, Severity.INFO)
        return True, tables
    if kind == "VacuumStmt":
        options = {o.get("defname", "") for o in _each(stmt.get("options"))}
        tables = ", ".join(
            _rel(r["relation"]) for r in _each(stmt.get("rels")) if r.get("relation") is not None
        )
        vacuum = stmt.get("is_vacuumcmd", False)
        if vacuum and "full" in options:
            st.add("MIG021", f"VACUUM FULL {tables}".rstrip(), off)
        if st.in_transaction and vacuum:
            st.add("MIG010", "VACUUM runs inside a transaction", off)
        return True, tables or None
    if kind == "ClusterStmt":
        table = _rel(stmt.get("relation"))
        st.add("MIG021", f"CLUSTER {table}".rstrip(), off)
        return True, table or None
    if kind == "ReindexStmt":
        concurrent = any(p.get("defname", "") == "concurrently" for p in _each(stmt.get("params")))
        what = _rel(stmt["relation"]) if stmt.get("relation") is not None else (stmt.get("name") or "")
        if concurrent and st.in_transaction:
            st.add("MIG010", f"REINDEX CONCURRENTLY {what} runs inside a transaction", off)
        elif not concurrent:
            st.add("MIG019", f"REINDEX {what} without CONCURRENTLY", off)
        return True, what
    if kind == "AlterDomainStmt":
        # Added NOT VALID, the check holds for new values at once and VALIDATE scans the old ones later.
        constraint = (stmt.get("def") or {}).get("Constraint") or {}
        if stmt.get("subtype") == "C" and not constraint.get("skip_validation", False):
            st.add("MIG022", f"ALTER DOMAIN {_dotted(stmt.get('typeName'))} ADD CONSTRAINT", off)
        return True, None
    if kind == "CreateDomainStmt":
        if any(c.get("contype") == "CONSTR_CHECK" for c in _each(stmt.get("constraints"))):
            st.add("MIG022", f"CREATE DOMAIN {_dotted(stmt.get('domainname'))} with a CHECK", off)
        return False, None
    if kind == "AlterEnumStmt":
        new, neighbor = stmt.get("newVal"), stmt.get("newValNeighbor")
        if neighbor:
            where = "AFTER" if stmt.get("newValIsAfter") else "BEFORE"
            st.add("MIG037", f"ADD VALUE '{new}' {where} '{neighbor}'", off)
        if new and st.in_transaction and st.pg_version is not None and st.pg_version < 12:
            st.add("MIG010", "ALTER TYPE … ADD VALUE cannot run in a transaction before PostgreSQL 12", off)
        return True, None
    if kind == "RenameStmt":
        renamed: str | None = _rel(stmt["relation"]) if stmt.get("relation") else None
        rtype = stmt.get("renameType")
        if rtype in ("OBJECT_COLUMN", "OBJECT_TABLE") and renamed not in st.created:
            what = "column" if rtype == "OBJECT_COLUMN" else "table"
            st.add("MIG007", f"RENAME {what} {stmt.get('subname') or renamed} to {stmt.get('newname')}", off)
        return renamed is not None and renamed not in st.created, renamed
    # Everything else (CREATE TYPE, COMMENT, LOCK TABLE, CREATE/DROP of other objects, GRANT…)
    # takes a lock on something that exists.
    return True, None


def _timeouts(table: str | None, off: int, st: _State) -> None:
    what = f"on {table} " if table else ""
    if not st.lock_timeout and not st.warned_lock:
        st.warned_lock = True
        st.add("MIG009", f"a statement {what}takes a lock before any SET lock_timeout", off)
    if not st.statement_timeout and not st.warned_statement:
        st.warned_statement = True
        st.add("MIG017", f"a statement {what}takes a lock before any SET statement_timeout", off)


def _alter(stmt: Node, table: str, existing: bool, off: int, st: _State) -> None:
    for index, (kind, cmd) in enumerate(_nodes(stmt.get("cmds"))):
        if kind != "AlterTableCmd":
            continue
        sub = cmd.get("subtype")
        name = cmd.get("name") or ""
        definition = cmd.get("def")
        def_kind, def_ = next(iter(definition.items())) if definition else ("", {})
        if sub == "AT_DropColumn":
            st.add("MIG002", f"DROP COLUMN {table}.{cmd.get('name')}", off)
        elif sub == "AT_AddColumn" and def_kind == "ColumnDef":
            _add_column(cmd, def_, index, table, existing, off, st)
        elif sub == "AT_AlterColumnType":
            st.add("MIG006", f"ALTER COLUMN {table}.{cmd.get('name')} TYPE", off)
        elif sub == "AT_ValidateConstraint":
            added_in = st.not_valid.get((table, name))
            if added_in is not None and st.in_transaction and added_in == st.tx_serial:
                st.add(
                    "MIG026",
                    f"VALIDATE CONSTRAINT {cmd.get('name')} in the transaction that added it NOT VALID",
                    off,
                )
            column = st.not_null_checks.get((table, name))
            if column is not None:
                st.validated_columns.add((table, column))
            elif (table, name) not in st.not_valid:
                # Added by an earlier migration: a constraint named after a column is taken as its
                # NOT NULL proof (parity's planner names it <table>_<column>_not_null).
                st.validated_names.setdefault(table, set()).add(name)
        elif sub == "AT_SetNotNull" and existing:
            skips_scan = st.pg_version is None or st.pg_version >= 12
            proven = (table, name) in st.validated_columns or any(
                f"_{name}_" in f"_{n}_" for n in st.validated_names.get(table, ())
            )
            if not (skips_scan and proven):
                st.add("MIG011", f"ALTER COLUMN {table}.{cmd.get('name')} SET NOT NULL", off)
        elif sub == "AT_DropNotNull" and existing:
            st.add("MIG024", f"ALTER COLUMN {table}.{cmd.get('name')} DROP NOT NULL", off)
        elif sub == "AT_DetachPartition" and existing:
            concurrent = bool(def_.get("concurrent", False))
            part = _rel(def_.get("name"))
            if concurrent and st.in_transaction:
                st.add("MIG010", f"DETACH PARTITION {part} CONCURRENTLY runs inside a transaction", off)
            elif not concurrent:
                st.add("MIG020", f"DETACH PARTITION {part} from {table} without CONCURRENTLY", off)
        elif sub == "AT_AddConstraint" and def_kind == "Constraint":
            _add_constraint(def_, table, existing, off, st)
        elif sub == "AT_ColumnDefault" and definition and _volatile(_called(definition)):
            # Setting a default alone does not rewrite; reported because backfills often follow.
            text = _printed(st, definition, ("cmds", index, "def_"))
            st.add("MIG008", f"SET DEFAULT {text} on {table}.{cmd.get('name')}", off)


def _add_constraint(c: Node, table: str, existing: bool, off: int, st: _State) -> None:
    contype = c.get("contype")
    conname = c.get("conname")
    not_valid = c.get("skip_validation", False)
    column = _not_null_check_column(c) if contype == "CONSTR_CHECK" else None
    if conname and column is not None:
        st.not_null_checks[(table, conname)] = column
        if not not_valid:
            st.validated_columns.add((table, column))
    if not_valid and conname and st.in_transaction:
        st.not_valid[(table, conname)] = st.tx_serial
    if not existing:
        return
    if contype in ("CONSTR_FOREIGN", "CONSTR_CHECK") and not not_valid:
        what = "FOREIGN KEY" if contype == "CONSTR_FOREIGN" else "CHECK"
        st.add("MIG005", f"ADD {what} {conname or ''} on {table} without NOT VALID", off)
    elif contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not c.get("indexname"):
        st.add("MIG012", f"ADD UNIQUE/PRIMARY KEY {conname or ''} on {table} without USING INDEX", off)


def _add_column(cmd: Node, col: Node, index: int, table: str, existing: bool, off: int, st: _State) -> None:
    cons = list(_each(col.get("constraints")))
    kinds = {c.get("contype") for c in cons}
    position = next((i for i, c in enumerate(cons) if c.get("contype") == "CONSTR_DEFAULT"), None)
    # An unset identity/generated attribute is absent (or a NUL character).
    generated = "CONSTR_GENERATED" in kinds or (col.get("generated") or "\x00") != "\x00"
    fills = generated or "CONSTR_IDENTITY" in kinds or (col.get("identity") or "\x00") != "\x00"
    colname = col.get("colname") or ""
    name = f"{table}.{col.get('colname')}"
    _column_types(st, (("ColumnDef", col),), table, off, {colname} if "CONSTR_PRIMARY" in kinds else set())
    if not cmd.get("missing_ok") and not st.in_transaction:
        st.add("MIG035", f"ADD COLUMN {name} without IF NOT EXISTS", off)
    if not existing:
        return
    if "CONSTR_NOTNULL" in kinds and position is None and not fills:
        st.add("MIG003", f"ADD COLUMN {name} NOT NULL without DEFAULT", off)
    if fills:
        what = "STORED generated" if generated else "identity"
        st.add("MIG027", f"ADD COLUMN {name} as an {what} column", off)
    if position is not None:
        expr = cons[position].get("raw_expr")
        called = _called(expr) if expr is not None else []
        unknown = sorted(_unknown_functions(called))
        volatile = _volatile(called)
        if volatile or unknown or (st.pg_version is not None and st.pg_version < 11):
            text = (
                _printed(st, expr, ("cmds", index, "def_", "constraints", position, "raw_expr"))
                if expr is not None
                else ""
            )
            if volatile:
                st.add("MIG008", f"ADD COLUMN {name} DEFAULT {text}", off)
            elif unknown:
                st.add(
                    "MIG008",
                    f"ADD COLUMN {name} DEFAULT {text}: {', '.join(unknown)}() may be volatile (rewrite)",
                    off,
                )
            else:
                st.add("MIG028", f"ADD COLUMN {name} DEFAULT {text} on PostgreSQL {st.pg_version}", off)
    if kinds & {"CONSTR_UNIQUE", "CONSTR_PRIMARY"}:
        st.add("MIG012", f"ADD COLUMN {name} with UNIQUE/PRIMARY KEY", off)
    if any(c.get("contype") == "CONSTR_FOREIGN" and not c.get("skip_validation") for c in cons):
        st.add("MIG005", f"ADD COLUMN {name} REFERENCES … without NOT VALID", off)


def _column_types(st: _State, elements: Any, table: str, off: int, pk: set[str]) -> None:
    for kind, e in elements:
        if kind != "ColumnDef" or e.get("typeName") is None:
            continue
        names = e["typeName"].get("names")
        base = _str(names[-1]).lower() if names else ""
        colname = e.get("colname") or ""
        name = f"{table}.{colname}"
        if base == "varchar" and e["typeName"].get("typmods"):
            st.add("MIG030", f"{name} is varchar(n)", off)
        elif base == "bpchar":
            st.add("MIG034", f"{name} is char(n)", off)
        elif base == "timestamp":
            st.add("MIG031", f"{name} is timestamp without time zone", off)
        if base in _SERIALS:
            st.add("MIG033", f"{name} is {base}", off)
        if base in _KEY_INTS and (
            colname in pk
            or colname == "id"
            or colname.endswith("_id")
            or any(
                c.get("contype") in ("CONSTR_PRIMARY", "CONSTR_FOREIGN") for c in _each(e.get("constraints"))
            )
        ):
            st.add("MIG032", f"key {name} is {_KEY_INTS[base]}", off)


def _pk_columns(elements: list[tuple[str, Node]]) -> set[str]:
    out: set[str] = set()
    for kind, e in elements:
        if kind == "Constraint" and e.get("contype") == "CONSTR_PRIMARY":
            out.update(_str(k) for k in _each_raw(e.get("keys")))
    return out


def _names(stmt: Node, off: int, st: _State) -> None:
    """Which table the statement is about, with a schema or without (MIG038). Only the statement's
    own relation: walking the whole tree costs more than the rest of the lint together."""
    relation = stmt.get("relation")
    if isinstance(relation, dict) and "inh" in relation:  # a RangeVar (relname may be absent)
        (st.qualified if relation.get("schemaname") else st.unqualified).append(
            (relation.get("relname") or "", off)
        )


def _nodes(items: Any) -> Iterator[tuple[str, Node]]:
    """(node type, fields) of each item of a list field."""
    for item in items or ():
        yield next(iter(item.items()))


def _each(items: Any) -> Iterator[Node]:
    """The fields of each item of a list field (its items are all of one node type)."""
    for item in items or ():
        yield next(iter(item.values()))


def _each_raw(items: Any) -> Iterator[Node]:
    yield from items or ()


def _str(node: Any) -> str:
    """The text of a ``String`` node."""
    return str(node.get("String", {}).get("sval", "")) if isinstance(node, dict) else ""


def _rel(relation: Any) -> str:
    if isinstance(relation, dict) and "RangeVar" in relation:
        relation = relation["RangeVar"]
    return str(relation.get("relname", "") or "") if isinstance(relation, dict) else ""


def _dotted(names: Any) -> str:
    return ".".join(_str(n) for n in names or ())


def _volatile(called: list[str]) -> bool:
    """Whether any of the functions an expression calls is volatile."""
    return any(map(_is_volatile, called))


def _unknown_functions(called: list[str]) -> set[str]:
    return {name for name in called if name not in _KNOWN_FUNCTIONS and not _is_volatile(name)}


@functools.lru_cache(maxsize=1024)
def _is_volatile(name: str) -> bool:
    # Once per function name: a migration file calls the same few in thousands of defaults.
    return VOLATILE.search(name + "(") is not None


def _called(expr: Any) -> list[str]:
    """Names of the functions an expression calls, nested calls included, lower-cased."""
    names: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            call = node.get("FuncCall")
            if isinstance(call, dict) and call.get("funcname"):
                names.append(_str(call["funcname"][-1]).lower())
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(node)
    return names


_LOCATION = re.compile(r"'location': -?\d+")


def _printed(st: _State, expr: Node, path: tuple[str | int, ...]) -> str:
    """SQL text of ``expr`` of the current statement, by pglast's printer. Its Python tree is
    built for this statement only (``path``: the attributes and indexes from the statement node
    to the expression), and once per distinct expression: migrations repeat the same default
    (gen_random_uuid()) many times."""
    plain = _plain_call(expr)
    if plain is not None:
        return plain
    key = _LOCATION.sub("", repr(expr))  # the parser's key order is fixed: the repr is the shape
    text = st.printed.get(key)
    if text is None:
        from pglast import parse_sql
        from pglast.stream import RawStream

        start, length = st.span
        piece = st.source[start : start + length if length else None].decode("utf-8")
        node: Any = parse_sql(piece)[0].stmt
        for step in path:
            node = node[step] if isinstance(step, int) else getattr(node, step)
        text = st.printed[key] = str(RawStream()(node))
    return text


#: Functions whose call without arguments pglast prints as ``name()``; the default a migration most
#: often adds is one of them, and pglast's printer takes a twentieth of a lint run to load.
PLAIN_CALLS = frozenset(
    {
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "random",
        "clock_timestamp",
        "timeofday",
        "now",
    }
)


def _plain_call(expr: Any) -> str | None:
    """``name()`` for a bare call of one of :data:`PLAIN_CALLS` (no schema, arguments, star,
    window, filter or order), as pglast prints it (tests/test_lint_fast_paths.py); else None."""
    call = expr.get("FuncCall") if isinstance(expr, dict) else None
    if not isinstance(call, dict) or call.keys() - {"funcname", "funcformat", "location"}:
        return None
    names = call.get("funcname") or []
    name = _str(names[0]) if len(names) == 1 else ""
    if name in PLAIN_CALLS and call.get("funcformat") == "COERCE_EXPLICIT_CALL":
        return name + "()"
    return None


#: A run of identifier characters long enough to be over the limit; without one (and without a
#: quoted identifier) the file has no long identifier and is not tokenized a second time.
_LONG_WORD = re.compile(rf"[A-Za-z0-9_$]{{{_IDENT_LIMIT + 1},}}")


def _long_identifiers(sql: str) -> Iterator[Hit]:
    """Identifiers over 63 bytes, read from the tokens: the parser has already cut them.
    The limit is in UTF-8 bytes (NAMEDATALEN), the scanner's positions in characters."""
    from pglast.parser import scan

    if sql.isascii() and '"' not in sql and not _LONG_WORD.search(sql):
        return
    seen: set[str] = set()
    for tok in scan(sql):
        if tok.name != "IDENT":
            continue
        word = sql[tok.start : tok.end + 1].strip('"')
        size = len(word.encode("utf-8"))
        if size > _IDENT_LIMIT and word not in seen:
            seen.add(word)
            yield Hit("MIG036", f"{word[:40]}… is {size} bytes", tok.start)


def _not_null_check_column(c: Node) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)``, else None."""
    test = (c.get("raw_expr") or {}).get("NullTest")
    if test and test.get("nulltesttype") == "IS_NOT_NULL":
        ref = (test.get("arg") or {}).get("ColumnRef")
        if ref and ref.get("fields"):
            return _str(ref["fields"][-1]) or None
    return None


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
