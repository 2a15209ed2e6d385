"""Migration lint: rules with stable ids for SQL that is dangerous on a live production database.

In the spirit of Squawk and strong_migrations. Works on hand-written files as well as on
planned ones: PostgreSQL is parsed with pglast (the server's own parser), SQLite and
MySQL/MariaDB with sqlglot. A statement about a table created earlier in the same file is
exempt from the locking rules (a new table is empty and unused).

Each rule's ``doc`` is the one line ``parity lint --rules`` prints.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from parity.errors import FileRefused, ParityError
from parity.model.findings import Finding, Severity
from parity.safefs import DEFAULT_MAX_FILE_BYTES, Repo, within


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    doc: str
    fix: str
    dialects: tuple[str, ...] = ()  # empty: every dialect


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "MIG000",
            "syntax-error",
            _E,
            "The file does not parse; nothing else can be checked.",
            "fix the SQL syntax",
        ),
        Rule(
            "MIG001",
            "drop-table",
            _E,
            "Dropping a table loses its data and breaks code still reading it.",
            "keep the table (expand/contract: stop using it first, drop it in a later, separate release)",
        ),
        Rule(
            "MIG002",
            "drop-column",
            _E,
            "Dropping a column loses its data and breaks running code that still selects it.",
            "keep the column; stop reading it in code first and drop it in a later release",
        ),
        Rule(
            "MIG003",
            "not-null-without-default",
            _E,
            "ADD COLUMN … NOT NULL without a DEFAULT fails on a table that has rows.",
            "add it nullable, backfill (`parity migrate new NAME --backfill TABLE.COL=EXPR`), then set NOT NULL",
        ),
        Rule(
            "MIG004",
            "index-without-concurrently",
            _W,
            "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds.",
            "use CREATE INDEX CONCURRENTLY in a `-- parity:no-transaction` migration",
        ),
        Rule(
            "MIG005",
            "constraint-without-not-valid",
            _W,
            "ADD FOREIGN KEY / CHECK validates every row under a lock that blocks writes.",
            "add it NOT VALID, then VALIDATE CONSTRAINT in a separate statement",
        ),
        Rule(
            "MIG006",
            "column-type-change",
            _W,
            "Changing a column's type (or redefining it with MODIFY/CHANGE) may rewrite the table under a lock.",
            "add a new column, backfill, switch the code, keep the old column",
        ),
        Rule(
            "MIG007",
            "rename",
            _W,
            "Renaming a column or table breaks every running instance still using the old name.",
            "add the new name, write to both, switch readers, keep the old one (expand/contract)",
        ),
        Rule(
            "MIG008",
            "volatile-default",
            _W,
            "A volatile DEFAULT (random(), clock_timestamp(), gen_random_uuid()) rewrites the table.",
            "add the column without default, backfill in batches, then set the default",
        ),
        Rule(
            "MIG009",
            "missing-lock-timeout",
            _W,
            "DDL without `SET lock_timeout` can queue behind a long query and block all traffic.",
            "start the migration with SET lock_timeout = '3s' (and statement_timeout)",
        ),
        Rule(
            "MIG010",
            "transaction-incompatible",
            _E,
            "CONCURRENTLY (and VACUUM) cannot run inside a transaction; parity runs a file in one.",
            "put the statement in its own migration starting with `-- parity:no-transaction`",
        ),
        Rule(
            "MIG011",
            "set-not-null",
            _W,
            "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.",
            "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL ≥ 12 skips the scan)",
        ),
        Rule(
            "MIG012",
            "add-unique-constraint",
            _W,
            "ADD UNIQUE / PRIMARY KEY builds an index while blocking writes.",
            "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX",
            ("postgres", "mysql"),
        ),
        Rule(
            "MIG013",
            "truncate",
            _E,
            "TRUNCATE deletes every row of a table.",
            "do not delete production data in a schema migration",
        ),
        Rule(
            "MIG014",
            "explicit-transaction",
            _W,
            "BEGIN/COMMIT inside a migration breaks parity's own per-migration transaction.",
            "remove them; parity runs each migration in a transaction (or none with `-- parity:no-transaction`)",
        ),
        Rule(
            "MIG015",
            "mysql-online-ddl",
            _I,
            "ALTER TABLE without ALGORITHM=INSTANT/INPLACE, LOCK=NONE may copy the table and block writes.",
            "add `, ALGORITHM=INSTANT` (or `ALGORITHM=INPLACE, LOCK=NONE`) so the server refuses a blocking plan",
            ("mysql",),
        ),
        Rule(
            "MIG016",
            "sqlite-add-column-refused",
            _E,
            "SQLite refuses ADD COLUMN with PRIMARY KEY/UNIQUE, NOT NULL without default, or a CURRENT_* default.",
            "use the 12-step table rebuild (parity's planner writes it)",
            ("sqlite",),
        ),
    )
}

_VOLATILE = re.compile(
    r"\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v[14]|nextval|uuid|rand|sys_guid)\s*\(",
    re.I,
)
_TRANSACTION_DIRECTIVE = "-- parity:no-transaction"


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: str
    message: str
    offset: int


def lint_sql(
    sql: str, dialect: str, *, file: str | None = None, transactional: bool | None = None
) -> tuple[Finding, ...]:
    """Lint one migration script. ``dialect`` is ``postgres``, ``sqlite`` or ``mysql``.

    ``transactional`` says whether parity will run it in a transaction; None reads the
    ``-- parity:no-transaction`` directive from the text.
    """
    if transactional is None:
        transactional = not any(line.strip().lower() == _TRANSACTION_DIRECTIVE for line in sql.splitlines())
    checker = _CHECKERS.get(dialect, _generic)
    hits = [
        h
        for h in checker(sql, dialect, transactional)
        if not RULES[h.rule].dialects or dialect in RULES[h.rule].dialects
    ]
    return tuple(_finding(h, sql, file) for h in sorted(hits, key=lambda h: (h.offset, h.rule)))


def lint_files(
    paths: Iterable[Path],
    dialect: str,
    root: Path | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> tuple[Finding, ...]:
    """Lint files; an unreadable file is a :class:`ParityError`.

    Files are read through safefs: a file below ``root`` may not link out of it, a file named outside
    it not out of its own folder; FIFOs, devices and files over ``max_file_bytes`` are refused.
    """
    out: list[Finding] = []
    real_root = os.path.realpath(root) if root is not None else None
    for path in paths:
        absolute = os.path.abspath(path)
        base = real_root if real_root and within(absolute, real_root) else os.path.dirname(absolute)
        try:
            text = Repo.at(base, max_file_bytes).read_text(absolute)
        except FileRefused as exc:
            raise ParityError(f"SQL file {exc.message}", file=path) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ParityError(f"cannot read SQL file: {exc}", file=path) from exc
        shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else str(path)
        out.extend(lint_sql(text, dialect, file=shown))
    return tuple(out)


def _finding(hit: _Hit, sql: str, file: str | None) -> Finding:
    rule = RULES[hit.rule]
    line = sql.count("\n", 0, max(hit.offset, 0)) + 1
    # skip the leading blank lines/comments of the statement so the line points at its keyword
    return Finding(
        rule.id,
        rule.severity,
        "lint",
        f"{rule.name}: {hit.message}",
        file=file,
        line=line,
        fix=rule.fix,
    )


def _first_code_offset(sql: str, start: int) -> int:
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


# --- PostgreSQL (pglast) ----------------------------------------------------------------------


def _postgres(sql: str, dialect: str, transactional: bool) -> Iterator[_Hit]:
    from pglast import ast, enums, parse_sql
    from pglast.parser import ParseError

    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        # pglast gives the error position (a byte offset) as the second argument.
        loc = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        yield _Hit("MIG000", str(exc.args[0]) if exc.args else str(exc), _char_offset(sql, max(loc - 1, 0)))
        return
    created: set[str] = set()
    validated: set[str] = set()
    lock_timeout_set = False
    in_explicit_tx = False
    warned_timeout = False
    for raw in stmts:
        stmt = raw.stmt
        off = _first_code_offset(sql, _char_offset(sql, raw.stmt_location or 0))
        if isinstance(stmt, ast.VariableSetStmt) and (stmt.name or "").lower() == "lock_timeout":
            lock_timeout_set = True
            continue
        if isinstance(stmt, ast.TransactionStmt):
            kind = stmt.kind
            if kind in (
                enums.TransactionStmtKind.TRANS_STMT_BEGIN,
                enums.TransactionStmtKind.TRANS_STMT_START,
            ):
                in_explicit_tx = True
                if transactional:
                    yield _Hit("MIG014", "BEGIN inside a migration parity already runs in a transaction", off)
            elif kind in (
                enums.TransactionStmtKind.TRANS_STMT_COMMIT,
                enums.TransactionStmtKind.TRANS_STMT_ROLLBACK,
            ):
                in_explicit_tx = False
                if transactional:
                    yield _Hit("MIG014", "COMMIT/ROLLBACK inside a migration", off)
            continue
        if isinstance(stmt, ast.CreateStmt):
            created.add(_rel(stmt.relation))
            continue
        touches_existing = False
        table = None
        if isinstance(stmt, ast.IndexStmt):
            table = _rel(stmt.relation)
            touches_existing = table not in created
            if stmt.concurrent and (transactional or in_explicit_tx):
                yield _Hit(
                    "MIG010", f"CREATE INDEX CONCURRENTLY {stmt.idxname or ''} runs inside a transaction", off
                )
            elif not stmt.concurrent and touches_existing:
                yield _Hit(
                    "MIG004",
                    f"index {stmt.idxname or ''} on existing table {table} built without CONCURRENTLY",
                    off,
                )
        elif isinstance(stmt, ast.DropStmt):
            names = [
                ".".join(getattr(p, "sval", "") for p in obj)
                for obj in stmt.objects or ()
                if isinstance(obj, tuple)
            ]
            if stmt.removeType == enums.ObjectType.OBJECT_TABLE:
                yield _Hit("MIG001", f"DROP TABLE {', '.join(names)}", off)
            elif (
                stmt.removeType == enums.ObjectType.OBJECT_INDEX
                and stmt.concurrent
                and (transactional or in_explicit_tx)
            ):
                yield _Hit("MIG010", "DROP INDEX CONCURRENTLY runs inside a transaction", off)
        elif isinstance(stmt, ast.TruncateStmt):
            yield _Hit("MIG013", "TRUNCATE " + ", ".join(r.relname for r in stmt.relations or ()), off)
        elif isinstance(stmt, ast.VacuumStmt) and (transactional or in_explicit_tx):
            yield _Hit("MIG010", "VACUUM runs inside a transaction", off)
        elif isinstance(stmt, ast.RenameStmt):
            if stmt.renameType in (enums.ObjectType.OBJECT_COLUMN, enums.ObjectType.OBJECT_TABLE) and (
                _rel(stmt.relation) not in created
            ):
                what = "column" if stmt.renameType == enums.ObjectType.OBJECT_COLUMN else "table"
                yield _Hit(
                    "MIG007", f"RENAME {what} {stmt.subname or _rel(stmt.relation)} to {stmt.newname}", off
                )
            table = _rel(stmt.relation) if stmt.relation else None
            touches_existing = table is not None and table not in created
        elif isinstance(stmt, ast.AlterTableStmt):
            table = _rel(stmt.relation)
            touches_existing = table not in created
            yield from _pg_alter(stmt, table, touches_existing, off, validated)
        if touches_existing and not lock_timeout_set and not warned_timeout:
            warned_timeout = True
            yield _Hit("MIG009", f"DDL on existing table {table} before any SET lock_timeout", off)


def _pg_alter(stmt: object, table: str, existing: bool, off: int, validated: set[str]) -> Iterator[_Hit]:
    """Checks of one ALTER TABLE; ``validated``: tables with a VALIDATE CONSTRAINT earlier in the
    file (a validated CHECK (col IS NOT NULL) makes SET NOT NULL skip its scan)."""
    from pglast import ast, enums

    assert isinstance(stmt, ast.AlterTableStmt)
    T = enums.AlterTableType
    C = enums.ConstrType
    for cmd in stmt.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        st = cmd.subtype
        if st == T.AT_DropColumn:
            yield _Hit("MIG002", f"DROP COLUMN {table}.{cmd.name}", off)
        elif st == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            col = cmd.def_
            cons = list(col.constraints or ())
            not_null = any(c.contype == C.CONSTR_NOTNULL for c in cons)
            default = next((c for c in cons if c.contype == C.CONSTR_DEFAULT), None)
            if not_null and default is None and existing:
                yield _Hit("MIG003", f"ADD COLUMN {table}.{col.colname} NOT NULL without DEFAULT", off)
            if default is not None and existing:
                from pglast.stream import RawStream

                text = RawStream()(default.raw_expr) if default.raw_expr is not None else ""
                if _VOLATILE.search(text):
                    yield _Hit("MIG008", f"ADD COLUMN {table}.{col.colname} DEFAULT {text}", off)
            if existing and any(c.contype in (C.CONSTR_UNIQUE, C.CONSTR_PRIMARY) for c in cons):
                yield _Hit("MIG012", f"ADD COLUMN {table}.{col.colname} with UNIQUE/PRIMARY KEY", off)
            if existing and any(c.contype == C.CONSTR_FOREIGN and not c.skip_validation for c in cons):
                yield _Hit("MIG005", f"ADD COLUMN {table}.{col.colname} REFERENCES … without NOT VALID", off)
        elif st == T.AT_AlterColumnType:
            yield _Hit("MIG006", f"ALTER COLUMN {table}.{cmd.name} TYPE", off)
        elif st == T.AT_ValidateConstraint:
            validated.add(table)
        elif st == T.AT_SetNotNull and existing and table not in validated:
            yield _Hit("MIG011", f"ALTER COLUMN {table}.{cmd.name} SET NOT NULL", off)
        elif st == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint) and existing:
            c = cmd.def_
            if c.contype in (C.CONSTR_FOREIGN, C.CONSTR_CHECK) and not c.skip_validation:
                kind = "FOREIGN KEY" if c.contype == C.CONSTR_FOREIGN else "CHECK"
                yield _Hit("MIG005", f"ADD {kind} {c.conname or ''} on {table} without NOT VALID", off)
            elif c.contype in (C.CONSTR_UNIQUE, C.CONSTR_PRIMARY) and not c.indexname:
                yield _Hit(
                    "MIG012", f"ADD UNIQUE/PRIMARY KEY {c.conname or ''} on {table} without USING INDEX", off
                )
        elif st == T.AT_ColumnDefault and cmd.def_ is not None:
            from pglast.stream import RawStream

            text = RawStream()(cmd.def_)
            if _VOLATILE.search(text):
                # Setting a default alone does not rewrite; reported because backfills often follow.
                yield _Hit("MIG008", f"SET DEFAULT {text} on {table}.{cmd.name}", off)


def _rel(relation: object) -> str:
    return str(getattr(relation, "relname", "") or "")


def _char_offset(sql: str, byte_offset: int) -> int:
    """pglast locations count UTF-8 bytes; Python strings count characters."""
    return len(sql.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


# --- SQLite and MySQL (sqlglot) --------------------------------------------------------------


def split_with_offsets(sql: str, dialect: str) -> list[tuple[int, str]]:
    """(offset, statement) pairs, split on top-level semicolons by sqlglot's tokenizer."""
    import sqlglot
    from sqlglot.tokens import TokenType

    tokens = sqlglot.tokenize(sql, read=dialect)
    out: list[tuple[int, str]] = []
    start: int | None = None
    depth = 0  # a trigger body (BEGIN … END) holds semicolons
    for tok in tokens:
        if tok.token_type == TokenType.BEGIN and start is not None:
            depth += 1
        elif tok.token_type == TokenType.END and depth:
            depth -= 1
        if tok.token_type == TokenType.SEMICOLON and depth == 0:
            if start is not None:
                out.append((start, sql[start : tok.start]))
            start = None
        elif start is None:
            start = tok.start
    if start is not None:
        out.append((start, sql[start:]))
    return out


def _generic(sql: str, dialect: str, transactional: bool) -> Iterator[_Hit]:
    import logging

    from sqlglot.errors import TokenError

    # sqlglot logs a warning for each statement it keeps as an opaque Command (triggers, PRAGMA).
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        pieces = split_with_offsets(sql, dialect)
    except TokenError as exc:
        yield _Hit("MIG000", str(exc), 0)
        return
    created: set[str] = set()
    dropped: list[tuple[str, int]] = []
    replaced: set[str] = set()
    yield from _generic_statements(pieces, dialect, transactional, created, dropped, replaced)
    for name, off in dropped:
        if name not in replaced:
            yield _Hit("MIG001", f"DROP TABLE {name}", off)


def _generic_statements(
    pieces: list[tuple[int, str]],
    dialect: str,
    transactional: bool,
    created: set[str],
    dropped: list[tuple[str, int]],
    replaced: set[str],
) -> Iterator[_Hit]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    for off, text in pieces:
        upper = " ".join(text.upper().split())
        if upper in ("BEGIN", "BEGIN TRANSACTION", "START TRANSACTION", "COMMIT", "ROLLBACK"):
            if transactional:
                yield _Hit("MIG014", f"{upper} inside a migration", off)
            continue
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except ParseError:
            # sqlglot does not know every extension (MariaDB's ADD INDEX IF NOT EXISTS …): a
            # statement it cannot parse is not proof of a syntax error, so it is left unchecked.
            continue
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                created.add(tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name)
            elif kind == "INDEX":
                table = tree.find(exp.Table)
                if table is not None and table.name not in created and "ALGORITHM" not in upper:
                    yield _Hit(
                        "MIG015", f"CREATE INDEX on existing table {table.name} without ALGORITHM/LOCK", off
                    )
        elif isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
            for t in tree.args.get("tables") or [tree.this]:
                dropped.append((t.name, off))
        elif isinstance(tree, exp.TruncateTable):
            yield _Hit("MIG013", "TRUNCATE " + ", ".join(t.name for t in tree.expressions), off)
        elif isinstance(tree, exp.Alter):
            table = tree.this.name
            existing = table not in created
            online = "ALGORITHM" in upper
            rename = next((a for a in tree.args.get("actions") or [] if isinstance(a, exp.AlterRename)), None)
            if rename is not None and not existing:
                # The 12-step rebuild: a new table copied from the old one takes its name.
                replaced.add(rename.this.name)
                continue
            for action in tree.args.get("actions") or []:
                yield from _generic_action(action, table, existing, dialect, off)
                if (
                    existing
                    and not online
                    and isinstance(action, exp.ColumnDef | exp.AddConstraint | exp.ModifyColumn)
                ):
                    online = True  # once per statement
                    yield _Hit(
                        "MIG015", f"ALTER TABLE {table} without ALGORITHM=INSTANT/INPLACE, LOCK=NONE", off
                    )


def _generic_action(action: object, table: str, existing: bool, dialect: str, off: int) -> Iterator[_Hit]:
    from sqlglot import exp

    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        for c in action.args.get("tables") or [action.this]:
            yield _Hit("MIG002", f"DROP COLUMN {table}.{c.name}", off)
    elif isinstance(action, exp.ColumnDef):
        kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
        not_null = any(
            isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds
        )
        default = next((k for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
        unique = any(
            isinstance(k, exp.UniqueColumnConstraint | exp.PrimaryKeyColumnConstraint) for k in kinds
        )
        name = action.name
        if not_null and default is None and existing:
            yield _Hit("MIG003", f"ADD COLUMN {table}.{name} NOT NULL without DEFAULT", off)
        dtext = default.this.sql(dialect) if default is not None and default.this is not None else ""
        if default is not None and _VOLATILE.search(dtext) and existing:
            yield _Hit("MIG008", f"ADD COLUMN {table}.{name} DEFAULT {dtext}", off)
        # MIG016 is declared for SQLite only; lint_sql drops it on the other dialects.
        current = default is not None and (
            isinstance(default.this, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime | exp.Paren)
            or dtext.upper().startswith("CURRENT_")
        )
        if unique or current or (not_null and (default is None or isinstance(default.this, exp.Null))):
            yield _Hit("MIG016", f"SQLite cannot ADD COLUMN {table}.{name} like this", off)
        if unique and existing:
            yield _Hit("MIG012", f"ADD COLUMN {table}.{name} with UNIQUE/PRIMARY KEY", off)
    elif isinstance(action, exp.ModifyColumn | exp.AlterColumn) and (
        isinstance(action, exp.ModifyColumn) or action.args.get("dtype") is not None
    ):
        yield _Hit("MIG006", f"column type change on {table}: {action.sql(dialect)}", off)
    elif isinstance(action, exp.RenameColumn):
        yield _Hit("MIG007", f"RENAME COLUMN {table}.{action.this.name}", off)
    elif isinstance(action, exp.AlterRename):
        yield _Hit("MIG007", f"RENAME TABLE {table}", off)


#: pglast for PostgreSQL (the server's own parser); sqlglot for the others.
_CHECKERS = {"postgres": _postgres}
