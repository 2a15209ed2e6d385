"""The SQLite and MySQL/MariaDB lint checker, on sqlglot's tree (each dialect's own grammar)."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from parity.model.findings import Severity
from parity.plan.lint_rules import VOLATILE, Hit


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


def check(sql: str, dialect: str, transactional: bool) -> Iterator[Hit]:
    import logging

    from sqlglot.errors import TokenError

    # sqlglot logs a warning for each statement it keeps as an opaque Command (triggers, PRAGMA).
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        pieces = split_with_offsets(sql, dialect)
    except TokenError as exc:
        yield Hit("MIG000", str(exc), 0)
        return
    created: set[str] = set()
    dropped: list[tuple[str, int]] = []
    replaced: set[str] = set()
    open_begin = yield from _generic_statements(pieces, dialect, transactional, created, dropped, replaced)
    if open_begin is not None and not transactional:
        yield Hit(
            "MIG025", "BEGIN is never committed: the server rolls the file back when it ends", open_begin
        )
    for name, off in dropped:
        if name not in replaced:
            yield Hit("MIG001", f"DROP TABLE {name}", off)


def _generic_statements(
    pieces: list[tuple[int, str]],
    dialect: str,
    transactional: bool,
    created: set[str],
    dropped: list[tuple[str, int]],
    replaced: set[str],
) -> Generator[Hit, None, int | None]:
    """The statements' hits; returns the offset of a BEGIN left open."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    open_begin: int | None = None
    for off, text in pieces:
        upper = " ".join(text.upper().split())
        if upper in ("BEGIN", "BEGIN TRANSACTION", "START TRANSACTION", "COMMIT", "ROLLBACK"):
            opens = upper.startswith(("BEGIN", "START"))
            if transactional:
                yield Hit("MIG014", f"{upper} inside a migration", off)
            elif opens and open_begin is not None:
                yield Hit("MIG025", f"{upper} while the transaction opened earlier is still open", off)
            elif not opens and open_begin is None:
                yield Hit("MIG025", f"{upper} with no transaction open", off)
            open_begin = off if opens else None
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
                    yield Hit(
                        "MIG015", f"CREATE INDEX on existing table {table.name} without ALGORITHM/LOCK", off
                    )
        elif isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
            for t in tree.args.get("tables") or [tree.this]:
                dropped.append((t.name, off))
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
        elif isinstance(tree, exp.TruncateTable):
            tables = ", ".join(t.name for t in tree.expressions)
            yield Hit("MIG013", f"TRUNCATE {tables} deletes every row", off, Severity.INFO)
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
                    yield Hit(
                        "MIG015", f"ALTER TABLE {table} without ALGORITHM=INSTANT/INPLACE, LOCK=NONE", off
                    )
    return open_begin


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
        if unique or current or (not_null and (default is None or isinstance(default.this, exp.Null))):
            yield Hit("MIG016", f"SQLite cannot ADD COLUMN {table}.{name} like this", off)
        if unique and existing:
            yield Hit("MIG012", f"ADD COLUMN {table}.{name} with UNIQUE/PRIMARY KEY", off)
    elif isinstance(action, exp.ModifyColumn | exp.AlterColumn) and (
        isinstance(action, exp.ModifyColumn) or action.args.get("dtype") is not None
    ):
        yield Hit("MIG006", f"column type change on {table}: {action.sql(dialect)}", off)
    elif isinstance(action, exp.RenameColumn):
        yield Hit("MIG007", f"RENAME COLUMN {table}.{action.this.name}", off)
    elif isinstance(action, exp.AlterRename):
        yield Hit("MIG007", f"RENAME TABLE {table}", off)


def _dropped_name(tree: object) -> str:
    tables = getattr(tree, "args", {}).get("tables") or []
    return ", ".join(t.name or t.args.get("db").name for t in tables if t is not None) or "?"
