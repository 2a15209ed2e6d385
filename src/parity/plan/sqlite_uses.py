"""What in a SQLite schema uses each column: the objects that make ``ALTER TABLE … DROP COLUMN`` fail.

SQLite refuses to drop a column that is a PRIMARY KEY or UNIQUE, is indexed (in the key or the
WHERE of an index), is named in a table's FOREIGN KEY, in a CHECK other than its own column's,
in a generated column's expression, in a view or in a trigger (tests/test_lint_families.py runs
each on sqlite3). The lint replays the statements of a file, and of the files applied before it
in its folder, into a :class:`ColumnUses`; the DROP COLUMN rule reads it.

Names are kept lower-cased: SQLite's identifiers are case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: ``CREATE TRIGGER name … ON table`` (the statement upper-cased, spaces squeezed).
_TRIGGER = re.compile(r"^CREATE (?:TEMP |TEMPORARY )?TRIGGER (?:IF NOT EXISTS )?(\S+) .*?\bON (\S+)")
_TRIGGER_COLUMN = re.compile(r"\b(?:NEW|OLD)\s*\.\s*[\"`\[]?(\w+)")
_UPDATE_OF = re.compile(r"\bUPDATE OF (.+?) ON ")


def _name(text: str) -> str:
    return text.strip("\"`[]'").lower()


@dataclass
class ColumnUses:
    """table → column → {(object key, use): what uses the column}. The key is what a DROP frees
    (``index:name``, ``view:name``, ``trigger:name``, ``column:name`` for a column's own CHECK or
    generated expression, ``table`` for the rest). ``origin`` (a file name) is added to the
    descriptions recorded while it is set: facts from an earlier file say where they are."""

    uses: dict[str, dict[str, dict[tuple[str, str], str]]] = field(default_factory=dict)
    origin: str | None = None

    def copy(self, origin: str | None = None) -> ColumnUses:
        tables = {t: {c: dict(objs) for c, objs in cols.items()} for t, cols in self.uses.items()}
        return ColumnUses(tables, origin)

    def why(self, table: str, column: str) -> list[str]:
        return list(self.uses.get(table.lower(), {}).get(column.lower(), {}).values())

    def use(self, table: str, column: str, key: str, what: str) -> None:
        if column and column != "*":
            where = f"{what} ({self.origin})" if self.origin else what
            self.uses.setdefault(table.lower(), {}).setdefault(column.lower(), {})[(key, what)] = where

    def forget(self, key: str) -> None:
        """An index, view or trigger is dropped: the columns it used are free of it."""
        for columns in self.uses.values():
            self._forget(columns, key)

    @staticmethod
    def _forget(columns: dict[str, dict[tuple[str, str], str]], key: str) -> None:
        for objects in columns.values():
            for k in [k for k in objects if k[0] == key]:
                del objects[k]

    def drop_table(self, table: str) -> None:
        # Its indexes and triggers go with it; a view over it stays, broken, and pins nothing.
        self.uses.pop(table.lower(), None)

    def rename_table(self, old: str, new: str) -> None:
        moved = self.uses.pop(old.lower(), None)
        if moved is not None:
            self.uses[new.lower()] = moved

    def drop_column(self, table: str, column: str) -> None:
        columns = self.uses.get(table.lower(), {})
        columns.pop(column.lower(), None)
        self._forget(columns, f"column:{column.lower()}")  # its own CHECK or generated expression

    def rename_column(self, table: str, old: str, new: str) -> None:
        columns = self.uses.get(table.lower(), {})
        moved = columns.pop(old.lower(), None)
        if moved is not None:
            columns[new.lower()] = moved


def record_table(uses: ColumnUses, schema: Any) -> None:
    """The columns a CREATE TABLE's own definition pins: keys, UNIQUE, FOREIGN KEY (a table
    constraint; an inline REFERENCES goes with its column), CHECK and generated expressions."""
    from sqlglot import exp

    table = schema.this.name
    key = "table"
    uses.drop_table(table)  # CREATE TABLE of a name dropped earlier in the replay: a new table
    for e in schema.expressions:
        if isinstance(e, exp.ColumnDef):
            for c in e.args.get("constraints") or []:
                kind = c.args.get("kind")
                if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                    uses.use(table, e.name, key, "a PRIMARY KEY column")
                elif isinstance(kind, exp.UniqueColumnConstraint):
                    uses.use(table, e.name, key, "a UNIQUE column")
                elif isinstance(kind, exp.CheckColumnConstraint | exp.ComputedColumnConstraint):
                    what = (
                        f"in the CHECK of column {table}.{e.name}"
                        if isinstance(kind, exp.CheckColumnConstraint)
                        else f"in the generated column {table}.{e.name}"
                    )
                    for col in kind.find_all(exp.Column):
                        if col.name.lower() != e.name.lower():  # its own column's check goes with it
                            uses.use(table, col.name, f"column:{e.name.lower()}", what)
        else:
            # A table constraint, named (CONSTRAINT x …, which wraps it) or not.
            for c in e.expressions if isinstance(e, exp.Constraint) else [e]:
                _table_constraint(uses, table, c)


def _table_constraint(uses: ColumnUses, table: str, c: Any) -> None:
    from sqlglot import exp

    if isinstance(c, exp.PrimaryKey):
        for col in _names_in(c):
            uses.use(table, col, "table", "a PRIMARY KEY column")
    elif isinstance(c, exp.UniqueColumnConstraint):
        for col in _names_in(c):
            uses.use(table, col, "table", "a UNIQUE column")
    elif isinstance(c, exp.ForeignKey):
        for ident in c.expressions:
            uses.use(table, ident.name, "table", f"in a FOREIGN KEY of {table}")
    elif isinstance(c, exp.CheckColumnConstraint):
        for ref in c.find_all(exp.Column):
            uses.use(table, ref.name, "table", f"in a CHECK of {table}")


def _names_in(node: Any) -> list[str]:
    from sqlglot import exp

    return [i.name for i in node.find_all(exp.Identifier, exp.Column) if i.name]


def record_index(uses: ColumnUses, index: Any, table: str) -> None:
    """An index's key columns (expressions included) and its WHERE."""
    from sqlglot import exp

    name = index.name
    params = index.args.get("params")
    if params is None:
        return
    for col in params.args.get("columns") or []:
        for c in col.find_all(exp.Column):
            uses.use(table, c.name, f"index:{name.lower()}", f"indexed by {name}")
    where = params.args.get("where")
    for c in where.find_all(exp.Column) if where is not None else ():
        uses.use(table, c.name, f"index:{name.lower()}", f"in the WHERE of index {name}")


def record_view(uses: ColumnUses, name: str, query: Any) -> None:
    """Each column a view names, on the table it is qualified with, or else on the tables of its
    own SELECT and the enclosing ones (an unqualified name is the column of the one table there
    that has it, so naming it on the others pins a column they do not have)."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.scope import traverse_scope

    key, what = f"view:{name.lower()}", f"used by view {name}"
    try:
        scopes = traverse_scope(query)
    except SqlglotError:  # a shape the scope builder refuses: every table the view reads
        tables = {t.alias_or_name.lower(): t.name for t in query.find_all(exp.Table)}
        for col in query.find_all(exp.Column):
            owner = tables.get(col.table.lower()) if col.table else None
            for table in [owner] if owner else tables.values():
                uses.use(table, col.name, key, what)
        return
    for scope in scopes:
        visible: dict[str, str] = {}  # alias → table, the inner SELECT's names hiding the outer's
        outer: Any = scope
        while outer is not None:
            for alias, source in outer.sources.items():
                if isinstance(source, exp.Table):
                    visible.setdefault(alias.lower(), source.name)
            outer = outer.parent
        for col in scope.columns:
            owner = visible.get(col.table.lower()) if col.table else None
            for table in [owner] if owner else visible.values():
                uses.use(table, col.name, key, what)


def record_trigger(uses: ColumnUses, upper: str) -> None:
    """``NEW.col``/``OLD.col`` and ``UPDATE OF col`` of a trigger, on the table it is on; read
    from the text (sqlglot keeps a trigger as an opaque command)."""
    m = _TRIGGER.match(upper)
    if m is None:
        return
    name, table = _name(m.group(1)), _name(m.group(2))
    columns = [c.lower() for c in _TRIGGER_COLUMN.findall(upper)]
    if of := _UPDATE_OF.search(upper):
        columns += [_name(c) for c in of.group(1).split(",")]
    for column in columns:
        uses.use(table, column, f"trigger:{name}", f"used by trigger {name}")
