"""What needs what, for ordering creates and for replacing an object under its dependents. Pure.

PostgreSQL's inspector reads the dependencies from ``pg_depend`` (:attr:`Schema.dependencies`), on
the database and on main's schema alike (main's is loaded on a scratch database). Where it has
none — another dialect, a schema built in code, a function body the server keeps as a string —
the names a definition's text mentions stand in: they may over-order, never under-order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

from parity.model.schema import Function, Grant, Policy, Schema, Table, Trigger, View

K = TypeVar("K", bound=Hashable)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def words(text: str) -> set[str]:
    """The identifiers ``text`` mentions (a superset of the objects it names)."""
    return set(_WORD.findall(text))


def topological(nodes: Iterable[K], needs: Callable[[K], Iterable[K]]) -> list[K]:
    """``nodes`` with each after the nodes it needs; otherwise in the given order. A cycle (which the
    server would not allow) keeps the given order for the nodes in it."""
    given = list(nodes)
    present = set(given)
    out: list[K] = []
    state: dict[K, int] = {}

    def visit(n: K) -> None:
        if state.get(n):
            return
        state[n] = 1
        for m in needs(n):
            if m in present and m != n and not state.get(m):
                visit(m)
        state[n] = 2
        out.append(n)

    for n in given:
        visit(n)
    return out


def view_refs(schema: Schema, key: Callable[[str], str]) -> dict[str, set[str]]:
    """View key → the keys of the schema's views it selects from (directly)."""
    names = {key(v.name) for v in schema.views}
    if schema.dependencies is not None:
        out: dict[str, set[str]] = {key(v.name): set() for v in schema.views}
        for d in schema.dependencies:
            if d.kind == "view" and d.ref_kind == "view" and key(d.ref_name) in names:
                out.setdefault(key(d.name), set()).add(key(d.ref_name))
        return out
    return {key(v.name): {key(w) for w in words(v.definition)} & names - {key(v.name)} for v in schema.views}


def function_refs(schema: Schema, fn: Function, key: Callable[[str], str]) -> set[str]:
    """The keys of the relations (tables, views) and functions' names ``fn``'s body needs: what the
    server recorded (a SQL-standard body), and the names its text mentions (a string body records
    nothing, and a SQL one is still checked against the catalog when it is created)."""
    found = {key(w) for w in words(fn.definition)}
    if schema.dependencies is not None:
        sig = key(fn.signature)
        found |= {
            key(d.ref_name.split("(", 1)[0]) if d.ref_kind == "function" else key(d.ref_name)
            for d in schema.dependencies
            if d.kind == "function" and key(d.name) == sig
        }
    return found


def table_function_refs(schema: Schema, table: Table, key: Callable[[str], str]) -> set[str]:
    """The names (not signatures) of the functions a table's defaults, CHECKs and indexes call."""
    if schema.dependencies is not None:
        tk = key(table.name)
        return {
            key(d.ref_name.split("(", 1)[0])
            for d in schema.dependencies
            if d.kind == "table" and d.ref_kind == "function" and key(d.name) == tk
        }
    texts = [c.raw_default or "" for c in table.columns] + [c.expression for c in table.checks]
    texts += [p.expression or "" for ix in table.indexes for p in ix.parts]
    return {key(w) for t in texts for w in words(t)}


def view_function_refs(schema: Schema, view: View, key: Callable[[str], str]) -> set[str]:
    """The names (not signatures) of the functions a view calls."""
    if schema.dependencies is not None:
        vk = key(view.name)
        return {
            key(d.ref_name.split("(", 1)[0])
            for d in schema.dependencies
            if d.kind == "view" and d.ref_kind == "function" and key(d.name) == vk
        }
    return {key(w) for w in words(view.definition)}


def dependent_views(schema: Schema, name: str, key: Callable[[str], str]) -> list[View]:
    """The views of ``schema`` that need view ``name``, directly or through one another, in the order
    they can be created again. Only where the server records dependencies: that is where it refuses
    to drop a view others select from (SQLite and MySQL drop it and leave the others to fail later)."""
    return _closure(schema, {key(name)}, key, exclude=key(name))


def column_readers(schema: Schema, table: str, column: str, key: Callable[[str], str]) -> list[View]:
    """The views of ``schema`` that read ``table.column`` (PostgreSQL will not change its type under
    them), and the views that need those, in the order they can be created again."""
    if schema.dependencies is None:
        return []
    t, c = key(table), key(column)
    direct = {
        key(d.name)
        for d in schema.dependencies
        if d.kind == "view"
        and d.ref_kind == "table"
        and key(d.ref_name) == t
        and d.ref_column is not None
        and key(d.ref_column) == c
    }
    return _closure(schema, direct, key, keep_seeds=True) if direct else []


def column_triggers_and_policies(
    schema: Schema, table: str, column: str, key: Callable[[str], str]
) -> tuple[tuple[Trigger, ...], tuple[Policy, ...]]:
    """The triggers (a WHEN clause, UPDATE OF) and policies of ``table`` that read ``column``."""
    if schema.dependencies is None:
        return (), ()
    t, c = key(table), key(column)
    names = {
        (d.kind, key(d.name))
        for d in schema.dependencies
        if d.kind in ("trigger", "policy")
        and key(d.ref_name) == t
        and d.ref_column is not None
        and key(d.ref_column) == c
    }
    triggers = tuple(x for x in schema.triggers if key(x.table) == t and ("trigger", key(x.name)) in names)
    policies = tuple(x for x in schema.policies if key(x.table) == t and ("policy", key(x.name)) in names)
    return triggers, policies


def _closure(
    schema: Schema,
    seeds: set[str],
    key: Callable[[str], str],
    exclude: str | None = None,
    keep_seeds: bool = False,
) -> list[View]:
    if schema.dependencies is None:
        return []
    refs = view_refs(schema, key)
    by_key: Mapping[str, View] = {key(v.name): v for v in schema.views}
    found: set[str] = set(seeds) if keep_seeds else set()
    todo = list(seeds)
    while todo:
        k = todo.pop()
        for other, needs in refs.items():
            if k in needs and other not in found and other != exclude:
                found.add(other)
                todo.append(other)
    order = topological(by_key, lambda k: refs.get(k, ()))
    return [by_key[k] for k in order if k in found]


def triggers_on(schema: Schema, relations: Iterable[str], key: Callable[[str], str]) -> list[Trigger]:
    """The triggers on the given relations (a view's INSTEAD OF triggers go when the view is dropped)."""
    wanted = {key(r) for r in relations}
    return [t for t in schema.triggers if key(t.table) in wanted]


def grants_on(schema: Schema, relations: Iterable[str], key: Callable[[str], str]) -> list[Grant]:
    """The privileges granted on the given relations (a dropped view takes them with it)."""
    wanted = {key(r) for r in relations}
    return [g for g in schema.grants if key(g.object) in wanted]
