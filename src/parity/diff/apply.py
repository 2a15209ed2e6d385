"""``apply_change(schema, change)`` → the schema after the change, in the model only (no I/O).

Dialects that rebuild a table to change it (SQLite) render against the table's shape at
that point of a script; the planner and tests use it to check that a list of changes
really leads to the desired schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

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
    AlterTableOptions,
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
    PossibleRename,
    ProductionOnly,
    Rebuilt,
    RenameColumn,
    SetComment,
)
from parity.model.schema import CompositeType, EnumType, Index, Schema, Table, View


def _sorted(items: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(sorted(items, key=lambda t: t.name))


def _with_table(schema: Schema, name: str, fn: Callable[[Table], Table]) -> Schema:
    tables = []
    found = False
    for t in schema.tables:
        if t.name.lower() == name.lower():
            tables.append(fn(t))
            found = True
        else:
            tables.append(t)
    if not found:
        raise KeyError(f"no table {name!r} in the schema")
    return replace(schema, tables=tuple(tables))


def _with_view(schema: Schema, name: str, fn: Callable[[View], View]) -> Schema:
    return replace(schema, views=tuple(fn(v) if v.name == name else v for v in schema.views))


def _by_name(indexes: Iterable[Index]) -> tuple[Index, ...]:
    return tuple(sorted(indexes, key=lambda i: i.name))


def _rename_in(cols: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if c == old else c for c in cols)


def _made_again(schema: Schema, again: Rebuilt) -> Schema:
    """``schema`` after the views, triggers and grants of ``again`` are dropped and made again as
    given (the grants are the ones those views had, so only views and triggers can change)."""
    if not again:
        return schema
    views = {v.name: v for v in again.views}
    triggers = {(t.table, t.name): t for t in again.triggers}
    comments = {(c.table, c.column): c for c in again.comments}
    return replace(
        schema,
        views=tuple(views.get(v.name, v) for v in schema.views),
        triggers=tuple(triggers.get((t.table, t.name), t) for t in schema.triggers),
        comments=tuple(comments.get((c.table, c.column), c) for c in schema.comments),
    )


def apply_change(schema: Schema, change: Change) -> Schema:
    """The schema ``change`` leads to. ``ProductionOnly`` changes nothing; ``PossibleRename`` adds the new column."""
    match change:
        case ProductionOnly():
            return schema
        case PossibleRename():
            # Renderers apply the declared schema literally: the new column is added, the old kept.
            return apply_change(schema, change.as_add())
        case AddTable(definition=t):
            return replace(schema, tables=_sorted((*schema.tables, t)))
        case DropTable(definition=t):
            return replace(schema, tables=tuple(x for x in schema.tables if x.name.lower() != t.name.lower()))
        case AddColumn(table=tn, column=col):
            return _with_table(schema, tn, lambda t: replace(t, columns=(*t.columns, col)))
        case DropColumn(table=tn, column=col):
            return _with_table(
                schema,
                tn,
                lambda t: replace(
                    t, columns=tuple(c for c in t.columns if c.name.lower() != col.name.lower())
                ),
            )
        case AlterColumn(table=tn, current=cur, desired=des, again=again):
            return _with_table(
                _made_again(schema, again),
                tn,
                lambda t: replace(
                    t, columns=tuple(des if c.name.lower() == cur.name.lower() else c for c in t.columns)
                ),
            )
        case RenameColumn(table=tn, old=old, new=new):

            def rename(t: Table) -> Table:
                cols = tuple(replace(c, name=new) if c.name == old else c for c in t.columns)
                pk = (
                    replace(t.primary_key, columns=_rename_in(t.primary_key.columns, old, new))
                    if t.primary_key
                    else None
                )
                return replace(t, columns=cols, primary_key=pk)

            return _with_table(schema, tn, rename)
        case AlterTableOptions(table=tn):
            return _with_table(schema, tn, change.apply)
        case AlterPrimaryKey(table=tn, desired=pk):
            return _with_table(schema, tn, lambda t: replace(t, primary_key=pk))
        case AddIndex(table=tn, index=ix) if schema.view(tn) is not None:  # a materialized view's
            return _with_view(schema, tn, lambda v: replace(v, indexes=_by_name((*v.indexes, ix))))
        case DropIndex(table=tn, index=ix) if schema.view(tn) is not None:
            return _with_view(
                schema, tn, lambda v: replace(v, indexes=tuple(i for i in v.indexes if i.name != ix.name))
            )
        case AddIndex(table=tn, index=ix):
            return _with_table(
                schema,
                tn,
                lambda t: replace(t, indexes=tuple(sorted((*t.indexes, ix), key=lambda i: i.name))),
            )
        case DropIndex(table=tn, index=ix):
            return _with_table(
                schema, tn, lambda t: replace(t, indexes=tuple(i for i in t.indexes if i.name != ix.name))
            )
        case AddForeignKey(table=tn, foreign_key=fk):
            return _with_table(schema, tn, lambda t: replace(t, foreign_keys=(*t.foreign_keys, fk)))
        case DropForeignKey(table=tn, foreign_key=fk):
            return _with_table(
                schema, tn, lambda t: replace(t, foreign_keys=tuple(f for f in t.foreign_keys if f != fk))
            )
        case AddUnique(table=tn, unique=u):
            return _with_table(schema, tn, lambda t: replace(t, uniques=(*t.uniques, u)))
        case DropUnique(table=tn, unique=u):
            return _with_table(
                schema, tn, lambda t: replace(t, uniques=tuple(x for x in t.uniques if x != u))
            )
        case AddCheck(table=tn, check=ck):
            return _with_table(schema, tn, lambda t: replace(t, checks=(*t.checks, ck)))
        case DropCheck(table=tn, check=ck):
            return _with_table(schema, tn, lambda t: replace(t, checks=tuple(x for x in t.checks if x != ck)))
        case AddExclude(table=tn, exclude=ex):
            return _with_table(schema, tn, lambda t: replace(t, excludes=(*t.excludes, ex)))
        case DropExclude(table=tn, exclude=ex):
            return _with_table(
                schema, tn, lambda t: replace(t, excludes=tuple(x for x in t.excludes if x != ex))
            )
        case AddView(view=v):
            return replace(schema, views=tuple(sorted((*schema.views, v), key=lambda x: x.name)))
        case DropView(view=v):
            return replace(schema, views=tuple(x for x in schema.views if x.name != v.name))
        case AlterView(desired=v, again=again):
            return _made_again(
                replace(schema, views=tuple(v if x.name == v.name else x for x in schema.views)), again
            )
        case AddGrant(grant=g):
            held = [x for x in schema.grants if (x.object, x.grantee) == (g.object, g.grantee)]
            others = [x for x in schema.grants if (x.object, x.grantee) != (g.object, g.grantee)]
            privs = {*g.privileges, *(p for x in held for p in x.privileges)}
            merged = replace(g, privileges=tuple(sorted(privs)))
            return replace(
                schema, grants=tuple(sorted((*others, merged), key=lambda x: (x.object, x.grantee)))
            )
        case AddPartition(partition=pt):
            return replace(schema, partitions=tuple(sorted((*schema.partitions, pt), key=lambda x: x.name)))
        case AlterPartitioning():
            return schema  # refused: nothing changes
        case EnableRowSecurity(table=tn, enable=on, force=forced):
            return _with_table(
                schema,
                tn,
                lambda t: replace(
                    t, row_security=t.row_security or on, force_row_security=t.force_row_security or forced
                ),
            )
        case AddPolicy(policy=po):
            return replace(
                schema, policies=tuple(sorted((*schema.policies, po), key=lambda x: (x.table, x.name)))
            )
        case AlterPolicy(current=old_po, desired=new_po):
            return replace(schema, policies=tuple(new_po if x == old_po else x for x in schema.policies))
        case AddNamespace(name=n):
            return replace(schema, namespaces=tuple(sorted((*schema.namespaces, n))))
        case AddExtension(extension=x):
            return replace(schema, extensions=tuple(sorted((*schema.extensions, x), key=lambda e: e.name)))
        case AddDomain(domain=dm):
            return replace(schema, domains=tuple(sorted((*schema.domains, dm), key=lambda x: x.name)))
        case AlterDomain(current=old_dm, desired=new_dm):
            return replace(schema, domains=tuple(new_dm if x == old_dm else x for x in schema.domains))
        case AddCompositeType(composite=ct):
            return replace(schema, composites=tuple(sorted((*schema.composites, ct), key=lambda x: x.name)))
        case AlterCompositeType(current=old_ct, desired=new_ct, added=added, retyped=retyped):

            def altered(ct: CompositeType) -> CompositeType:
                # As the server does it: retyped attributes change in place, added ones go last.
                if ct.name != old_ct.name:
                    return ct
                want = {a.name: a for a in new_ct.attributes}
                kept = tuple(want[a.name] if a.name in retyped else a for a in ct.attributes)
                return replace(ct, attributes=kept + tuple(want[n] for n in added))

            return replace(schema, composites=tuple(altered(ct) for ct in schema.composites))
        case AddFunction(function=fn):
            return replace(
                schema, functions=tuple(sorted((*schema.functions, fn), key=lambda f: f.signature))
            )
        case AlterFunction(current=old_fn, desired=new_fn):
            return replace(schema, functions=tuple(new_fn if f == old_fn else f for f in schema.functions))
        case AddEnum(enum=e):
            return replace(schema, enums=(*schema.enums, e))
        case AddEnumValue(enum=name, value=value, before=before):

            def add_label(e: EnumType) -> EnumType:
                if e.name != name:
                    return e
                labels = list(e.labels)
                labels.insert(labels.index(before) if before in labels else len(labels), value)
                return replace(e, labels=tuple(labels))

            return replace(schema, enums=tuple(add_label(e) for e in schema.enums))
        case AddSequence(sequence=s):
            return replace(schema, sequences=(*schema.sequences, s))
        case AddTrigger(trigger=tr):
            return replace(schema, triggers=(*schema.triggers, tr))
        case AlterTrigger(current=old_tr, desired=new_tr):
            return replace(schema, triggers=tuple(new_tr if t == old_tr else t for t in schema.triggers))
        case SetComment(comment=cm):
            kept = tuple(c for c in schema.comments if (c.table, c.column) != (cm.table, cm.column))
            return replace(
                schema, comments=tuple(sorted((*kept, cm), key=lambda c: (c.table, c.column or "")))
            )
    raise TypeError(f"apply_change: unknown change {type(change).__name__}")


def apply_changes(schema: Schema, changes: Iterable[Change]) -> Schema:
    for change in changes:
        schema = apply_change(schema, change)
    return schema
