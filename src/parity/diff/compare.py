"""``compare(current, desired)`` → the ordered changes that take ``current`` to ``desired``.

Pure and dialect-free: both schemas were normalised by their inspector, and the dialect's
:class:`~parity.dialects.base.CompareOptions` say how names match. What only ``current``
(production) has is reported as :class:`ProductionOnly` and never dropped.

Order: other schemas, extensions, enums, domains (a domain after the domain it is over),
sequences, functions (one whose text names a new table or view comes after the views instead),
new tables (referenced tables first), new partitions (a parent first), then per existing table
(by name) partitioning, table options being removed, primary key, columns, indexes, uniques,
checks, EXCLUDE constraints, table options being added; then foreign keys of existing tables (they
may reference new tables), views, row-level security and policies, grants, triggers, comments, and
finally production-only objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from parity.diff.depends import (
    column_readers,
    dependent_views,
    function_refs,
    grants_on,
    topological,
    triggers_on,
    view_function_refs,
    view_refs,
)
from parity.model.changes import (
    AddCheck,
    AddColumn,
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
    AlterDomain,
    AlterFunction,
    AlterPartitioning,
    AlterPolicy,
    AlterPrimaryKey,
    AlterTableOptions,
    AlterTrigger,
    AlterView,
    Change,
    CompareOptions,
    DropCheck,
    DropExclude,
    DropForeignKey,
    DropIndex,
    DropUnique,
    EnableRowSecurity,
    PossibleRename,
    ProductionOnly,
    Rebuilt,
    SetComment,
    table_options,
)
from parity.model.schema import (
    Column,
    Domain,
    ForeignKey,
    Function,
    Grant,
    Index,
    Partition,
    Schema,
    Table,
    View,
)

T = TypeVar("T")


def _by_key(items: Iterable[T], name: Callable[[T], str], key: Callable[[str], str]) -> dict[str, T]:
    return {key(name(i)): i for i in items}


def column_changes(current: Column, desired: Column) -> frozenset[str]:
    """The attributes in which two same-named columns differ (normalised values only).

    ``comment`` is never compared: comments are documentation, and differ between
    environments without meaning anything.
    """
    changed: set[str] = set()
    if current.type != desired.type:
        changed.add("type")
    if current.nullable != desired.nullable:
        changed.add("nullable")
    if current.default != desired.default:
        changed.add("default")
    if current.collation != desired.collation:
        changed.add("collation")
    if (current.generated, current.generated_stored if current.generated else False) != (
        desired.generated,
        desired.generated_stored if desired.generated else False,
    ):
        changed.add("generated")
    if current.identity != desired.identity:
        changed.add("identity")
    if current.on_update != desired.on_update:
        changed.add("on_update")
    return frozenset(changed)


def _index_signature(index: Index, key: Callable[[str], str]) -> tuple[object, ...]:
    parts = tuple(
        (
            key(p.column) if p.column is not None else None,
            p.expression,
            p.descending,
            p.length,
            p.opclass,
            p.collation,
        )
        for p in index.parts
    )
    return (parts, index.unique, index.where, index.method)


def _fk_signature(fk: ForeignKey, key: Callable[[str], str]) -> tuple[object, ...]:
    return (
        tuple(key(c) for c in fk.columns),
        key(fk.ref_table),
        tuple(key(c) for c in fk.ref_columns),
        fk.ref_schema,
    )


def _topological(tables: list[Table], key: Callable[[str], str]) -> list[Table]:
    """New tables ordered so a referenced table comes before the tables referencing it."""
    names = {key(t.name): t for t in tables}
    done: dict[str, Table] = {}
    visiting: set[str] = set()

    def visit(t: Table) -> None:
        k = key(t.name)
        if k in done or k in visiting:
            return  # a cycle: keep declaration order for the rest
        visiting.add(k)
        for fk in t.foreign_keys:
            dep = None if fk.ref_schema else names.get(key(fk.ref_table))
            if dep is not None and dep is not t:
                visit(dep)
        visiting.discard(k)
        done[k] = t

    for t in tables:
        visit(t)
    return list(done.values())


def _compare_columns(
    current: Table, desired: Table, key: Callable[[str], str]
) -> tuple[list[Change], list[Change]]:
    """(changes, production-only) for the columns of one table, with rename suspicion."""
    cur = _by_key(current.columns, lambda c: c.name, key)
    des = _by_key(desired.columns, lambda c: c.name, key)
    added = [c for k, c in des.items() if k not in cur]
    gone = [c for k, c in cur.items() if k not in des]
    changes: list[Change] = []
    renames: list[Change] = []
    # A rename is suspected only when exactly one column of a type went and exactly one of
    # that type came: with more candidates any pairing would be a guess.
    paired_old: set[str] = set()
    paired_new: set[str] = set()
    for col_type in {c.type for c in added}:
        new_of_type = [c for c in added if c.type == col_type]
        old_of_type = [c for c in gone if c.type == col_type]
        if len(new_of_type) == 1 and len(old_of_type) == 1:
            renames.append(PossibleRename(current.name, old_of_type[0], new_of_type[0]))
            paired_old.add(old_of_type[0].name)
            paired_new.add(new_of_type[0].name)
    for col in desired.columns:
        k = key(col.name)
        if k not in cur:
            if col.name not in paired_new:
                changes.append(AddColumn(current.name, col))
            continue
        diff = column_changes(cur[k], col)
        if diff:
            changes.append(AlterColumn(current.name, cur[k], col, diff))
    changes.extend(renames)
    only: list[Change] = [
        ProductionOnly("column", current.name, c.name, c.raw_type)
        for c in current.columns
        if key(c.name) not in des and c.name not in paired_old
    ]
    return changes, only


def _free_primary_keys(
    changes: list[Change], current: Schema, desired: Schema, key: Callable[[str], str]
) -> list[Change]:
    """A primary key that foreign keys reference cannot be dropped while they stand ("other objects
    depend on it"): each one main keeps is dropped before the key changes and added again after.
    One main no longer declares stays (production-only, never dropped), and the key change is then
    refused by the dialect's impact."""
    out: list[Change] = []
    re_add: list[Change] = []
    already = {
        (key(c.table), _fk_signature(c.foreign_key, key)) for c in changes if isinstance(c, DropForeignKey)
    }
    for change in changes:
        if isinstance(change, AlterPrimaryKey) and change.current is not None:
            old_cols = {key(c) for c in change.current.columns}
            for table in current.tables:
                want = desired.table(table.name)
                for fk in table.foreign_keys:
                    sig = _fk_signature(fk, key)
                    if key(fk.ref_table) != key(change.table) or {key(c) for c in fk.ref_columns} != old_cols:
                        continue
                    kept = next(
                        (f for f in (want.foreign_keys if want else ()) if _fk_signature(f, key) == sig), None
                    )
                    if kept is None or (key(table.name), sig) in already:
                        continue
                    out.append(DropForeignKey(table.name, fk))
                    re_add.append(AddForeignKey(table.name, kept))
        out.append(change)
    # Re-added after every table change, with the other foreign keys.
    first_fk = next((i for i, c in enumerate(out) if isinstance(c, AddForeignKey)), len(out))
    return out[:first_fk] + re_add + out[first_fk:]


def _rebuilt(
    current: Schema, desired: Schema, first: str | None, views: tuple[View, ...], key: Callable[[str], str]
) -> Rebuilt:
    """What goes with dropping view ``first`` (None: none) and ``views``: those views, made again as
    given, the triggers on them all (main's definition where main has the trigger), their grants."""
    gone = [*([first] if first else []), *(v.name for v in views)]
    main_triggers = {(key(t.table), key(t.name)): t for t in desired.triggers}
    triggers = tuple(
        main_triggers.get((key(t.table), key(t.name)), t) for t in triggers_on(current, gone, key)
    )
    return Rebuilt(views, triggers, tuple(grants_on(current, gone, key)))


def _free_column_types(
    changes: list[Change], current: Schema, desired: Schema, key: Callable[[str], str]
) -> list[Change]:
    """A column's type cannot change while a view reads it: each such change drops those views (and the
    views over them) first and makes them again after, as they are on the database."""
    out: list[Change] = []
    for c in changes:
        if isinstance(c, AlterColumn) and c.changes & {"type", "collation"}:
            views = tuple(column_readers(current, c.table, c.current.name, key))
            if views:
                c = replace(c, again=_rebuilt(current, desired, None, views, key))
        out.append(c)
    return out


def _compare_views(
    current: Schema,
    desired: Schema,
    late_fn: dict[str, tuple[Change, Function]],
    key: Callable[[str], str],
) -> list[Change]:
    """New and changed views, and the functions that had to wait for a new table or view, each after
    what it needs (a view over a view, a view calling such a function, a function reading a view).

    A changed view is dropped and created again: the views that select from it on the database go
    first and come back after it (with main's definition when main has them), and so do the
    triggers on them all, which a dropped view takes with it."""
    cur_views = _by_key(current.views, lambda v: v.name, key)
    des_views = _by_key(desired.views, lambda v: v.name, key)
    refs = view_refs(desired, key)
    nodes = [("view", k) for k in des_views] + [("function", k) for k in late_fn]

    def needs(node: tuple[str, str]) -> list[tuple[str, str]]:
        kind, k = node
        if kind == "view":
            calls = view_function_refs(desired, des_views[k], key)
            waiting = [("function", s) for s, (_, fn) in late_fn.items() if key(fn.name) in calls]
            return [("view", r) for r in sorted(refs.get(k, ()))] + waiting
        body = function_refs(desired, late_fn[k][1], key)
        return [("view", r) for r in sorted(body & des_views.keys())]

    out: list[Change] = []
    for kind, k in topological(nodes, needs):
        if kind == "function":
            out.append(late_fn[k][0])
            continue
        view = des_views[k]
        old_view = cur_views.get(k)
        if old_view is None:
            out.append(AddView(view))
        elif (old_view.definition, old_view.materialized) != (view.definition, view.materialized):
            views = tuple(des_views.get(key(v.name), v) for v in dependent_views(current, old_view.name, key))
            out.append(AlterView(old_view, view, _rebuilt(current, desired, old_view.name, views, key)))
    return out


def _compare_partitions(
    current: Schema, desired: Schema, key: Callable[[str], str]
) -> tuple[list[Change], list[Change]]:
    """(changes, production-only) for partitions: a new one after its parent partition; one whose
    bounds or parent main changes is refused by the dialect (it needs DETACH and ATTACH)."""
    cur = _by_key(current.partitions, lambda p: p.name, key)
    des = _by_key(desired.partitions, lambda p: p.name, key)
    done: dict[str, Partition] = {}

    def visit(k: str) -> None:
        if k in done:
            return
        parent = key(des[k].parent)
        if parent in des and parent not in cur and parent != k:
            visit(parent)
        done[k] = des[k]

    for k in des:
        if k not in cur:
            visit(k)
    changes: list[Change] = [AddPartition(p) for k, p in done.items() if k not in cur]
    for k, p in des.items():
        old = cur.get(k)
        if old is not None and (key(old.parent), old.bound) != (key(p.parent), p.bound):
            changes.append(
                AlterPartitioning(p.name, "partition", f"{old.parent} {old.bound}", f"{p.parent} {p.bound}")
            )
        elif old is not None and old.partition_by != p.partition_by:
            changes.append(AlterPartitioning(p.name, "partition", old.partition_by, p.partition_by))
    only: list[Change] = [
        ProductionOnly("partition", None, p.name, p.parent) for k, p in cur.items() if k not in des
    ]
    return changes, only


def domain_changes(current: Domain, desired: Domain) -> frozenset[str]:
    """What differs between two same-named domains (see :class:`AlterDomain`)."""
    changed = set()
    if current.base_type != desired.base_type:
        changed.add("type")
    if current.collation != desired.collation:
        changed.add("collation")
    if current.default != desired.default:
        changed.add("default")
    if current.nullable != desired.nullable:
        changed.add("nullable")
    if {c.expression for c in desired.checks} - {c.expression for c in current.checks}:
        changed.add("checks")
    return frozenset(changed)


def _compare_domains(
    current: Schema, desired: Schema, key: Callable[[str], str]
) -> tuple[list[Change], list[Change]]:
    """(changes, production-only) for domains: new ones so a domain over another comes after it."""
    cur = _by_key(current.domains, lambda d: d.name, key)
    new = {key(d.name): d for d in desired.domains if key(d.name) not in cur}
    done: dict[str, Domain] = {}
    seen: set[str] = set()

    def visit(k: str) -> None:
        if k in seen:
            return  # done, or a cycle (which the server forbids)
        seen.add(k)
        base = key(new[k].base_type)
        if base in new:
            visit(base)
        done[k] = new[k]

    for k in new:
        visit(k)
    changes: list[Change] = [AddDomain(d) for d in done.values()]
    only: list[Change] = []
    for d in desired.domains:
        old = cur.get(key(d.name))
        if old is None:
            continue
        what = domain_changes(old, d)
        if what:
            changes.append(AlterDomain(old, d, what))
        des_exprs = {c.expression for c in d.checks}
        renamed = {
            key(c.name) for c in d.checks if c.name and c.expression not in {o.expression for o in old.checks}
        }
        only.extend(
            ProductionOnly("domain_check", None, f"{d.name}.{c.name or c.expression}")
            for c in old.checks
            if c.expression not in des_exprs and not (c.name and key(c.name) in renamed)
        )
    des = {key(d.name) for d in desired.domains}
    only.extend(ProductionOnly("domain", None, d.name) for k, d in cur.items() if k not in des)
    return changes, only


def _compare_table(
    current: Table, desired: Table, key: Callable[[str], str]
) -> tuple[list[Change], list[Change], list[Change]]:
    """(changes, foreign-key changes, production-only) for a table both sides have."""
    if current == desired:
        # Most tables of a large schema are unchanged: one equality test (every field,
        # spellings included) instead of matching columns, indexes and constraints by name.
        return [], [], []
    changes: list[Change] = []
    only: list[Change] = []
    t = current.name
    if current.partition_by != desired.partition_by:
        changes.append(AlterPartitioning(t, "table", current.partition_by, desired.partition_by))

    # Table options (SQLite WITHOUT ROWID) constrain the primary key: one being removed goes
    # first, so the key may change after it; one being added goes last, on the final key.
    cur_opts, des_opts = table_options(current), table_options(desired)
    options_change = AlterTableOptions(t, cur_opts, des_opts) if cur_opts != des_opts else None
    if options_change is not None and "without_rowid" in cur_opts - des_opts:
        changes.append(options_change)
        options_change = None

    # A key's deferrability is part of it: PostgreSQL changes it only by dropping and adding the key.
    cur_pk = (
        (tuple(key(c) for c in current.primary_key.columns), current.primary_key.deferrable)
        if current.primary_key
        else ()
    )
    des_pk = (
        (tuple(key(c) for c in desired.primary_key.columns), desired.primary_key.deferrable)
        if desired.primary_key
        else ()
    )
    if cur_pk != des_pk:
        changes.append(AlterPrimaryKey(t, current.primary_key, desired.primary_key))

    col_changes, col_only = _compare_columns(current, desired, key)
    changes.extend(col_changes)
    only.extend(col_only)

    cur_ix = _by_key(current.indexes, lambda i: i.name, key)
    des_ix = _by_key(desired.indexes, lambda i: i.name, key)
    for k, ix in des_ix.items():
        old = cur_ix.get(k)
        if old is None:
            changes.append(AddIndex(t, ix))
        elif _index_signature(old, key) != _index_signature(ix, key):
            changes.append(DropIndex(t, old))
            changes.append(AddIndex(t, ix))
    only.extend(ProductionOnly("index", t, ix.name) for k, ix in cur_ix.items() if k not in des_ix)

    # A constraint main redefines under the same name (a CHECK relaxed, a UNIQUE widened) cannot be
    # added beside the old one ("already exists"): the old one is replaced, which loses no data.
    cur_uq = {(tuple(key(c) for c in u.columns), u.deferrable): u for u in current.uniques}
    des_uq = {(tuple(key(c) for c in u.columns), u.deferrable): u for u in desired.uniques}
    gone_uq = {key(u.name): u for sig, u in cur_uq.items() if sig not in des_uq and u.name}
    for sig, u in des_uq.items():
        if sig not in cur_uq:
            replaced = gone_uq.pop(key(u.name), None) if u.name else None
            if replaced is not None:
                changes.append(DropUnique(t, replaced))
            changes.append(AddUnique(t, u))
    only.extend(
        ProductionOnly("unique", t, u.name or f"({', '.join(u.columns)})")
        for sig, u in cur_uq.items()
        if sig not in des_uq and (not u.name or key(u.name) in gone_uq)
    )

    cur_ck = {c.expression: c for c in current.checks}
    des_ck = {c.expression: c for c in desired.checks}
    gone_ck = {key(c.name): c for e, c in cur_ck.items() if e not in des_ck and c.name}
    for e, c in des_ck.items():
        if e not in cur_ck:
            replaced_ck = gone_ck.pop(key(c.name), None) if c.name else None
            if replaced_ck is not None:
                changes.append(DropCheck(t, replaced_ck))
            changes.append(AddCheck(t, c))
    only.extend(
        ProductionOnly("check", t, c.name or c.expression)
        for e, c in cur_ck.items()
        if e not in des_ck and (not c.name or key(c.name) in gone_ck)
    )
    # EXCLUDE constraints by definition; one redefined under its name is replaced, like a CHECK.
    cur_ex = {x.definition: x for x in current.excludes}
    des_ex = {x.definition: x for x in desired.excludes}
    gone_ex = {key(x.name): x for d, x in cur_ex.items() if d not in des_ex}
    for d, x in des_ex.items():
        if d not in cur_ex:
            replaced_ex = gone_ex.pop(key(x.name), None)
            if replaced_ex is not None:
                changes.append(DropExclude(t, replaced_ex))
            changes.append(AddExclude(t, x))
    only.extend(ProductionOnly("exclude", t, x.name) for x in gone_ex.values())
    if options_change is not None:
        changes.append(options_change)

    fk_changes: list[Change] = []
    cur_fk = {_fk_signature(f, key): f for f in current.foreign_keys}
    des_fk = {_fk_signature(f, key): f for f in desired.foreign_keys}
    gone_fk = {key(f.name): f for fsig, f in cur_fk.items() if fsig not in des_fk and f.name}
    for fsig, fk in des_fk.items():
        old_fk = cur_fk.get(fsig)
        if old_fk is None:
            replaced_fk = gone_fk.pop(key(fk.name), None) if fk.name else None
            if replaced_fk is not None:
                fk_changes.append(DropForeignKey(t, replaced_fk))
            fk_changes.append(AddForeignKey(t, fk))
        elif (old_fk.on_delete, old_fk.on_update, old_fk.deferrable) != (
            fk.on_delete,
            fk.on_update,
            fk.deferrable,
        ):
            fk_changes.append(DropForeignKey(t, old_fk))
            fk_changes.append(AddForeignKey(t, fk))
    only.extend(
        ProductionOnly("foreign_key", t, f.name or f"({', '.join(f.columns)}) → {f.ref_label}")
        for sig, f in cur_fk.items()
        if sig not in des_fk and (not f.name or key(f.name) in gone_fk)
    )
    return changes, fk_changes, only


def compare(current: Schema, desired: Schema, options: CompareOptions | None = None) -> list[Change]:
    """The ordered changes from ``current`` (live) to ``desired`` (declared).

    >>> from parity.model.schema import Schema, Table, Column
    >>> a = Schema("sqlite", (Table("t", (Column("id", "integer"),)),))
    >>> b = Schema("sqlite", (Table("t", (Column("id", "integer"), Column("x", "text"))),))
    >>> [c.kind for c in compare(a, b)]
    ['add_column']
    """
    opts = options or CompareOptions()
    key: Callable[[str], str] = str.lower if opts.fold_case else (lambda s: s)
    changes: list[Change] = []
    fk_changes: list[Change] = []
    only: list[Change] = []

    # Other schemas main creates (an extension may go in one). One only production has is not
    # reported: the inspector counts what such schemas hold as not compared.
    have = {key(n) for n in current.namespaces} | ({key(current.name)} if current.name else set())
    changes.extend(AddNamespace(n) for n in desired.namespaces if key(n) not in have)

    # Extensions first: main's tables and indexes may use their types and operator classes.
    cur_ext = {key(x.name) for x in current.extensions}
    des_ext = {key(x.name) for x in desired.extensions}
    changes.extend(AddExtension(x) for x in desired.extensions if key(x.name) not in cur_ext)
    only.extend(
        ProductionOnly("extension", None, x.name) for x in current.extensions if key(x.name) not in des_ext
    )

    cur_enums = _by_key(current.enums, lambda e: e.name, key)
    for enum in desired.enums:
        old = cur_enums.get(key(enum.name))
        if old is None:
            changes.append(AddEnum(enum))
            continue
        labels = list(old.labels)
        for i, label in enumerate(enum.labels):
            if label not in labels:
                before = next((lb for lb in enum.labels[i + 1 :] if lb in labels), None)
                changes.append(AddEnumValue(old.name, label, before))
                labels.insert(labels.index(before) if before else len(labels), label)
    des_enums = {key(e.name) for e in desired.enums}
    only.extend(ProductionOnly("enum", None, e.name) for e in current.enums if key(e.name) not in des_enums)

    domain_ch, domain_only = _compare_domains(current, desired, key)
    changes.extend(domain_ch)
    only.extend(domain_only)

    # Owned sequences come with their serial/identity column; only standalone ones are objects here.
    cur_seq = {key(s.name) for s in current.sequences if s.owned_by is None}
    des_seq = {key(s.name) for s in desired.sequences if s.owned_by is None}
    changes.extend(
        AddSequence(s) for s in desired.sequences if s.owned_by is None and key(s.name) not in cur_seq
    )
    only.extend(
        ProductionOnly("sequence", None, s.name)
        for s in current.sequences
        if s.owned_by is None and key(s.name) not in des_seq
    )

    cur_tables = _by_key(current.tables, lambda t: t.name, key)
    des_tables = _by_key(desired.tables, lambda t: t.name, key)

    # Functions before tables (a default, CHECK or index may call one), except one whose text names
    # a table or view that is still to be created: a SQL function's body is checked when it is made.
    cur_fn = _by_key(current.functions, lambda f: f.signature, key)
    des_fn = _by_key(desired.functions, lambda f: f.signature, key)
    new_rels = {k for k in des_tables if k not in cur_tables}
    new_rels |= {key(v.name) for v in desired.views if current.view(v.name) is None}
    late_fn: dict[str, tuple[Change, Function]] = {}
    for k, fn in des_fn.items():
        old_fn = cur_fn.get(k)
        if old_fn is not None and old_fn.body_key == fn.body_key:
            continue
        fc = AddFunction(fn) if old_fn is None else AlterFunction(old_fn, fn)
        if new_rels and function_refs(desired, fn, key) & new_rels:
            late_fn[k] = (fc, fn)
        else:
            changes.append(fc)
    only.extend(ProductionOnly("function", None, f.signature) for k, f in cur_fn.items() if k not in des_fn)
    new_tables = [t for k, t in des_tables.items() if k not in cur_tables]
    changes.extend(AddTable(t) for t in _topological(new_tables, key))
    part_changes, part_only = _compare_partitions(current, desired, key)
    changes.extend(part_changes)
    only.extend(part_only)
    for k in sorted(des_tables):
        if k not in cur_tables:
            continue
        c, f, o = _compare_table(cur_tables[k], des_tables[k], key)
        changes.extend(c)
        fk_changes.extend(f)
        only.extend(o)
    changes.extend(fk_changes)
    if current.dialect != "sqlite":  # SQLite rebuilds the table, foreign keys and all
        changes = _free_primary_keys(changes, current, desired, key)
    changes = _free_column_types(changes, current, desired, key)
    only[:0] = [ProductionOnly("table", None, t.name) for k, t in cur_tables.items() if k not in des_tables]

    changes.extend(_compare_views(current, desired, late_fn, key))
    des_view_keys = {key(v.name) for v in desired.views}
    only.extend(
        ProductionOnly("view", None, v.name) for v in current.views if key(v.name) not in des_view_keys
    )

    # Row-level security after every table and function a policy's expressions may name. Turning it
    # off or a policy only production has is kept: parity never loosens who may see which rows.
    for k, t in des_tables.items():
        cur_t = cur_tables.get(k)
        on = cur_t.row_security if cur_t else False
        forced = cur_t.force_row_security if cur_t else False
        if (t.row_security and not on) or (t.force_row_security and not forced):
            changes.append(
                EnableRowSecurity(t.name, t.row_security and not on, t.force_row_security and not forced)
            )
        if cur_t is not None and ((on and not t.row_security) or (forced and not t.force_row_security)):
            only.append(ProductionOnly("row_security", t.name, t.name, "forced" if forced else "enabled"))
    cur_po = {(key(x.table), key(x.name)): x for x in current.policies}
    des_po = {(key(x.table), key(x.name)): x for x in desired.policies}
    for pk_, po in des_po.items():
        old_po = cur_po.get(pk_)
        if old_po is None:
            changes.append(AddPolicy(po))
        elif old_po != po:
            changes.append(AlterPolicy(old_po, po))
    only.extend(
        ProductionOnly("policy", x.table, f"{x.table}.{x.name}") for k, x in cur_po.items() if k not in des_po
    )

    # Grants: what main grants and the database lacks is granted; what only production grants is kept.
    cur_gr = {(key(g.object), g.grantee): g for g in current.grants}
    des_gr = {(key(g.object), g.grantee): g for g in desired.grants}
    for gk, g in des_gr.items():
        held = set(cur_gr[gk].privileges) if gk in cur_gr else set()
        missing = tuple(p for p in g.privileges if p not in held)
        if missing:
            changes.append(AddGrant(Grant(g.object, g.grantee, missing, g.on)))
    for gk, g in cur_gr.items():
        wanted = set(des_gr[gk].privileges) if gk in des_gr else set()
        extra = [p for p in g.privileges if p not in wanted]
        if extra:
            only.append(ProductionOnly("grant", None, f"{g.object} to {g.grantee}", ", ".join(extra)))

    cur_tr = _by_key(current.triggers, lambda t: t.name, key)
    des_tr = _by_key(desired.triggers, lambda t: t.name, key)
    changes.extend(AddTrigger(tr) for k, tr in des_tr.items() if k not in cur_tr)
    changes.extend(
        AlterTrigger(cur_tr[k], tr)
        for k, tr in des_tr.items()
        if k in cur_tr and " ".join(cur_tr[k].definition.split()) != " ".join(tr.definition.split())
    )
    only.extend(ProductionOnly("trigger", tr.table, tr.name) for k, tr in cur_tr.items() if k not in des_tr)

    # Comments (PostgreSQL): main's text is set; one only production has is kept, like any object.
    cur_cm = {(key(c.table), key(c.column) if c.column else None): c for c in current.comments}
    des_cm = {(key(c.table), key(c.column) if c.column else None): c for c in desired.comments}
    for ck, cm in des_cm.items():
        old_cm = cur_cm.get(ck)
        if old_cm is None or old_cm.text != cm.text:
            changes.append(SetComment(cm, old_cm.text if old_cm else None))
    only.extend(ProductionOnly("comment", c.table, c.target) for k, c in cur_cm.items() if k not in des_cm)

    return changes + only
