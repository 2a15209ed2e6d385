"""The PostgreSQL kinds beyond tables, columns, keys and indexes, compared: other schemas and
extensions, domains, functions and procedures, partitions, views (with what depends on them), row-level
security and policies, grants, comments. Pure; :func:`parity.diff.compare.compare` calls each in its
place in the order (see there). Each returns ``(changes, production-only)`` unless said otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from parity.diff.depends import (
    column_readers,
    column_triggers_and_policies,
    dependent_views,
    function_refs,
    grants_on,
    topological,
    triggers_on,
    view_function_refs,
    view_refs,
)
from parity.diff.keys import by_key as _by_key
from parity.model.changes import (
    AddCompositeType,
    AddDomain,
    AddExtension,
    AddFunction,
    AddGrant,
    AddIndex,
    AddNamespace,
    AddPartition,
    AddPolicy,
    AddView,
    AlterColumn,
    AlterCompositeType,
    AlterDomain,
    AlterFunction,
    AlterPartitioning,
    AlterPolicy,
    AlterView,
    Change,
    DropIndex,
    EnableRowSecurity,
    ProductionOnly,
    Rebuilt,
    SetComment,
)
from parity.model.schema import Domain, Function, Grant, Partition, Schema, View

Key = Callable[[str], str]
Split = tuple[list[Change], list[Change]]


def compare_namespaces_and_extensions(current: Schema, desired: Schema, key: Key) -> Split:
    changes: list[Change] = []
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
    return changes, only


def compare_functions(
    current: Schema, desired: Schema, new_rels: set[str], key: Key
) -> tuple[list[Change], dict[str, tuple[Change, Function]], list[Change]]:
    """(changes made before the tables, changes that wait for the views, production-only): a function
    whose body needs one of ``new_rels`` (keys of tables and views still to be created) waits."""
    changes: list[Change] = []
    only: list[Change] = []
    cur_fn = _by_key(current.functions, lambda f: f.signature, key)
    des_fn = _by_key(desired.functions, lambda f: f.signature, key)
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
    return changes, late_fn, only


def _rebuilt(
    current: Schema, desired: Schema, first: str | None, views: tuple[View, ...], key: Callable[[str], str]
) -> Rebuilt:
    """What goes with dropping view ``first`` (None: none) and ``views``: those views, made again as
    given, the triggers on them all (main's definition where main has the trigger), their grants and
    comments as the database has them (main's own comments are set after, with the others)."""
    gone = [*([first] if first else []), *(v.name for v in views)]
    main_triggers = {(key(t.table), key(t.name)): t for t in desired.triggers}
    triggers = tuple(
        main_triggers.get((key(t.table), key(t.name)), t) for t in triggers_on(current, gone, key)
    )
    gone_keys = {key(n) for n in gone}
    comments = tuple(c for c in current.comments if key(c.table) in gone_keys)
    return Rebuilt(views, triggers, tuple(grants_on(current, gone, key)), comments=comments)


def free_column_types(
    changes: list[Change], current: Schema, desired: Schema, key: Callable[[str], str]
) -> list[Change]:
    """A column's type cannot change while a view, or a trigger or policy of its table, reads it: each
    such change drops those (and the views over the views) first and makes them again after, as they
    are on the database (a trigger's or policy's text is printed again for the new type)."""
    out: list[Change] = []
    for c in changes:
        if isinstance(c, AlterColumn) and c.changes & {"type", "collation"}:
            views = tuple(column_readers(current, c.table, c.current.name, key))
            triggers, policies = column_triggers_and_policies(current, c.table, c.current.name, key)
            if views or triggers or policies:
                again = _rebuilt(current, desired, None, views, key)
                c = replace(c, again=replace(again, table_triggers=triggers, policies=policies))
        out.append(c)
    return out


def compare_views(
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
    altered: set[str] = set()
    for kind, k in topological(nodes, needs):
        if kind == "function":
            out.append(late_fn[k][0])
            continue
        view = des_views[k]
        old_view = cur_views.get(k)
        if old_view is None:
            out.append(AddView(view))
        elif (old_view.definition, old_view.materialized, old_view.options) != (
            view.definition,
            view.materialized,
            view.options,
        ):
            was = tuple(dependent_views(current, old_view.name, key))
            # Made again with main's definition where main has it, but their owner and indexes as
            # the database has them (main's index changes on them follow, with the other views').
            views = tuple(
                replace(des_views[key(v.name)], indexes=v.indexes, owner=v.owner)
                if key(v.name) in des_views
                else v
                for v in was
            )
            again = _rebuilt(current, desired, old_view.name, views, key)
            # The view itself: main's indexes, and those only production has (kept, never dropped).
            mine = {key(i.name) for i in view.indexes}
            kept = tuple(i for i in old_view.indexes if key(i.name) not in mine)
            made = replace(view, indexes=(*view.indexes, *kept), owner=old_view.owner)
            out.append(AlterView(old_view, made, replace(again, was=was) if views != was else again))
            altered.add(k)
    out.extend(_view_indexes(cur_views, des_views, altered, key))
    return out


def _view_indexes(
    cur_views: dict[str, View], des_views: dict[str, View], altered: set[str], key: Key
) -> list[Change]:
    """A materialized view's own indexes main adds or redefines (an altered view is made again with
    them); one only production has is kept."""
    out: list[Change] = []
    for k, view in des_views.items():
        old = cur_views.get(k)
        if old is None or not (view.materialized and old.materialized):
            continue
        have = _by_key(old.indexes, lambda i: i.name, key)
        want = _by_key(view.indexes, lambda i: i.name, key)
        if k not in altered:
            for ik, ix in want.items():
                if have.get(ik) != ix:
                    if ik in have:
                        out.append(DropIndex(old.name, have[ik]))
                    out.append(AddIndex(old.name, ix))
        out.extend(ProductionOnly("index", old.name, ix.name) for ik, ix in have.items() if ik not in want)
    return out


def compare_partitions(
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


def compare_domains(
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


def compare_composites(current: Schema, desired: Schema, key: Key) -> Split:
    """New composite types (one whose attribute is of another new one after it), attributes main
    adds or retypes; a type or attribute only production has is kept."""
    cur = _by_key(current.composites, lambda c: c.name, key)
    new = {key(c.name): c for c in desired.composites if key(c.name) not in cur}
    order = topological(new, lambda k: [key(a.type.removesuffix("[]")) for a in new[k].attributes])
    changes: list[Change] = [AddCompositeType(new[k]) for k in order]
    only: list[Change] = []
    for c in desired.composites:
        old = cur.get(key(c.name))
        if old is None:
            continue
        have = _by_key(old.attributes, lambda a: a.name, key)
        want = _by_key(c.attributes, lambda a: a.name, key)
        added = tuple(a.name for k, a in want.items() if k not in have)
        retyped = tuple(
            a.name
            for k, a in want.items()
            if k in have and (have[k].type, have[k].collation) != (a.type, a.collation)
        )
        # Apart: the server may refuse a retype (a column uses the type) and still add attributes.
        if retyped:
            changes.append(AlterCompositeType(old, c, retyped=retyped))
        if added:
            changes.append(AlterCompositeType(old, c, added=added))
        only.extend(
            ProductionOnly("composite_attribute", None, f"{c.name}.{a.name}")
            for k, a in have.items()
            if k not in want
        )
    des = {key(c.name) for c in desired.composites}
    only.extend(ProductionOnly("composite_type", None, c.name) for k, c in cur.items() if k not in des)
    return changes, only


def compare_row_security(current: Schema, desired: Schema, key: Key) -> Split:
    changes: list[Change] = []
    only: list[Change] = []
    cur_tables = _by_key(current.tables, lambda t: t.name, key)
    des_tables = _by_key(desired.tables, lambda t: t.name, key)
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
    return changes, only


def compare_grants(current: Schema, desired: Schema, key: Key) -> Split:
    changes: list[Change] = []
    only: list[Change] = []
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
    return changes, only


def compare_comments(current: Schema, desired: Schema, key: Key) -> Split:
    changes: list[Change] = []
    only: list[Change] = []
    # Comments (PostgreSQL): main's text is set; one only production has is kept, like any object.
    cur_cm = {(key(c.table), key(c.column) if c.column else None): c for c in current.comments}
    des_cm = {(key(c.table), key(c.column) if c.column else None): c for c in desired.comments}
    for ck, cm in des_cm.items():
        old_cm = cur_cm.get(ck)
        if old_cm is None or old_cm.text != cm.text:
            changes.append(SetComment(cm, old_cm.text if old_cm else None))
    only.extend(ProductionOnly("comment", c.table, c.target) for k, c in cur_cm.items() if k not in des_cm)
    return changes, only
