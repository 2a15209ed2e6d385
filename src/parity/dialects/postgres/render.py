"""PostgreSQL: change → plain SQL (dispatch on the change's class; unknown kinds fail loudly),
and what each change costs: rewrite and lock level, per
https://www.postgresql.org/docs/current/sql-altertable.html and
https://www.postgresql.org/docs/current/explicit-locking.html.

Plain SQL only: ``CONCURRENTLY``, ``NOT VALID`` + ``VALIDATE`` and lock timeouts are the
migration planner's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import singledispatch

from parity.dialects.base import RenderError
from parity.dialects.postgres.diff import check_sql, server_version
from parity.dialects.postgres.types import narrows, rewrites
from parity.dialects.postgres.versions import NEW_PRIVILEGES, grantable
from parity.dialects.sql import quote_ident, quote_literal
from parity.diff.depends import words
from parity.model.changes import (
    AddCheck,
    AddColumn,
    AddCompositeType,
    AddDomain,
    AddEnum,
    AddEnumValue,
    AddExclude,
    AddExtension,
    AddForeignKey,
    AddFunction,
    AddGrant,
    AddIndex,
    AddNamespace,
    AddPartition,
    AddPolicy,
    AddSequence,
    AddTable,
    AddTrigger,
    AddUnique,
    AddView,
    AlterColumn,
    AlterCompositeType,
    AlterDomain,
    AlterFunction,
    AlterPartitioning,
    AlterPolicy,
    AlterPrimaryKey,
    AlterTrigger,
    AlterView,
    Change,
    DropCheck,
    DropColumn,
    DropExclude,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropUnique,
    DropView,
    EnableRowSecurity,
    Impact,
    PossibleRename,
    ProductionOnly,
    Rebuilt,
    RenameColumn,
    Safety,
    SetComment,
)
from parity.model.schema import Column, Comment, Domain, ForeignKey, Index, Policy, Schema, Table, View

# Functions whose value differs per row: a default using one makes ADD COLUMN fill every row.
_VOLATILE = re.compile(
    r"\b(random|clock_timestamp|gen_random_uuid|uuid_generate_v\d|nextval|timeofday)\s*\(", re.I
)


_PLAIN_LITERAL = re.compile(r"^('([^']|'')*'|-?\d+(\.\d+)?|true|false)$", re.I)


def q(name: str) -> str:
    return quote_ident(name, '"')


def qn(name: str) -> str:
    """An object's name as the model holds it, quoted: ``schema.name`` for one in another schema than
    the inspected one (the inspector names those so), else the plain name. A name of the inspected
    schema that itself holds a dot is taken as qualified: PostgreSQL allows it, the model cannot tell."""
    head, dot, rest = name.partition(".")
    return f"{q(head)}.{q(rest)}" if dot and head and rest else q(name)


def in_schema_of(table: str, name: str) -> str:
    """``name`` (an index, which lives in its table's schema) qualified as ``table`` is."""
    head, dot, rest = table.partition(".")
    return f"{q(head)}.{q(name)}" if dot and head and rest else q(name)


def column_sql(col: Column) -> str:
    parts = [q(col.name), col.raw_type]
    if col.collation:
        parts.append(f"COLLATE {q(col.collation)}")
    if col.generated is not None:
        # Not stored: PostgreSQL 18's virtual column (computed when read); older servers refuse it.
        parts.append(
            f"GENERATED ALWAYS AS ({col.generated})" + (" STORED" if col.generated_stored else " VIRTUAL")
        )
    elif col.identity in ("always", "by default"):
        parts.append(f"GENERATED {col.identity.upper()} AS IDENTITY")
    if not col.nullable:
        parts.append("NOT NULL")
    if col.generated is None and col.identity is None and col.raw_default is not None:
        parts.append(f"DEFAULT {default_sql(col)}")
    return " ".join(parts)


def default_sql(col: Column) -> str:
    """The default as written for the column: a literal without PostgreSQL's redundant cast
    (``'new'`` rather than ``'new'::character varying``), anything else as the catalog prints it."""
    d = col.default
    if d is not None and (_PLAIN_LITERAL.match(d) or d == "CURRENT_TIMESTAMP"):
        return d
    return col.raw_default or "NULL"


def _cols(cols: tuple[str, ...]) -> str:
    return ", ".join(q(c) for c in cols)


def _named(name: str | None) -> str:
    return f"CONSTRAINT {q(name)} " if name else ""


def ref_sql(fk: ForeignKey) -> str:
    """The referenced table, schema-qualified when it lives in another schema."""
    return f"{q(fk.ref_schema)}.{q(fk.ref_table)}" if fk.ref_schema else qn(fk.ref_table)


def deferrable_sql(deferrable: str | None) -> str:
    """`` DEFERRABLE …`` after a key or foreign key, or nothing for the default (checked at once)."""
    return f" {deferrable}" if deferrable else ""


def fk_sql(fk: ForeignKey) -> str:
    text = f"{_named(fk.name)}FOREIGN KEY ({_cols(fk.columns)}) REFERENCES {ref_sql(fk)} ({_cols(fk.ref_columns)})"
    if fk.on_delete != "NO ACTION":
        text += f" ON DELETE {fk.on_delete}"
    if fk.on_update != "NO ACTION":
        text += f" ON UPDATE {fk.on_update}"
    return text + deferrable_sql(fk.deferrable)


def create_table_sql(table: Table) -> str:
    items = [column_sql(c) for c in table.columns]
    if table.primary_key:
        pk = table.primary_key
        items.append(f"{_named(pk.name)}PRIMARY KEY ({_cols(pk.columns)}){deferrable_sql(pk.deferrable)}")
    items.extend(
        f"{_named(u.name)}UNIQUE ({_cols(u.columns)}){deferrable_sql(u.deferrable)}" for u in table.uniques
    )
    items.extend(f"{_named(c.name)}{check_sql(c.expression)}" for c in table.checks)
    items.extend(f"CONSTRAINT {q(x.name)} {x.definition}" for x in table.excludes)
    items.extend(fk_sql(fk) for fk in table.foreign_keys)
    partitioned = f" PARTITION BY {table.partition_by}" if table.partition_by else ""
    return f"CREATE TABLE {qn(table.name)} (\n    " + ",\n    ".join(items) + "\n)" + partitioned


def index_parts_sql(index: Index) -> str:
    """The key parts of ``CREATE INDEX … (…)``: column or (expression), collation, operator class, order."""
    return ", ".join(
        (q(p.column) if p.column is not None else f"({p.expression})")
        + (f" COLLATE {p.collation}" if p.collation else "")
        + (f" {p.opclass}" if p.opclass else "")
        + (" DESC" if p.descending else "")
        for p in index.parts
    )


def create_index_sql(table: str, index: Index) -> str:
    parts = index_parts_sql(index)
    using = f" USING {index.method}" if index.method else ""
    text = f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {q(index.name)} ON {qn(table)}{using} ({parts})"
    return text + (f" WHERE {index.where}" if index.where else "")


def _constraint_name(name: str | None, change: Change) -> str:
    if not name:
        raise RenderError(
            f"PostgreSQL needs the constraint's name to render a {change.kind.replace('_', ' ')}"
        )
    return name


@singledispatch
def render(change: Change, context: Schema | None = None) -> list[str]:
    raise RenderError(f"PostgreSQL cannot render a change of kind '{type(change).__name__}'")


_NEXTVAL = re.compile(r"^nextval\('(?P<seq>[^']+)'(?:::regclass)?\)$", re.I)
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_SEQ_NAME = re.compile(rf"^{_IDENT}(?:\.{_IDENT})?$")
_SEQ_TYPES = frozenset({"smallint", "integer", "bigint"})


def _owned_sequences(
    table: str, columns: Iterable[Column], context: Schema | None = None
) -> tuple[list[str], list[str]]:
    """``(before, after)`` statements for the sequences that ``serial`` columns draw from.

    The catalog shows a ``serial`` column as ``DEFAULT nextval('t_id_seq'::regclass)``; the
    sequence is a separate object that a new table or column needs first (else: relation
    "t_id_seq" does not exist), then owned by the column, as ``serial`` would have made it."""
    before, after = [], []
    for col in columns:
        m = _NEXTVAL.match((col.raw_default or "").strip())
        if m is None:
            continue
        seq = m["seq"]
        if seq in _free_sequences(context):
            continue  # a sequence of its own (made before), which the column only draws from
        if not _SEQ_NAME.match(seq):
            raise RenderError(
                f"cannot render the sequence of {table}.{col.name}: {seq!r} is not a sequence name"
            )
        as_type = f" AS {col.raw_type.lower()}" if col.raw_type.lower() in _SEQ_TYPES else ""
        before.append(f"CREATE SEQUENCE IF NOT EXISTS {seq}{as_type}")
        after.append(f"ALTER SEQUENCE {seq} OWNED BY {qn(table)}.{q(col.name)}")
    return before, after


def _free_sequences(context: Schema | None) -> set[str]:
    """The standalone sequences of ``context`` as ``nextval('…')`` names them."""
    if context is None:
        return set()
    free = [s.name for s in context.sequences if s.owned_by is None]
    return {*free, *(qn(n) for n in free)}


@render.register
def _(change: AddTable, context: Schema | None = None) -> list[str]:
    t = change.definition
    before, after = _owned_sequences(t.name, t.columns, context)
    return [*before, create_table_sql(t), *after, *(create_index_sql(t.name, ix) for ix in t.indexes)]


@render.register
def _(change: DropTable, context: Schema | None = None) -> list[str]:
    return [f"DROP TABLE {qn(change.definition.name)}"]


@render.register
def _(change: AddColumn, context: Schema | None = None) -> list[str]:
    before, after = _owned_sequences(change.table, [change.column], context)
    return [*before, f"ALTER TABLE {qn(change.table)} ADD COLUMN {column_sql(change.column)}", *after]


@render.register
def _(change: DropColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {qn(change.table)} DROP COLUMN {q(change.column.name)}"]


@render.register
def _(change: RenameColumn, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {qn(change.table)} RENAME COLUMN {q(change.old)} TO {q(change.new)}"]


@render.register
def _(change: PossibleRename, context: Schema | None = None) -> list[str]:
    return render(change.as_add(), context)


def _referenced_by(table: str, columns: tuple[str, ...], context: Schema | None) -> list[str]:
    """Foreign keys of ``context`` that reference exactly ``table(columns)``."""
    if context is None:
        return []
    return [
        f"{t.name}.{fk.name or ','.join(fk.columns)}"
        for t in context.tables
        for fk in t.foreign_keys
        if fk.ref_table == table and set(fk.ref_columns) == set(columns)
    ]


def _can_set_expression(context: Schema | None) -> bool:
    version = server_version(context)
    return version is None or version >= 170000


def generated_readers(change: AlterColumn, context: Schema | None) -> list[str]:
    """The generated columns of the table whose expression reads the column whose type changes: the
    server refuses the change under them ("used by a generated column")."""
    if not change.changes & {"type", "collation"} or context is None:
        return []
    table = context.table(change.table)
    if table is None:
        return []
    return [
        col.name
        for col in table.columns
        if col.generated and col.name != change.current.name and change.current.name in words(col.generated)
    ]


@render.register
def _(change: AlterColumn, context: Schema | None = None) -> list[str]:
    if generated_readers(change, context):
        return []  # refused: see impact
    t, c, cur, des = qn(change.table), q(change.desired.name), change.current, change.desired
    what = change.changes
    alter = f"ALTER TABLE {t} ALTER COLUMN {c}"
    out: list[str] = []
    if "generated" in what:
        if des.generated is None:
            out.append(f"{alter} DROP EXPRESSION")
        elif _can_set_expression(context):
            out.append(f"{alter} SET EXPRESSION AS ({des.generated})")
    if "identity" in what and cur.identity in ("always", "by default"):
        if des.identity in ("always", "by default"):
            out.append(f"{alter} SET GENERATED {des.identity.upper()}")
        else:
            out.append(f"{alter} DROP IDENTITY")
    # A default that cannot be cast to the new type blocks the type change: drop it first.
    type_change = "type" in what or "collation" in what
    if (
        ("default" in what or type_change)
        and cur.raw_default is not None
        and des.generated is None
        and (type_change or des.raw_default is None)
    ):
        out.append(f"{alter} DROP DEFAULT")
    if type_change:
        out[:0] = _drop_first(change.again)
        coll = f" COLLATE {q(des.collation)}" if des.collation else ""
        # No cast joins two enum types: go through text (values are matched by label).
        enums = {e.name for e in context.enums} if context is not None else set()
        via = "::text" if cur.type in enums or cur.raw_type in enums else ""
        out.append(f"{alter} TYPE {des.raw_type}{coll} USING {c}{via}::{des.raw_type}")
        # serial ↔ bigserial: the column's own sequence has a type too (its maximum) and follows the
        # column's. An identity column's sequence follows by itself.
        new_type = des.raw_type.lower()
        if new_type in _SEQ_TYPES and cur.identity is None and context is not None:
            out.extend(
                f"ALTER SEQUENCE {qn(s.name)} AS {new_type}"
                for s in context.sequences
                if s.owned_by == f"{change.table}.{cur.name}" and s.data_type != new_type
            )
    if (
        des.raw_default is not None
        and des.generated is None
        and ("default" in what or (type_change and cur.raw_default))
    ):
        out.append(f"{alter} SET DEFAULT {default_sql(des)}")
    if (
        "identity" in what
        and cur.identity not in ("always", "by default")
        and des.identity in ("always", "by default")
    ):
        out.append(f"{alter} ADD GENERATED {des.identity.upper()} AS IDENTITY")
    if "nullable" in what:
        out.append(f"{alter} {'DROP' if des.nullable else 'SET'} NOT NULL")
    if type_change:
        out.extend(_make_again(change.again))
    return out


@render.register
def _(change: AlterPrimaryKey, context: Schema | None = None) -> list[str]:
    if change.current is not None and _referenced_by(change.table, change.current.columns, context):
        return []  # refused: see impact()
    out = []
    if change.current is not None:
        out.append(
            f"ALTER TABLE {qn(change.table)} DROP CONSTRAINT {q(_constraint_name(change.current.name, change))}"
        )
    if change.desired is not None:
        out.append(
            f"ALTER TABLE {qn(change.table)} ADD {_named(change.desired.name)}PRIMARY KEY ({_cols(change.desired.columns)})"
            + deferrable_sql(change.desired.deferrable)
        )
    return out


@render.register
def _(change: AddIndex, context: Schema | None = None) -> list[str]:
    return [create_index_sql(change.table, change.index)]


@render.register
def _(change: DropIndex, context: Schema | None = None) -> list[str]:
    return [f"DROP INDEX {in_schema_of(change.table, change.index.name)}"]


@render.register
def _(change: AddForeignKey, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {qn(change.table)} ADD {fk_sql(change.foreign_key)}"]


@render.register
def _(change: DropForeignKey, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} DROP CONSTRAINT {q(_constraint_name(change.foreign_key.name, change))}"
    ]


@render.register
def _(change: AddUnique, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} ADD {_named(change.unique.name)}UNIQUE ({_cols(change.unique.columns)})"
        + deferrable_sql(change.unique.deferrable)
    ]


@render.register
def _(change: DropUnique, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} DROP CONSTRAINT {q(_constraint_name(change.unique.name, change))}"
    ]


@render.register
def _(change: AddCheck, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} ADD {_named(change.check.name)}{check_sql(change.check.expression)}"
    ]


@render.register
def _(change: DropCheck, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} DROP CONSTRAINT {q(_constraint_name(change.check.name, change))}"
    ]


@render.register
def _(change: AddExclude, context: Schema | None = None) -> list[str]:
    return [
        f"ALTER TABLE {qn(change.table)} ADD CONSTRAINT {q(change.exclude.name)} {change.exclude.definition}"
    ]


@render.register
def _(change: DropExclude, context: Schema | None = None) -> list[str]:
    return [f"ALTER TABLE {qn(change.table)} DROP CONSTRAINT {q(change.exclude.name)}"]


def _create_view(v: View) -> str:
    # The options are not part of the printed definition: without them a view made again would lose
    # its CHECK OPTION or security_invoker (and run with its owner's rights instead of the caller's).
    with_ = f" WITH ({', '.join(v.options)})" if v.options else ""
    return f"CREATE {'MATERIALIZED ' if v.materialized else ''}VIEW {qn(v.name)}{with_} AS {v.definition}"


def _view_kind(v: View) -> str:
    return "MATERIALIZED VIEW" if v.materialized else "VIEW"


def _made_view(v: View) -> list[str]:
    """A view dropped around a change, made again: the view, a materialized one's indexes, its owner
    (else the migration's role would own it, and its grants and row-level security would change)."""
    out = [_create_view(v), *(create_index_sql(v.name, ix) for ix in v.indexes)]
    if v.owner:
        out.append(f"ALTER {_view_kind(v)} {qn(v.name)} OWNER TO {q(v.owner)}")
    return out


@render.register
def _(change: AddView, context: Schema | None = None) -> list[str]:
    # A new view gets no owner statement: main's owner is whoever loaded it on the scratch database.
    return [
        _create_view(change.view),
        *(create_index_sql(change.view.name, ix) for ix in change.view.indexes),
    ]


@render.register
def _(change: DropView, context: Schema | None = None) -> list[str]:
    return [f"DROP {'MATERIALIZED ' if change.view.materialized else ''}VIEW {qn(change.view.name)}"]


@render.register
def _(change: AlterView, context: Schema | None = None) -> list[str]:
    cur, des = change.current, change.desired
    # CREATE OR REPLACE VIEW refuses dropped or reordered columns; drop and create always works, once
    # the views that select from it are out of the way.
    return [
        *_drop_first(change.again),
        _drop_view(cur),
        *_made_view(des),
        *_make_again(change.again, des),
    ]


def _drop_view(v: View) -> str:
    return f"DROP {'MATERIALIZED ' if v.materialized else ''}VIEW {qn(v.name)}"


def _drop_first(again: Rebuilt) -> list[str]:
    """The dependent views, the last-made first (never CASCADE: it drops whatever it finds), and the
    table's triggers and policies in the way. All in the migration's transaction: no other session
    sees the table without them."""
    out = [f"DROP TRIGGER {q(t.name)} ON {qn(t.table)}" for t in again.table_triggers]
    out += [f"DROP POLICY {q(p.name)} ON {qn(p.table)}" for p in again.policies]
    return out + [_drop_view(v) for v in reversed(again.views)]


def _make_again(again: Rebuilt, first: View | None = None) -> list[str]:
    out = [s for v in again.views for s in _made_view(v)]
    out += [create_policy_sql(p) for p in again.policies]
    out += [t.definition for t in (*again.table_triggers, *again.triggers)]
    for g in again.grants:
        out.extend(render(AddGrant(g)))
    views = {v.name: v for v in (*again.views, *([first] if first else []))}
    out += [comment_sql(cm, views.get(cm.table)) for cm in again.comments]
    return out


@render.register
def _(change: AddNamespace, context: Schema | None = None) -> list[str]:
    return [f"CREATE SCHEMA IF NOT EXISTS {q(change.name)}"]


@render.register
def _(change: AddExtension, context: Schema | None = None) -> list[str]:
    # IF NOT EXISTS: extensions are database-wide, another schema's application may have made it.
    x = change.extension
    return [
        f"CREATE EXTENSION IF NOT EXISTS {q(x.name)}" + (f" WITH SCHEMA {q(x.schema)}" if x.schema else "")
    ]


def create_domain_sql(dm: Domain) -> str:
    parts = [f"CREATE DOMAIN {qn(dm.name)} AS {dm.base_type}"]
    if dm.collation:
        parts.append(f"COLLATE {q(dm.collation)}")
    if dm.raw_default is not None:
        parts.append(f"DEFAULT {dm.raw_default}")
    if not dm.nullable:
        parts.append("NOT NULL")
    parts.extend(f"{_named(c.name)}{check_sql(c.expression)}" for c in dm.checks)
    return " ".join(parts)


@render.register
def _(change: AddDomain, context: Schema | None = None) -> list[str]:
    return [create_domain_sql(change.domain)]


@render.register
def _(change: AlterDomain, context: Schema | None = None) -> list[str]:
    if change.changes & {"type", "collation"}:
        return []  # refused (see impact): the domain would have to be dropped and made again
    cur, des = change.current, change.desired
    name = qn(des.name)
    out: list[str] = []
    if "default" in change.changes:
        out.append(
            f"ALTER DOMAIN {name} DROP DEFAULT"
            if des.raw_default is None
            else f"ALTER DOMAIN {name} SET DEFAULT {des.raw_default}"
        )
    if "nullable" in change.changes:
        out.append(f"ALTER DOMAIN {name} {'DROP' if des.nullable else 'SET'} NOT NULL")
    old = {c.expression for c in cur.checks}
    added = [c for c in des.checks if c.expression not in old]
    taken = {c.name for c in cur.checks if c.name}
    for c in added:
        if c.name and c.name in taken:  # redefined under its old name: the old one goes first
            out.append(f"ALTER DOMAIN {name} DROP CONSTRAINT {q(c.name)}")
        # NOT VALID then VALIDATE, as for a table's CHECK: the second scans the domain's columns
        # without blocking their writes for the whole check.
        cname = _constraint_name(c.name, change)
        out.append(f"ALTER DOMAIN {name} ADD CONSTRAINT {q(cname)} {check_sql(c.expression)} NOT VALID")
        out.append(f"ALTER DOMAIN {name} VALIDATE CONSTRAINT {q(cname)}")
    return out


def _attribute_sql(a: Column) -> str:
    return f"{q(a.name)} {a.raw_type}" + (f" COLLATE {q(a.collation)}" if a.collation else "")


@render.register
def _(change: AddCompositeType, context: Schema | None = None) -> list[str]:
    ct = change.composite
    return [f"CREATE TYPE {qn(ct.name)} AS ({', '.join(_attribute_sql(a) for a in ct.attributes)})"]


def _of_type(col: Column, names: set[str]) -> bool:
    return col.type.removesuffix("[]") in names or col.raw_type.removesuffix("[]") in names


def composite_users(name: str, context: Schema | None) -> list[str]:
    """``table.column`` of the columns whose type is composite type ``name`` (arrays of it too), or a
    composite type holding it, at any depth: the server refuses to retype an attribute under any of
    them ("column t.o uses it", ``o`` being of a type with a field of this one)."""
    if context is None:
        return []
    holders = {name}
    grew = True
    while grew:  # the composite types that hold ``name``, through one another
        grew = False
        for ct in context.composites:
            if ct.name not in holders and any(_of_type(a, holders) for a in ct.attributes):
                holders.add(ct.name)
                grew = True
    return [f"{t.name}.{c.name}" for t in context.tables for c in t.columns if _of_type(c, holders)]


@render.register
def _(change: AlterCompositeType, context: Schema | None = None) -> list[str]:
    if change.retyped and composite_users(change.current.name, context):
        return []  # refused: see impact
    name = qn(change.desired.name)
    want = {a.name: a for a in change.desired.attributes}
    out = []
    for n in change.retyped:
        coll = want[n].collation
        out.append(
            f"ALTER TYPE {name} ALTER ATTRIBUTE {q(n)} TYPE {want[n].raw_type}"
            + (f" COLLATE {q(coll)}" if coll else "")
        )
    out += [f"ALTER TYPE {name} ADD ATTRIBUTE {_attribute_sql(want[n])}" for n in change.added]
    return out


@render.register
def _(change: AddFunction, context: Schema | None = None) -> list[str]:
    return [change.function.definition.strip()]


@render.register
def _(change: AlterFunction, context: Schema | None = None) -> list[str]:
    # Refused when the server would need DROP FUNCTION first (see impact).
    return [change.desired.definition.strip()] if change.replaceable else []


@render.register
def _(change: AddEnum, context: Schema | None = None) -> list[str]:
    labels = ", ".join(quote_literal(x) for x in change.enum.labels)
    return [f"CREATE TYPE {qn(change.enum.name)} AS ENUM ({labels})"]


@render.register
def _(change: AddEnumValue, context: Schema | None = None) -> list[str]:
    before = f" BEFORE {quote_literal(change.before)}" if change.before else ""
    return [f"ALTER TYPE {qn(change.enum)} ADD VALUE {quote_literal(change.value)}{before}"]


@render.register
def _(change: AddSequence, context: Schema | None = None) -> list[str]:
    s = change.sequence
    return [f"CREATE SEQUENCE {qn(s.name)} AS {s.data_type} INCREMENT BY {s.increment} START WITH {s.start}"]


@render.register
def _(change: AddTrigger, context: Schema | None = None) -> list[str]:
    return [change.trigger.definition]


@render.register
def _(change: AlterTrigger, context: Schema | None = None) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {q(change.current.name)} ON {qn(change.current.table)}",
        change.desired.definition,
    ]


@render.register
def _(change: AddPartition, context: Schema | None = None) -> list[str]:
    pt = change.partition
    sub_key = f" PARTITION BY {pt.partition_by}" if pt.partition_by else ""
    return [f"CREATE TABLE {qn(pt.name)} PARTITION OF {qn(pt.parent)} {pt.bound}{sub_key}"]


@render.register
def _(change: AlterPartitioning, context: Schema | None = None) -> list[str]:
    return []  # refused (see impact)


@render.register
def _(change: EnableRowSecurity, context: Schema | None = None) -> list[str]:
    t = qn(change.table)
    return [
        *([f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"] if change.enable else []),
        *([f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY"] if change.force else []),
    ]


def _roles_sql(po: Policy) -> str:
    return ", ".join("PUBLIC" if r == "public" else q(r) for r in po.roles)


def _policy_exprs(po: Policy) -> str:
    return (f" USING ({po.using})" if po.using else "") + (f" WITH CHECK ({po.check})" if po.check else "")


def create_policy_sql(po: Policy) -> str:
    kind = "" if po.permissive else " AS RESTRICTIVE"
    return f"CREATE POLICY {q(po.name)} ON {qn(po.table)}{kind} FOR {po.command} TO {_roles_sql(po)}{_policy_exprs(po)}"


@render.register
def _(change: AddPolicy, context: Schema | None = None) -> list[str]:
    return [create_policy_sql(change.policy)]


@render.register
def _(change: AlterPolicy, context: Schema | None = None) -> list[str]:
    cur, des = change.current, change.desired
    on = f"{q(des.name)} ON {qn(des.table)}"
    if (
        (cur.command, cur.permissive) != (des.command, des.permissive)
        or (cur.using and not des.using)
        or (cur.check and not des.check)
    ):
        # ALTER POLICY cannot change these, nor take an expression away: made again, in one transaction.
        return [f"DROP POLICY {on}", create_policy_sql(des)]
    return [f"ALTER POLICY {on} TO {_roles_sql(des)}{_policy_exprs(des)}"]


@render.register
def _(change: AddGrant, context: Schema | None = None) -> list[str]:
    g = change.grant
    to = "PUBLIC" if g.grantee == "public" else q(g.grantee)
    privileges, _unknown = grantable(change, context)  # see impact
    return [f"GRANT {', '.join(privileges)} ON {g.on} {qn(g.object)} TO {to}"] if privileges else []


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_sql(cm: Comment, view: View | None = None) -> str:
    """``COMMENT ON`` a table, view (``view`` given: COMMENT ON TABLE refuses one) or column."""
    on = _view_kind(view) if view is not None else "TABLE"
    target = f"COLUMN {qn(cm.table)}.{q(cm.column)}" if cm.column else f"{on} {qn(cm.table)}"
    return f"COMMENT ON {target} IS {literal(cm.text)}"


@render.register
def _(change: SetComment, context: Schema | None = None) -> list[str]:
    view = context.view(change.comment.table) if context is not None else None
    return [comment_sql(change.comment, view)]


@render.register
def _(change: ProductionOnly, context: Schema | None = None) -> list[str]:
    return []  # kept: parity never drops what only production has


AE = "ACCESS EXCLUSIVE"


def _again_note(again: Rebuilt) -> str:
    made = [f"view {v.name}" for v in again.views]
    made += [f"comments on {c.target}" for c in again.comments]
    made += [f"trigger {t.name}" for t in (*again.table_triggers, *again.triggers)]
    made += [f"policy {p.name}" for p in again.policies]
    made += [f"grants on {g.object} to {g.grantee}" for g in again.grants]
    note = "dropped and made again around it, in the migration's transaction: " + ", ".join(made)
    filled = [v.name for v in again.views if v.materialized]
    if filled:
        note += (
            f"; materialized {', '.join(filled)} computed again (with their indexes) while the lock is held"
        )
    return note


def impact(change: Change, context: Schema | None = None) -> Impact:
    """Safety class, table rewrite and the lock PostgreSQL takes for ``change``."""
    match change:
        case ProductionOnly():
            return Impact(Safety.SAFE, note="kept: production-only objects are never dropped")
        case PossibleRename():
            return Impact(Safety.NEEDS_CARE, lock=f"{AE} (brief)", note="confirm: rename or add a new column")
        case DropTable() | DropColumn():
            return Impact(Safety.FORBIDDEN, lock=AE, note="drops data; parity never drops")
        case AddTable() | AddEnum() | AddSequence() | AddView():
            return Impact(Safety.SAFE)
        case AddGrant() as grant_change:
            known, unknown = grantable(grant_change, context)
            if unknown:
                return Impact(
                    Safety.SAFE if known else Safety.FORBIDDEN,
                    note=f"{', '.join(unknown)} left out: the target server has no such privilege "
                    f"(PostgreSQL {min(NEW_PRIVILEGES[p] for p in unknown) // 10000} added it)",
                )
            return Impact(Safety.SAFE, note="the role must exist on the server; nothing is revoked")
        case AddPartition():
            return Impact(
                Safety.NEEDS_CARE,
                lock="ACCESS EXCLUSIVE on the parent (brief)",
                note="a DEFAULT partition is scanned for rows the new bounds claim",
            )
        case AlterPartitioning(object_kind="partition"):
            return Impact(
                Safety.FORBIDDEN,
                lock=AE,
                note="a partition's bounds or parent change only by DETACH PARTITION and ATTACH with the "
                "new bounds, which parity does not do (rows outside them would have nowhere to go)",
            )
        case AlterPartitioning():
            return Impact(
                Safety.FORBIDDEN,
                lock=AE,
                note="a table's partitioning changes only by creating a new table and moving every row into "
                "it, which parity does not do: create the partitioned table under a new name and migrate",
            )
        case EnableRowSecurity():
            return Impact(
                Safety.NEEDS_CARE,
                lock=f"{AE} (brief)",
                note="roles other than the owner (and BYPASSRLS roles) see only the rows a policy allows",
            )
        case AddPolicy() | AlterPolicy():
            return Impact(
                Safety.SAFE, lock=f"{AE} (brief)", note="changes which rows roles see, not the rows"
            )
        case AddDomain() | AddNamespace() | AddCompositeType():
            return Impact(Safety.SAFE)
        case AlterCompositeType(retyped=retyped) as ct_change if retyped and (
            users := composite_users(ct_change.current.name, context)
        ):
            return Impact(
                Safety.FORBIDDEN,
                note=f"an attribute's type ({', '.join(retyped)}) cannot change while columns use the type "
                f"({', '.join(users)}): it needs ALTER TYPE … CASCADE, which rewrites their rows; add a new "
                "attribute or type instead",
            )
        case AlterCompositeType():
            return Impact(
                Safety.SAFE, note="metadata only: values already stored get NULL for a new attribute"
            )
        case AlterDomain(changes=what) if what & {"type", "collation"}:
            return Impact(
                Safety.FORBIDDEN,
                note="a domain's base type or collation changes only by dropping it and every column "
                "of it with it, which parity never does: create a new domain and move the columns",
            )
        case AlterDomain(changes=what) if what & {"checks", "nullable"}:
            return Impact(
                Safety.NEEDS_CARE,
                lock="SHARE on the tables using it",
                note="checks every value of the domain's columns; fails if one does not pass",
            )
        case AlterDomain():
            return Impact(Safety.SAFE, note="metadata only: new rows get the new default")
        case AddFunction():
            return Impact(Safety.SAFE)
        case AlterFunction() as fn_change if not fn_change.replaceable:
            return Impact(
                Safety.FORBIDDEN,
                note="CREATE OR REPLACE cannot change a function's result type or its parameters' names "
                "and defaults: it needs DROP FUNCTION, which parity never does; add a function under a new name",
            )
        case AlterFunction():
            return Impact(
                Safety.NEEDS_CARE,
                note="every caller gets the new body at commit; an index or CHECK built on it is not recomputed",
            )
        case AddExtension():
            return Impact(Safety.SAFE, note="database-wide; the extension must be available on the server")
        case SetComment():
            return Impact(Safety.SAFE, lock="SHARE UPDATE EXCLUSIVE (brief)", note="metadata only")
        case AddEnumValue():
            return Impact(Safety.SAFE, note="cannot be undone; the new label is usable after commit")
        case AlterView(again=again) if again:
            filled = any(v.materialized for v in again.views)
            return Impact(
                Safety.NEEDS_CARE if filled else Safety.SAFE,
                lock=AE if filled else f"{AE} (brief)",
                note=_again_note(again),
            )
        case AlterView() | DropView() | RenameColumn():
            return Impact(Safety.SAFE, lock=f"{AE} (brief)")
        case AddTrigger() | AlterTrigger():
            return Impact(Safety.SAFE, lock="SHARE ROW EXCLUSIVE (brief)")
        case DropIndex():
            return Impact(Safety.SAFE, lock=f"{AE} (brief)")
        case AddIndex(index=ix):
            note = "blocks writes while it builds; plan it CONCURRENTLY"
            if ix.unique:
                note += "; fails if existing rows hold duplicates"
            return Impact(Safety.NEEDS_CARE, lock="SHARE (blocks writes)", note=note)
        case AddColumn(column=col):
            if col.generated is not None or col.identity in ("always", "by default"):
                return Impact(Safety.NEEDS_CARE, True, AE, "computes a value for every row: table rewrite")
            if col.raw_default is not None and _VOLATILE.search(col.raw_default):
                return Impact(Safety.NEEDS_CARE, True, AE, "volatile default: every row is rewritten")
            if not col.nullable and col.raw_default is None:
                return Impact(
                    Safety.UNSAFE, False, f"{AE} (brief)", "NOT NULL without a default fails on existing rows"
                )
            return Impact(
                Safety.SAFE, False, f"{AE} (brief)", "metadata only (constant default since PostgreSQL 11)"
            )
        case AlterColumn(changes=what, current=cur, desired=des):
            if readers := generated_readers(change, context):
                return Impact(
                    Safety.FORBIDDEN,
                    lock=AE,
                    note=f"generated column {', '.join(readers)} reads it: PostgreSQL changes its type only after "
                    "the generated column is dropped, which parity never does",
                )
            if "type" in what or "collation" in what:
                rw = "collation" in what or rewrites(cur.type, des.type)
                views = f"; {_again_note(change.again)}" if change.again else ""
                if narrows(cur.type, des.type):
                    return Impact(
                        Safety.UNSAFE, rw, AE, f"{cur.type} → {des.type}: existing values may not fit{views}"
                    )
                if rw:
                    return Impact(
                        Safety.NEEDS_CARE, True, AE, f"{cur.type} → {des.type}: table rewrite{views}"
                    )
                return Impact(
                    Safety.SAFE, False, f"{AE} (brief)", f"{cur.type} → {des.type}: no rewrite{views}"
                )
            if "generated" in what and des.generated is not None and not _can_set_expression(context):
                version = server_version(context)
                return Impact(
                    Safety.FORBIDDEN,
                    lock=AE,
                    note=f"PostgreSQL {(version or 0) // 10000} cannot change a generated expression in place "
                    "(SET EXPRESSION is 17+): it needs the column dropped and added again, which parity never does",
                )
            if "generated" in what or "identity" in what:
                return Impact(Safety.NEEDS_CARE, True, AE, "generated/identity change")
            if "nullable" in what and not des.nullable:
                return Impact(
                    Safety.NEEDS_CARE, False, AE, "SET NOT NULL scans the table; fails if NULLs exist"
                )
            return Impact(Safety.SAFE, False, f"{AE} (brief)", "metadata only")
        case AddForeignKey():
            return Impact(
                Safety.NEEDS_CARE,
                False,
                "SHARE ROW EXCLUSIVE on both tables",
                "validates every row; plan NOT VALID + VALIDATE",
            )
        case AddCheck():
            return Impact(Safety.NEEDS_CARE, False, AE, "validates every row; plan NOT VALID + VALIDATE")
        case AlterPrimaryKey(table=table, current=old) if old is not None and (
            held := _referenced_by(table, old.columns, context)
        ):
            return Impact(
                Safety.FORBIDDEN,
                lock=AE,
                note=f"foreign keys production keeps depend on it ({', '.join(held)}): parity never drops them",
            )
        case AddUnique() | AlterPrimaryKey():
            return Impact(Safety.NEEDS_CARE, False, AE, "builds a unique index; fails on duplicates")
        case AddExclude():
            return Impact(
                Safety.NEEDS_CARE,
                False,
                AE,
                "builds its index under an ACCESS EXCLUSIVE lock (no NOT VALID form); fails on conflicting rows",
            )
        case DropForeignKey() | DropUnique() | DropCheck() | DropExclude():
            return Impact(Safety.SAFE, False, f"{AE} (brief)")
    return Impact(Safety.NEEDS_CARE, note="unclassified change")


__all__ = ["column_sql", "create_index_sql", "create_table_sql", "impact", "render"]
