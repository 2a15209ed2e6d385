"""MySQL/MariaDB: change → plain SQL (dispatch on the change's class; unknown kinds fail
loudly), and what each change costs under InnoDB online DDL
(https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html,
https://mariadb.com/kb/en/innodb-online-ddl-overview/). Every DDL statement commits
implicitly: a failed script is not rolled back.
"""

from __future__ import annotations

import re
from functools import singledispatch

from parity.dialects.base import RenderError
from parity.dialects.mysql.types import narrows
from parity.dialects.sql import quote_ident
from parity.model.changes import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AddTable,
    AddTrigger,
    AddUnique,
    AddView,
    AlterColumn,
    AlterPrimaryKey,
    AlterTrigger,
    AlterView,
    Change,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropUnique,
    DropView,
    Impact,
    PossibleRename,
    ProductionOnly,
    RenameColumn,
    Safety,
)
from parity.model.schema import Column, ForeignKey, Index, IndexPart, Schema, Table

_LITERAL = re.compile(
    r"^('([^']|'')*'|[+-]?\d+(\.\d+)?|NULL|TRUE|FALSE|current_timestamp(\(\d*\))?|b'[01]*')$", re.I
)


def q(name: str) -> str:
    return quote_ident(name, "`")


def _cols(cols: tuple[str, ...]) -> str:
    return ", ".join(q(c) for c in cols)


def _string(text: str) -> str:
    """A MySQL string literal (backslash is an escape character unless NO_BACKSLASH_ESCAPES)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def column_sql(col: Column, comment: str | None = None) -> str:
    """The column's definition as in ``CREATE TABLE``/``ADD COLUMN``/``MODIFY COLUMN``.

    ``comment`` overrides the column's own comment (``MODIFY`` keeps production's).
    """
    comment = comment if comment is not None else col.comment
    tail = f" COMMENT {_string(comment)}" if comment else ""
    parts = [q(col.name), col.raw_type]
    if col.generated is not None:
        parts.append(
            f"GENERATED ALWAYS AS ({col.generated}) {'STORED' if col.generated_stored else 'VIRTUAL'}"
        )
        if not col.nullable:
            parts.append("NOT NULL")
        return " ".join(parts) + tail
    if col.collation:
        parts.append(f"COLLATE {col.collation}")
    parts.append("NULL" if col.nullable else "NOT NULL")
    if col.raw_default is not None:
        d = col.raw_default
        parts.append(f"DEFAULT {d if _LITERAL.match(d) or d.startswith('(') else '(' + d + ')'}")
    if col.on_update is not None:
        parts.append(f"ON UPDATE {col.on_update}")
    if col.identity == "auto":
        parts.append("AUTO_INCREMENT")
    return " ".join(parts) + tail


def fk_sql(fk: ForeignKey) -> str:
    name = f"CONSTRAINT {q(fk.name)} " if fk.name else ""
    # Another database's table, named with it; the usual same-database reference stays bare.
    ref = f"{q(fk.ref_schema)}.{q(fk.ref_table)}" if fk.ref_schema else q(fk.ref_table)
    text = f"{name}FOREIGN KEY ({_cols(fk.columns)}) REFERENCES {ref} ({_cols(fk.ref_columns)})"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    return text


def index_part_sql(part: IndexPart) -> str:
    """`` `name`(10) DESC``: a key part with its prefix length and direction."""
    if part.column is None:
        base = f"({part.expression})"
    else:
        base = q(part.column) + (f"({part.length})" if part.length is not None else "")
    return base + (" DESC" if part.descending else "")


def _index_parts(index: Index) -> str:
    return ", ".join(index_part_sql(p) for p in index.parts)


def _index_kind(index: Index) -> str:
    if index.method in ("FULLTEXT", "SPATIAL"):
        return index.method + " "
    return "UNIQUE " if index.unique else ""


def create_table_sql(table: Table) -> str:
    items = [column_sql(c) for c in table.columns]
    if table.primary_key:
        items.append(f"PRIMARY KEY ({_cols(table.primary_key.columns)})")
    items.extend(f"{_index_kind(ix)}INDEX {q(ix.name)} ({_index_parts(ix)})" for ix in table.indexes)
    items.extend(f"UNIQUE ({_cols(u.columns)})" for u in table.uniques)
    items.extend(
        (f"CONSTRAINT {q(c.name)} " if c.name else "") + f"CHECK ({c.expression})" for c in table.checks
    )
    items.extend(fk_sql(fk) for fk in table.foreign_keys)
    return f"CREATE TABLE {q(table.name)} (\n    " + ",\n    ".join(items) + "\n)"


def create_index_sql(table: str, index: Index) -> str:
    return f"CREATE {_index_kind(index)}INDEX {q(index.name)} ON {q(table)} ({_index_parts(index)})"


def _name(name: str | None, change: Change) -> str:
    if not name:
        raise RenderError(f"MySQL needs the constraint's name to render a {change.kind.replace('_', ' ')}")
    return name


@singledispatch
def render(change: Change, context: Schema | None = None) -> list[str]:
    raise RenderError(f"MySQL cannot render a change of kind '{type(change).__name__}'")


@render.register
def _(change: AddTable, context: Schema | None = None) -> list[str]:
    return [create_table_sql(change.definition)]


@render.register
def _(change: DropTable, context: Schema | None = None) -> list[str]:
    return [f"DROP TABLE {q(change.definition.name)}"]


@render.register
def _(change: AddColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} ADD COLUMN {column_sql(change.column)}"]


@render.register
def _(change: DropColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} DROP COLUMN {q(change.column.name)}"]


@render.register
def _(change: RenameColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} RENAME COLUMN {q(change.old)} TO {q(change.new)}"]


@render.register
def _(change: PossibleRename, context: Schema | None = None) -> list[str]:
    return render(change.as_add(), context)


@render.register
def _(change: AlterColumn, context: Schema | None = None) -> list[str]:
    # MODIFY restates the whole column; anything left out would be lost. Comments are not
    # compared, so the declared one wins when there is one, else production's is kept.
    comment = change.desired.comment or change.current.comment
    return [f"ALTER TABLE {q(change.table)} MODIFY COLUMN {column_sql(change.desired, comment)}"]


@render.register
def _(change: AlterPrimaryKey, context: Schema | None = None) -> list[str]:
    steps = []
    if change.current is not None:
        steps.append("DROP PRIMARY KEY")
    if change.desired is not None:
        steps.append(f"ADD PRIMARY KEY ({_cols(change.desired.columns)})")
    return [f"ALTER TABLE {q(change.table)} " + ", ".join(steps)]


@render.register
def _(change: AddIndex, context: Schema | None = None) -> list[str]:
    return [create_index_sql(change.table, change.index)]


@render.register
def _(change: DropIndex, context: Schema | None = None) -> list[str]:
    return [f"DROP INDEX {q(change.index.name)} ON {q(change.table)}"]


@render.register
def _(change: AddForeignKey, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} ADD {fk_sql(change.foreign_key)}"]


@render.register
def _(change: DropForeignKey, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} DROP FOREIGN KEY {q(_name(change.foreign_key.name, change))}"]


@render.register
def _(change: AddUnique, context: Schema | None = None) -> list[str]:
    name = f"CONSTRAINT {q(change.unique.name)} " if change.unique.name else ""
    return [f"ALTER TABLE {q(change.table)} ADD {name}UNIQUE ({_cols(change.unique.columns)})"]


@render.register
def _(change: DropUnique, context: Schema | None = None) -> list[str]:
    return [f"DROP INDEX {q(_name(change.unique.name, change))} ON {q(change.table)}"]


@render.register
def _(change: AddCheck, context: Schema | None = None) -> list[str]:
    name = f"CONSTRAINT {q(change.check.name)} " if change.check.name else ""
    return [f"ALTER TABLE {q(change.table)} ADD {name}CHECK ({change.check.expression})"]


@render.register
def _(change: DropCheck, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} DROP CONSTRAINT {q(_name(change.check.name, change))}"]


@render.register
def _(change: AddView, context: Schema | None = None) -> list[str]:
    return [f"CREATE VIEW {q(change.view.name)} AS {change.view.definition}"]


@render.register
def _(change: DropView, context: Schema | None = None) -> list[str]:
    return [f"DROP VIEW {q(change.view.name)}"]


@render.register
def _(change: AlterView, context: Schema | None = None) -> list[str]:
    return [f"CREATE OR REPLACE VIEW {q(change.desired.name)} AS {change.desired.definition}"]


@render.register
def _(change: AddTrigger, context: Schema | None = None) -> list[str]:
    return [change.trigger.definition]


@render.register
def _(change: AlterTrigger, context: Schema | None = None) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {q(change.current.name)}", change.desired.definition]


@render.register
def _(change: ProductionOnly, context: Schema | None = None) -> list[str]:
    return []  # kept: parity never drops what only production has


MDL = "metadata lock (brief)"


def impact(change: Change, context: Schema | None = None) -> Impact:
    """Safety class, rebuild and lock of ``change`` under InnoDB online DDL."""
    match change:
        case ProductionOnly():
            return Impact(Safety.SAFE, note="kept: production-only objects are never dropped")
        case PossibleRename():
            return Impact(Safety.NEEDS_CARE, lock=MDL, note="confirm: rename or add a new column")
        case DropTable() | DropColumn():
            return Impact(
                Safety.FORBIDDEN, lock="exclusive metadata lock", note="drops data; parity never drops"
            )
        case (
            AddTable()
            | AddView()
            | AlterView()
            | DropView()
            | AddTrigger()
            | AlterTrigger()
            | RenameColumn()
            | DropIndex()
        ):
            return Impact(Safety.SAFE, lock=MDL)
        case AddColumn(column=col):
            if col.identity == "auto" or (col.generated is not None and col.generated_stored):
                return Impact(
                    Safety.NEEDS_CARE, True, "table copy; writes blocked", "fills every row: rebuild"
                )
            if not col.nullable and col.raw_default is None:
                return Impact(Safety.NEEDS_CARE, False, MDL, "existing rows get the type's implicit default")
            return Impact(Safety.SAFE, False, MDL, "INSTANT (appended column)")
        case AlterColumn(changes=what, current=cur, desired=des):
            if what <= {"default"}:
                return Impact(Safety.SAFE, False, MDL, "INSTANT: default only")
            if "type" in what and narrows(cur.type, des.type):
                return Impact(
                    Safety.UNSAFE,
                    True,
                    "table copy; writes blocked",
                    f"{cur.type} → {des.type}: values may be truncated",
                )
            if "nullable" in what and not des.nullable:
                return Impact(
                    Safety.NEEDS_CARE, True, "rebuild (INPLACE)", "fails (strict mode) if NULLs exist"
                )
            return Impact(
                Safety.NEEDS_CARE,
                True,
                "table copy; writes blocked",
                "column rebuilt: " + ", ".join(sorted(what)),
            )
        case AddIndex(index=ix):
            note = "online (INPLACE, LOCK=NONE)" + ("; fails on duplicates" if ix.unique else "")
            return Impact(Safety.NEEDS_CARE if ix.unique else Safety.SAFE, False, MDL, note)
        case AddForeignKey():
            return Impact(
                Safety.NEEDS_CARE, True, "table copy unless foreign_key_checks=0", "checks every row"
            )
        case AddCheck():
            return Impact(Safety.NEEDS_CARE, True, "table copy; writes blocked", "checks every row")
        case AddUnique() | AlterPrimaryKey():
            return Impact(Safety.NEEDS_CARE, True, "rebuild (INPLACE)", "fails on duplicates")
        case DropForeignKey() | DropUnique() | DropCheck():
            return Impact(Safety.SAFE, False, MDL)
    return Impact(Safety.NEEDS_CARE, note="unclassified change")


__all__ = ["column_sql", "create_index_sql", "create_table_sql", "impact", "index_part_sql", "render"]
