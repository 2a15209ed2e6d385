"""SQLite: change → plain SQL, by dispatch on the change's class (unknown kinds fail loudly).

SQLite's ``ALTER TABLE`` can add a column (with limits), rename and drop one, and nothing
else; every other table change is the documented rebuild: create the new shape, copy the
rows, drop the old table, rename the new one, recreate indexes, triggers and views
(https://www.sqlite.org/lang_altertable.html#otheralter). Turning
``PRAGMA foreign_keys`` off around it and checking ``foreign_key_check`` afterwards is the
executor's job, not the renderer's.
"""

from __future__ import annotations

import re
from functools import singledispatch

from parity.dialects.base import RenderError
from parity.dialects.sql import quote_ident
from parity.dialects.sqlite.diff import affinity, same_storage
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
    AlterTableOptions,
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
from parity.model.schema import Column, ForeignKey, Index, Schema, Table

_SIMPLE_DEFAULT = re.compile(
    r"^('([^']|'')*'|[+-]?\d+(\.\d+)?|NULL|TRUE|FALSE|X'[0-9A-Fa-f]*')$", re.IGNORECASE
)


def q(name: str) -> str:
    return quote_ident(name, '"')


def column_sql(col: Column, *, inline_pk: bool = False) -> str:
    parts = [q(col.name)]
    if col.raw_type:
        parts.append(col.raw_type)
    if inline_pk:
        parts.append("PRIMARY KEY" + (" AUTOINCREMENT" if col.identity == "auto" else ""))
    if col.collation:
        parts.append(f"COLLATE {col.collation}")
    # ``id INTEGER NOT NULL PRIMARY KEY`` (what SQLAlchemy declares): the rowid never is NULL, but
    # the catalog reports NOT NULL only when it is written, and an ORM compares that.
    if not col.nullable:
        parts.append("NOT NULL")
    if col.raw_default is not None and col.generated is None:
        parts.append(f"DEFAULT {col.raw_default}")
    if col.generated is not None:
        parts.append(
            f"GENERATED ALWAYS AS ({col.generated}) {'STORED' if col.generated_stored else 'VIRTUAL'}"
        )
    return " ".join(parts)


def _fk_sql(fk: ForeignKey) -> str:
    text = f"FOREIGN KEY ({', '.join(q(c) for c in fk.columns)}) REFERENCES {q(fk.ref_table)}"
    if fk.ref_columns:
        text += f" ({', '.join(q(c) for c in fk.ref_columns)})"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    return ("CONSTRAINT " + q(fk.name) + " " if fk.name else "") + text


def create_table_sql(table: Table, name: str | None = None) -> str:
    """``CREATE TABLE`` for ``table``, ending in its table options (``WITHOUT ROWID``, ``STRICT``)."""
    pk = table.primary_key.columns if table.primary_key else ()
    inline = None
    if len(pk) == 1:
        col = table.column(pk[0])
        if col is not None and col.type == "integer":
            inline = col.name  # keep INTEGER PRIMARY KEY inline so it stays the rowid alias
    items = [column_sql(c, inline_pk=c.name == inline) for c in table.columns]
    if pk and inline is None:
        items.append(f"PRIMARY KEY ({', '.join(q(c) for c in pk)})")
    items.extend(f"UNIQUE ({', '.join(q(c) for c in u.columns)})" for u in table.uniques)
    items.extend(
        ("CONSTRAINT " + q(c.name) + " " if c.name else "") + f"CHECK ({c.expression})" for c in table.checks
    )
    items.extend(_fk_sql(fk) for fk in table.foreign_keys)
    body = ",\n    ".join(items)
    options = [o for o, on in (("WITHOUT ROWID", table.without_rowid), ("STRICT", table.strict)) if on]
    return f"CREATE TABLE {q(name or table.name)} (\n    {body}\n)" + (
        " " + ", ".join(options) if options else ""
    )


def create_index_sql(table: str, index: Index) -> str:
    parts = ", ".join(
        q(p.column) + (" DESC" if p.descending else "") if p.column is not None else p.text
        for p in index.parts
    )
    text = f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {q(index.name)} ON {q(table)} ({parts})"
    return text + (f" WHERE {index.where}" if index.where else "")


def _table_of(context: Schema | None, name: str, change: Change) -> Table:
    if context is not None:
        for t in context.tables:
            if t.name.lower() == name.lower():
                return t
    raise RenderError(
        f"SQLite rebuilds table '{name}' for a {change.kind.replace('_', ' ')} and needs its current shape"
    )


def rebuild(current: Table, desired: Table, context: Schema) -> list[str]:
    """The rebuild statements turning ``current`` into ``desired`` (same table name).

    The new table gets ``desired``'s table options (``WITHOUT ROWID``, ``STRICT``).
    """
    tmp = f"_parity_new_{desired.name}"
    keep = [
        c.name
        for c in desired.columns
        if c.generated is None and (cur := current.column(c.name)) is not None and cur.generated is None
    ]
    cols = ", ".join(q(c) for c in keep)
    views = list(context.views)
    triggers = [t for t in context.triggers if t.table.lower() == current.name.lower()]
    out = [f"DROP VIEW {q(v.name)}" for v in views]
    out.append(create_table_sql(desired, tmp))
    if [c.name for c in current.columns] == keep == [c.name for c in desired.columns]:
        # Same columns in the same order, none generated: the bare form lets SQLite copy each
        # record whole when the two definitions are compatible (its transfer optimisation).
        out.append(f"INSERT INTO {q(tmp)} SELECT * FROM {q(current.name)}")
    else:
        out.append(f"INSERT INTO {q(tmp)} ({cols}) SELECT {cols} FROM {q(current.name)}")
    # Many builds (Debian's among them) zero every freed page on DROP (secure_delete), which
    # writes and journals the whole old table once more. Its content lives on in the new table,
    # so zeroing it hides nothing; FAST still zeroes where it costs no extra I/O. The runtime
    # puts the connection's own setting back before the next migration.
    out.append("PRAGMA secure_delete = FAST")
    out.append(f"DROP TABLE {q(current.name)}")
    out.append(f"ALTER TABLE {q(tmp)} RENAME TO {q(desired.name)}")
    out.extend(create_index_sql(desired.name, ix) for ix in desired.indexes)
    out.extend(t.definition for t in triggers)
    out.extend(f"CREATE VIEW {q(v.name)} AS {v.definition}" for v in views)
    return out


def _rebuild_for(change: Change, table: str, context: Schema | None) -> list[str]:
    from parity.diff.apply import apply_change

    current = _table_of(context, table, change)
    assert context is not None
    after = apply_change(context, change)
    desired = _table_of(after, table, change)
    return rebuild(current, desired, context)


def can_add_column(col: Column) -> bool:
    """Whether ``ALTER TABLE ADD COLUMN`` accepts ``col`` (otherwise: rebuild).

    It refuses a NOT NULL column without a non-NULL default, a non-constant default
    (``CURRENT_TIMESTAMP``, an expression in parentheses) and a stored generated column.
    """
    if col.generated is not None:
        return not col.generated_stored
    default = col.raw_default
    if default is not None and not _SIMPLE_DEFAULT.match(default.strip()):
        return False
    return col.nullable or (default is not None and default.strip().upper() != "NULL")


@singledispatch
def render(change: Change, context: Schema | None = None) -> list[str]:
    raise RenderError(f"SQLite cannot render a change of kind '{type(change).__name__}'")


@render.register
def _(change: AddTable, context: Schema | None = None) -> list[str]:
    t = change.definition
    return [create_table_sql(t), *(create_index_sql(t.name, ix) for ix in t.indexes)]


@render.register
def _(change: DropTable, context: Schema | None = None) -> list[str]:
    return [f"DROP TABLE {q(change.definition.name)}"]


@render.register
def _(change: AddColumn, context: Schema | None = None) -> list[str]:
    if can_add_column(change.column):
        return [f"ALTER TABLE {q(change.table)} ADD COLUMN {column_sql(change.column)}"]
    return _rebuild_for(change, change.table, context)


@render.register
def _(change: DropColumn, context: Schema | None = None) -> list[str]:
    if context is not None:
        table = _table_of(context, change.table, change)
        name = change.column.name.lower()
        # DROP COLUMN refuses a column that is indexed, keyed, constrained or referenced.
        involved = (
            any(name in (c.lower() for c in ix.columns) for ix in table.indexes)
            or any(name in (c.lower() for c in u.columns) for u in table.uniques)
            or any(name in (c.lower() for c in fk.columns) for fk in table.foreign_keys)
            or (table.primary_key is not None and name in (c.lower() for c in table.primary_key.columns))
            or any(name in ck.expression.lower() for ck in table.checks)
        )
        if involved:
            return _rebuild_for(change, change.table, context)
    return [f"ALTER TABLE {q(change.table)} DROP COLUMN {q(change.column.name)}"]


@render.register
def _(change: RenameColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {q(change.table)} RENAME COLUMN {q(change.old)} TO {q(change.new)}"]


@render.register
def _(change: PossibleRename, context: Schema | None = None) -> list[str]:
    # What the declared schema says literally: add the new column, keep the old one.
    return render(change.as_add(), context)


def spelling_only(change: AlterColumn, context: Schema | None = None) -> bool:
    """Only the declared type's spelling differs and both store alike (``FLOAT`` → ``DOUBLE``,
    ``VARCHAR(20)`` → ``VARCHAR(50)``: SQLite enforces neither): nothing for a rebuild to change.
    Not for STRICT tables (they check the type name) nor a rowid alias (``INTEGER`` spelt out)."""
    if change.changes != frozenset({"type"}):
        return False
    if not same_storage(change.current.raw_type, change.desired.raw_type):
        return False
    table = context.table(change.table) if context is not None else None
    if table is None:
        return True
    rowid_alias = table.primary_key is not None and table.primary_key.columns == (change.current.name,)
    return not (table.strict or rowid_alias)


@render.register(AlterColumn)
def _(change: AlterColumn, context: Schema | None = None) -> list[str]:
    if spelling_only(change, context):
        return []
    return _rebuild_for(change, change.table, context)


@render.register(AlterPrimaryKey)
@render.register(AlterTableOptions)
@render.register(AddForeignKey)
@render.register(DropForeignKey)
@render.register(AddUnique)
@render.register(DropUnique)
@render.register(AddCheck)
@render.register(DropCheck)
def _(change: Change, context: Schema | None = None) -> list[str]:
    table = change.table_name
    assert table is not None
    return _rebuild_for(change, table, context)


@render.register
def _(change: AddIndex, context: Schema | None = None) -> list[str]:
    return [create_index_sql(change.table, change.index)]


@render.register
def _(change: DropIndex, context: Schema | None = None) -> list[str]:
    return [f"DROP INDEX {q(change.index.name)}"]


@render.register
def _(change: AddView, context: Schema | None = None) -> list[str]:
    return [f"CREATE VIEW {q(change.view.name)} AS {change.view.definition}"]


@render.register
def _(change: DropView, context: Schema | None = None) -> list[str]:
    return [f"DROP VIEW {q(change.view.name)}"]


@render.register
def _(change: AlterView, context: Schema | None = None) -> list[str]:
    return [
        f"DROP VIEW {q(change.current.name)}",
        f"CREATE VIEW {q(change.desired.name)} AS {change.desired.definition}",
    ]


@render.register
def _(change: AddTrigger, context: Schema | None = None) -> list[str]:
    return [change.trigger.definition]


@render.register
def _(change: AlterTrigger, context: Schema | None = None) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {q(change.current.name)}", change.desired.definition]


@render.register
def _(change: ProductionOnly, context: Schema | None = None) -> list[str]:
    return []  # kept: parity never drops what only production has


def impact(change: Change, context: Schema | None = None) -> Impact:
    """What ``change`` costs on SQLite. A writer locks the whole database file, so any DDL
    blocks other writers for its duration; only rebuilds and index builds last long."""
    write_lock = "database write lock"
    match change:
        case ProductionOnly():
            return Impact(Safety.SAFE, note="kept: production-only objects are never dropped")
        case PossibleRename():
            return Impact(
                Safety.NEEDS_CARE,
                note="confirm: a rename keeps the data, the declared schema adds a new column",
            )
        case DropTable() | DropColumn():
            return Impact(Safety.FORBIDDEN, lock=write_lock, note="drops data; parity never drops")
        case (
            AddTable() | AddView() | AlterView() | DropView() | AddTrigger() | AlterTrigger() | RenameColumn()
        ):
            return Impact(Safety.SAFE, lock=f"{write_lock} (brief)")
        case DropIndex():
            return Impact(Safety.SAFE, lock=f"{write_lock} (brief)")
        case AddIndex(index=ix):
            note = (
                "fails if existing rows hold duplicates" if ix.unique else "builds the index from every row"
            )
            return Impact(Safety.NEEDS_CARE, lock=f"{write_lock} while the index builds", note=note)
        case AddColumn(column=col):
            if can_add_column(col):
                return Impact(Safety.SAFE, lock=f"{write_lock} (brief)", note="metadata only")
            note = "SQLite cannot ADD COLUMN this column in place: table rebuild"
            if not col.nullable and col.raw_default is None:
                return Impact(
                    Safety.UNSAFE,
                    True,
                    f"{write_lock} for the rebuild",
                    "NOT NULL without a default fails on existing rows",
                )
            return Impact(Safety.NEEDS_CARE, True, f"{write_lock} for the rebuild", note)
        case AlterTableOptions(current=before, desired=options):
            what = ", ".join(
                f"{o.replace('_', ' ').upper()} {'added' if o in options else 'removed'}"
                for o in sorted(before ^ options)
            )
            return Impact(Safety.NEEDS_CARE, True, f"{write_lock} for the rebuild", f"table rebuild; {what}")
        case AlterColumn(desired=col) as alt if spelling_only(alt, context):
            return Impact(
                Safety.SAFE,
                False,
                None,
                f"same storage ({affinity(col.raw_type)} affinity): only the declared spelling differs, nothing to rebuild",
            )
        case AlterColumn(changes=what, desired=col):
            note = "table rebuild; " + ", ".join(sorted(what)) + " changes"
            if "type" in what:
                return Impact(
                    Safety.UNSAFE,
                    True,
                    f"{write_lock} for the rebuild",
                    note + "; values may convert by the new affinity",
                )
            if "nullable" in what and not col.nullable:
                return Impact(
                    Safety.NEEDS_CARE, True, f"{write_lock} for the rebuild", note + "; fails if NULLs exist"
                )
            return Impact(Safety.NEEDS_CARE, True, f"{write_lock} for the rebuild", note)
    return Impact(Safety.NEEDS_CARE, True, f"{write_lock} for the rebuild", "table rebuild")


__all__ = ["can_add_column", "create_index_sql", "create_table_sql", "impact", "rebuild", "render"]
