"""The SQLite and MySQL/MariaDB lint checker, on sqlglot's tree (each dialect's own grammar)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from parity.model.findings import Severity
from parity.plan.lint_rules import VOLATILE, Hit
from parity.plan.sqlite_uses import ColumnUses, record_index, record_table, record_trigger, record_view


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


@dataclass
class _State:
    """What the file has shown so far."""

    dialect: str
    transactional: bool
    created: set[str] = field(default_factory=set)
    dropped: list[tuple[str, int]] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)
    # SQLite: what uses each column (DROP COLUMN fails on a used one), from this file and the
    # files applied before it (lint.lint_files reads its folder).
    uses: ColumnUses = field(default_factory=ColumnUses)
    # MySQL: SET foreign_key_checks = 0 lets ADD FOREIGN KEY run in place (no copy).
    fk_checks: bool = True
    open_begin: int | None = None


def check(sql: str, dialect: str, transactional: bool, earlier: ColumnUses | None = None) -> Iterator[Hit]:
    """The hits of ``sql``; ``earlier``: what the files before it left in a SQLite schema."""
    import logging

    from sqlglot.errors import TokenError

    # sqlglot logs a warning for each statement it keeps as an opaque Command (triggers, PRAGMA).
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        pieces = split_with_offsets(sql, dialect)
    except TokenError as exc:
        yield Hit("MIG000", str(exc), 0)
        return
    st = _State(dialect, transactional, uses=earlier.copy() if earlier is not None else ColumnUses())
    yield from _generic_statements(pieces, st)
    if st.open_begin is not None and not transactional:
        yield Hit(
            "MIG025", "BEGIN is never committed: the server rolls the file back when it ends", st.open_begin
        )
    for name, off in st.dropped:
        if name not in st.replaced:
            yield Hit("MIG001", f"DROP TABLE {name}", off)


def schema_after(sql: str, before: ColumnUses, origin: str) -> ColumnUses:
    """What a SQLite file leaves in the schema after ``before``; each use it records says it is
    from ``origin``. A file that does not tokenize leaves ``before`` as it was."""
    import logging

    from sqlglot.errors import TokenError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # as check() does
    try:
        pieces = split_with_offsets(sql, "sqlite")
    except TokenError:
        return before
    st = _State("sqlite", True, uses=before.copy(origin))
    for _ in _generic_statements(pieces, st):
        pass
    st.uses.origin = None
    return st.uses


def _generic_statements(pieces: list[tuple[int, str]], st: _State) -> Iterator[Hit]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    dialect = st.dialect
    for off, text in pieces:
        upper = " ".join(text.upper().split())
        if upper in ("BEGIN", "BEGIN TRANSACTION", "START TRANSACTION", "COMMIT", "ROLLBACK"):
            opens = upper.startswith(("BEGIN", "START"))
            if st.transactional:
                yield Hit("MIG014", f"{upper} inside a migration", off)
            elif opens and st.open_begin is not None:
                yield Hit("MIG025", f"{upper} while the transaction opened earlier is still open", off)
            elif not opens and st.open_begin is None:
                yield Hit("MIG025", f"{upper} with no transaction open", off)
            st.open_begin = off if opens else None
            continue
        if dialect == "sqlite" and upper.startswith("CREATE") and " TRIGGER " in upper[:40]:
            record_trigger(st.uses, upper)
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except ParseError:
            # sqlglot does not know every extension (MariaDB's ADD INDEX IF NOT EXISTS …): a
            # statement it cannot parse is not proof of a syntax error, so it is left unchecked.
            continue
        if isinstance(tree, exp.Create):
            yield from _create(tree, upper, off, st)
        elif isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
            for t in tree.args.get("tables") or [tree.this]:
                st.dropped.append((t.name, off))
                st.uses.drop_table(t.name)
        elif isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() in ("DATABASE", "SCHEMA"):
            if dialect == "mysql" or (tree.args.get("kind") or "").upper() == "DATABASE":
                kind = (tree.args.get("kind") or "").upper()
                yield Hit("MIG023", f"DROP {kind} {_dropped_name(tree)}", off)
        elif (
            isinstance(tree, exp.Drop)
            and (tree.args.get("kind") or "").upper() == "INDEX"
            and dialect == "mysql"
        ):
            if "ALGORITHM" not in upper:
                yield Hit("MIG015", f"DROP INDEX {_dropped_name(tree)} without ALGORITHM/LOCK", off)
        elif isinstance(tree, exp.Drop) and (kind := (tree.args.get("kind") or "").upper()) in _FREES:
            for t in tree.args.get("tables") or [tree.this]:
                st.uses.forget(f"{_FREES[kind]}:{t.name.lower()}")
        elif isinstance(tree, exp.TruncateTable):
            tables = ", ".join(t.name for t in tree.expressions)
            yield Hit("MIG013", f"TRUNCATE {tables} deletes every row", off, Severity.INFO)
        elif isinstance(tree, exp.Set) and dialect == "mysql":
            setting = _FK_CHECKS.search(upper)
            if setting:
                st.fk_checks = setting.group(1) not in ("0", "OFF", "FALSE")
        elif isinstance(tree, exp.Command):
            yield from _command(tree, upper, off, st)
        elif isinstance(tree, exp.Alter):
            yield from _alter(tree, off, st)


#: DROP INDEX/VIEW/TRIGGER: the key of the object in :class:`ColumnUses` (DROP INDEX on MySQL
#: was handled above, where it is a rule of its own).
_FREES = {"INDEX": "index", "VIEW": "view", "TRIGGER": "trigger"}
#: ``SET [SESSION|@@session.]foreign_key_checks = 0`` (upper-cased, spaces squeezed).
_FK_CHECKS = re.compile(r"FOREIGN_KEY_CHECKS\s*=\s*'?(\w+)")
#: Statements sqlglot keeps as text: their table and the part that matters, upper-cased.
_FULLTEXT_INDEX = re.compile(r"^CREATE (FULLTEXT|SPATIAL) INDEX \S+ ON `?([\w$]+)`?")
_RENAME_TABLE = re.compile(r"^RENAME TABLE `?([\w$]+)`?")
_CONVERT = re.compile(r"^ALTER TABLE `?([\w$]+)`? .*CONVERT TO CHARACTER SET")
_SQLITE_MODIFY = re.compile(r"^ALTER TABLE \S+ (MODIFY|CHANGE)\b")
_ONLINE = re.compile(r"\bALGORITHM\s*=?\s*INSTANT\b|\bLOCK\s*=?\s*NONE\b")


def _create(tree: object, upper: str, off: int, st: _State) -> Iterator[Hit]:
    from sqlglot import exp

    assert isinstance(tree, exp.Create)
    kind = (tree.args.get("kind") or "").upper()
    if kind == "TABLE":
        name = tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name
        st.created.add(name)
        if isinstance(tree.this, exp.Schema) and st.dialect == "sqlite":
            record_table(st.uses, tree.this)
    elif kind == "VIEW" and st.dialect == "sqlite" and tree.expression is not None:
        record_view(st.uses, tree.this.name, tree.expression)
    elif kind == "INDEX":
        table = tree.find(exp.Table)
        if table is None:
            return
        if isinstance(tree.this, exp.Index) and st.dialect == "sqlite":
            record_index(st.uses, tree.this, table.name)
        if st.dialect == "mysql" and table.name not in st.created and "ALGORITHM" not in upper:
            yield Hit("MIG015", f"CREATE INDEX on existing table {table.name} without ALGORITHM/LOCK", off)


def _command(tree: object, upper: str, off: int, st: _State) -> Iterator[Hit]:
    """Statements sqlglot does not parse (kept as text) that still matter on MySQL/MariaDB."""
    if st.dialect == "sqlite" and _SQLITE_MODIFY.match(upper):
        yield Hit("MIG040", "SQLite has no MODIFY/CHANGE COLUMN", off)
    if st.dialect != "mysql":
        return
    if m := _RENAME_TABLE.match(upper):
        if m.group(1).lower() not in {c.lower() for c in st.created}:
            yield Hit("MIG007", f"RENAME TABLE {m.group(1).lower()}", off)
    elif (m := _FULLTEXT_INDEX.match(upper)) and not _ONLINE.search(upper):
        if m.group(2).lower() not in {c.lower() for c in st.created}:
            yield Hit(
                "MIG039",
                f"CREATE {m.group(1)} INDEX on {m.group(2).lower()} blocks writes while it builds",
                off,
            )
    elif (
        (m := _CONVERT.match(upper))
        and not _ONLINE.search(upper)
        and m.group(1).lower() not in {c.lower() for c in st.created}
    ):
        yield Hit(
            "MIG039",
            f"ALTER TABLE {m.group(1).lower()} CONVERT TO CHARACTER SET rewrites every text column "
            "(a table copy when the character set changes)",
            off,
        )


def _alter(tree: object, off: int, st: _State) -> Iterator[Hit]:
    from sqlglot import exp

    assert isinstance(tree, exp.Alter)
    dialect = st.dialect
    table = tree.this.name
    existing = table not in st.created
    actions = tree.args.get("actions") or []
    rename = next((a for a in actions if isinstance(a, exp.AlterRename)), None)
    if rename is not None:
        st.uses.rename_table(table, rename.this.name)
    if rename is not None and not existing:
        # The 12-step rebuild: a new table copied from the old one takes its name.
        st.replaced.add(rename.this.name)
        return
    for action in actions:
        yield from _generic_action(action, table, existing, dialect, off)
        if dialect == "sqlite":  # a refusal, not a lock: new tables too
            yield from _sqlite_action(action, table, off, st)
    if dialect != "mysql" or not existing:
        return
    options = {type(o).__name__: str(o.this).upper() for o in tree.args.get("options") or []}
    algorithm, lock = options.get("AlgorithmProperty"), options.get("LockProperty")
    older = "refuse it (ALGORITHM=INSTANT)" if algorithm == "INSTANT" else "rebuild the table"
    for action in actions:
        position = action.args.get("position") if isinstance(action, exp.ColumnDef) else None
        if position is not None:
            # parity has no MySQL version setting: a note, true of the older servers it names.
            after = position.args.get("this")
            where = f"AFTER {after.name}" if after is not None else str(position.args.get("position"))
            yield Hit(
                "MIG041",
                f"ADD COLUMN {table}.{action.name} {where}: instant only from MySQL 8.0.29 / MariaDB 10.4,"
                f" older servers {older}",
                off,
            )
    reasons = [r for a in actions if (r := _mysql_copy_reason(a, actions, st)) is not None]
    if algorithm == "COPY" or lock in ("SHARED", "EXCLUSIVE"):
        what = f"ALGORITHM={algorithm}" if algorithm == "COPY" else f"LOCK={lock}"
        yield Hit("MIG039", f"ALTER TABLE {table} asks for {what}: writes wait until it ends", off)
    elif reasons and algorithm != "INSTANT" and lock != "NONE":
        yield Hit("MIG039", f"ALTER TABLE {table}: {'; '.join(reasons)}", off)
    elif (
        algorithm is None
        and lock is None
        and any(isinstance(a, exp.ColumnDef | exp.AddConstraint | exp.ModifyColumn) for a in actions)
    ):
        yield Hit("MIG015", f"ALTER TABLE {table} without ALGORITHM=INSTANT/INPLACE, LOCK=NONE", off)


def _mysql_copy_reason(action: object, actions: list[object], st: _State) -> str | None:
    """Why MySQL/MariaDB cannot run ``action`` in place without blocking writes, or None.
    The cases MariaDB refuses with ``ALGORITHM=INPLACE, LOCK=NONE`` (tests/test_lint_families.py)."""
    from sqlglot import exp

    # MODIFY/CHANGE copies the table only when the type or character set changes, which the file
    # alone does not show (a new default or NULL is instant): column-type-change (MIG006) says "may".
    if isinstance(action, exp.DropPrimaryKey):
        adds_pk = any(isinstance(a, exp.AddConstraint) and a.find(exp.PrimaryKey) for a in actions)
        return None if adds_pk else "DROP PRIMARY KEY without a new one copies the table"
    if isinstance(action, exp.ColumnDef):
        computed = action.find(exp.ComputedColumnConstraint)
        if computed is not None and computed.args.get("persisted"):
            return f"ADD COLUMN {action.name} … STORED copies the table"
        return None
    if isinstance(action, exp.AddConstraint):
        if action.find(exp.ForeignKey) is not None and st.fk_checks:
            return "ADD FOREIGN KEY copies the table while foreign_key_checks is on"
        if action.find(exp.CheckColumnConstraint) is not None:
            return "ADD CHECK copies the table"
        index = action.find(exp.IndexColumnConstraint)
        kind = str(index.args.get("kind") or "").upper() if index is not None else ""
        if kind in ("FULLTEXT", "SPATIAL"):
            return f"ADD {kind} INDEX blocks writes while it builds"
    return None


def _sqlite_action(action: object, table: str, off: int, st: _State) -> Iterator[Hit]:
    """ALTER TABLE forms SQLite refuses (checked against sqlite3 in tests/test_lint_families.py)."""
    from sqlglot import exp

    if isinstance(action, exp.AlterColumn):
        yield Hit("MIG040", f"SQLite has no ALTER COLUMN ({table}.{action.name})", off)
    elif isinstance(action, exp.AddConstraint):
        yield Hit("MIG040", f"SQLite cannot ADD CONSTRAINT to {table}", off)
    elif isinstance(action, exp.Drop):
        kind = (action.args.get("kind") or "").upper()
        if kind == "CONSTRAINT":
            yield Hit("MIG040", f"SQLite cannot DROP CONSTRAINT of {table}", off)
        elif kind == "COLUMN":
            for c in action.args.get("tables") or [action.this]:
                why = st.uses.why(table, c.name)
                if why:
                    yield Hit("MIG040", f"SQLite refuses DROP COLUMN {table}.{c.name}: {'; '.join(why)}", off)
                else:
                    st.uses.drop_column(table, c.name)
    elif isinstance(action, exp.RenameColumn):
        st.uses.rename_column(table, action.this.name, action.args["to"].name)


def _generic_action(action: object, table: str, existing: bool, dialect: str, off: int) -> Iterator[Hit]:
    from sqlglot import exp

    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        for c in action.args.get("tables") or [action.this]:
            yield Hit("MIG002", f"DROP COLUMN {table}.{c.name}", off)
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
            yield Hit("MIG003", f"ADD COLUMN {table}.{name} NOT NULL without DEFAULT", off)
        dtext = default.this.sql(dialect) if default is not None and default.this is not None else ""
        if default is not None and VOLATILE.search(dtext) and existing:
            yield Hit("MIG008", f"ADD COLUMN {table}.{name} DEFAULT {dtext}", off)
        # MIG016 is declared for SQLite only; lint_sql drops it on the other dialects.
        current = default is not None and (
            isinstance(default.this, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime | exp.Paren)
            or dtext.upper().startswith("CURRENT_")
        )
        computed = next((k for k in kinds if isinstance(k, exp.ComputedColumnConstraint)), None)
        stored = computed is not None and bool(computed.args.get("persisted"))
        # With foreign keys on (parity turns them on), SQLite refuses a REFERENCES column whose
        # default is not NULL: the existing rows would break the reference.
        referencing = any(isinstance(k, exp.Reference) for k in kinds) and not (
            default is None or isinstance(default.this, exp.Null)
        )
        if (
            unique
            or current
            or stored
            or referencing
            or (not_null and (default is None or isinstance(default.this, exp.Null)))
        ):
            yield Hit("MIG016", f"SQLite cannot ADD COLUMN {table}.{name} like this", off)
        if unique and existing:
            yield Hit("MIG012", f"ADD COLUMN {table}.{name} with UNIQUE/PRIMARY KEY", off)
    elif isinstance(action, exp.ModifyColumn | exp.AlterColumn) and (
        isinstance(action, exp.ModifyColumn) or action.args.get("dtype") is not None
    ):
        yield Hit("MIG006", f"column type change on {table}: {action.sql(dialect)}", off)
        old = action.args.get("rename_from")
        if isinstance(action, exp.ModifyColumn) and old is not None and old.name != action.this.name:
            yield Hit("MIG007", f"CHANGE COLUMN {table}.{old.name} renames it to {action.this.name}", off)
    elif isinstance(action, exp.RenameColumn):
        yield Hit("MIG007", f"RENAME COLUMN {table}.{action.this.name}", off)
    elif isinstance(action, exp.AlterRename):
        yield Hit("MIG007", f"RENAME TABLE {table}", off)


def _dropped_name(tree: object) -> str:
    tables = getattr(tree, "args", {}).get("tables") or []
    return ", ".join(t.name or t.args.get("db").name for t in tables if t is not None) or "?"
