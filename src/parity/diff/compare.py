"""``compare(current, desired)`` → the ordered changes that take ``current`` to ``desired``.

Pure and dialect-free: both schemas were normalised by their inspector, and the dialect's
:class:`~parity.dialects.base.CompareOptions` say how names match. What only ``current``
(production) has is reported as :class:`ProductionOnly` and never dropped.

Order: other schemas, extensions, enums, domains (a domain after the domain it is over),
composite types, sequences, functions (one whose body needs a new table waits for it among the new
tables, one that needs a new view among the views), new tables (referenced tables first, and after
the functions their defaults call), new partitions (a parent first), then per existing table (by name)
partitioning, table options being removed, primary key, columns, indexes, uniques, checks, EXCLUDE
constraints, table options being added; then foreign keys of existing tables (they may reference
new tables), views and the functions that waited (each after what it needs), row-level security and
policies, grants, triggers, comments, and finally production-only objects.

Objects of other schemas are named ``schema.name``; the comparison covers the other schemas main
declares (:mod:`parity.diff.scope`). What needs what comes from :mod:`parity.diff.depends` (PostgreSQL's ``pg_depend`` where the
inspector read it). A changed view, and a column whose type changes, carry the views over them
(with their triggers and grants) to drop first and make again after. The kinds beyond tables live
in :mod:`parity.diff.compare_kinds`.
"""

from __future__ import annotations

from collections.abc import Callable

from parity.diff.compare_kinds import (
    compare_comments,
    compare_composites,
    compare_domains,
    compare_functions,
    compare_grants,
    compare_namespaces_and_extensions,
    compare_partitions,
    compare_row_security,
    compare_views,
    free_column_types,
)
from parity.diff.depends import function_refs, table_function_refs, topological
from parity.diff.keys import by_key as _by_key
from parity.diff.scope import in_scope
from parity.model.changes import (
    AddCheck,
    AddColumn,
    AddEnum,
    AddEnumValue,
    AddExclude,
    AddForeignKey,
    AddIndex,
    AddSequence,
    AddTable,
    AddTrigger,
    AddUnique,
    AlterColumn,
    AlterPartitioning,
    AlterPrimaryKey,
    AlterTableOptions,
    AlterTrigger,
    Change,
    CompareOptions,
    DropCheck,
    DropExclude,
    DropForeignKey,
    DropIndex,
    DropUnique,
    PossibleRename,
    ProductionOnly,
    table_options,
)
from parity.model.schema import (
    Column,
    ForeignKey,
    Function,
    Index,
    Schema,
    Table,
)


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


def _create_order(
    tables: list[Table],
    functions: dict[str, tuple[Change, Function]],
    desired: Schema,
    key: Callable[[str], str],
) -> list[Change]:
    """New tables (already in foreign-key order) and the functions that need them, each after what it
    needs: a function after the tables its body reads, a table after the functions its defaults,
    CHECKs and indexes call."""
    names = {key(t.name): t for t in tables}

    def needs(node: tuple[str, str]) -> list[tuple[str, str]]:
        kind, k = node
        if kind == "function":
            return [("table", r) for r in sorted(function_refs(desired, functions[k][1], key) & names.keys())]
        calls = table_function_refs(desired, names[k], key)
        refs = [("table", key(fk.ref_table)) for fk in names[k].foreign_keys if not fk.ref_schema]
        return refs + [("function", s) for s, (_, fn) in functions.items() if key(fn.name) in calls]

    nodes = [("table", key(t.name)) for t in tables] + [("function", s) for s in functions]
    return [
        AddTable(names[k]) if kind == "table" else functions[k][0] for kind, k in topological(nodes, needs)
    ]


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
    current, desired = in_scope(current, desired, key)
    changes: list[Change] = []
    fk_changes: list[Change] = []
    only: list[Change] = []

    ns_changes, ns_only = compare_namespaces_and_extensions(current, desired, key)
    changes.extend(ns_changes)
    only.extend(ns_only)

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

    for part in (compare_domains(current, desired, key), compare_composites(current, desired, key)):
        changes.extend(part[0])
        only.extend(part[1])

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

    # Functions before tables (a default, CHECK or index may call one), except one whose body needs a
    # table or view that is still to be created (a SQL body is checked when it is made).
    new_rels = {k for k in des_tables if k not in cur_tables}
    new_rels |= {key(v.name) for v in desired.views if current.view(v.name) is None}
    fn_changes, late_fn, fn_only = compare_functions(current, desired, new_rels, key)
    changes.extend(fn_changes)
    only.extend(fn_only)
    new_tables = [t for k, t in des_tables.items() if k not in cur_tables]
    new_views = {key(v.name) for v in desired.views if current.view(v.name) is None}
    # A function that waits only for new tables is made among them: a table's default may call it.
    with_tables = {s: v for s, v in late_fn.items() if not function_refs(desired, v[1], key) & new_views}
    late_fn = {s: v for s, v in late_fn.items() if s not in with_tables}
    changes.extend(_create_order(_topological(new_tables, key), with_tables, desired, key))
    part_changes, part_only = compare_partitions(current, desired, key)
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
    changes = free_column_types(changes, current, desired, key)
    only[:0] = [ProductionOnly("table", None, t.name) for k, t in cur_tables.items() if k not in des_tables]

    view_changes = compare_views(current, desired, late_fn, key)
    changes.extend(c for c in view_changes if not isinstance(c, ProductionOnly))
    only.extend(c for c in view_changes if isinstance(c, ProductionOnly))
    des_view_keys = {key(v.name) for v in desired.views}
    only.extend(
        ProductionOnly("view", None, v.name) for v in current.views if key(v.name) not in des_view_keys
    )

    for part in (compare_row_security(current, desired, key), compare_grants(current, desired, key)):
        changes.extend(part[0])
        only.extend(part[1])

    # By table and name: a trigger's name is its table's (two tables, in two schemas or one, may
    # each have a trigger of the same name).
    cur_tr = _by_key(current.triggers, lambda t: f"{t.table}\0{t.name}", key)
    des_tr = _by_key(desired.triggers, lambda t: f"{t.table}\0{t.name}", key)
    changes.extend(AddTrigger(tr) for k, tr in des_tr.items() if k not in cur_tr)
    changes.extend(
        AlterTrigger(cur_tr[k], tr)
        for k, tr in des_tr.items()
        if k in cur_tr and " ".join(cur_tr[k].definition.split()) != " ".join(tr.definition.split())
    )
    only.extend(ProductionOnly("trigger", tr.table, tr.name) for k, tr in cur_tr.items() if k not in des_tr)

    cm_changes, cm_only = compare_comments(current, desired, key)
    changes.extend(cm_changes)
    only.extend(cm_only)
    return changes + only
