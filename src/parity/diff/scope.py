"""Which of the other schemas a comparison covers (PostgreSQL). Pure.

The inspector reads every user schema of the database, naming the objects of schemas other than
the inspected one ``schema.name``. A comparison covers the other schemas main declares: a schema
only production has (another tenant's, another application's, a test's sibling) is production's
business and its objects are left out, like the schema itself; and main's view of the database's
own schema (when both sides live in one database under different names) is not a second copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from parity.model.schema import Schema


def _namespace_of(name: str, others: set[str], key: Callable[[str], str]) -> str | None:
    """The other schema ``name`` is qualified with, or None for an object of the inspected schema."""
    head, dot, _ = name.partition(".")
    return key(head) if dot and key(head) in others else None


def narrowed(schema: Schema, leave_out: set[str], key: Callable[[str], str]) -> Schema:
    """``schema`` without the objects of the other schemas in ``leave_out`` (keys)."""
    others = {key(n) for n in schema.namespaces} & leave_out
    if not others:
        return schema

    def keep(name: str) -> bool:
        return _namespace_of(name, others, key) is None

    deps = schema.dependencies
    return replace(
        schema,
        tables=tuple(t for t in schema.tables if keep(t.name)),
        views=tuple(v for v in schema.views if keep(v.name)),
        enums=tuple(e for e in schema.enums if keep(e.name)),
        sequences=tuple(s for s in schema.sequences if keep(s.name)),
        triggers=tuple(t for t in schema.triggers if keep(t.table)),
        comments=tuple(c for c in schema.comments if keep(c.table)),
        domains=tuple(d for d in schema.domains if keep(d.name)),
        functions=tuple(f for f in schema.functions if keep(f.name)),
        composites=tuple(c for c in schema.composites if keep(c.name)),
        policies=tuple(p for p in schema.policies if keep(p.table)),
        partitions=tuple(p for p in schema.partitions if keep(p.name)),
        grants=tuple(g for g in schema.grants if keep(g.object)),
        dependencies=None if deps is None else tuple(d for d in deps if keep(d.name)),
    )


def in_scope(current: Schema, desired: Schema, key: Callable[[str], str]) -> tuple[Schema, Schema]:
    """Both schemas narrowed to the other schemas main declares (its own and the database's left out)."""
    if not current.namespaces and not desired.namespaces:
        return current, desired
    declared = {key(n) for n in desired.namespaces}
    own = {key(current.name)} if current.name else set()
    compared = declared - own
    cur_others = {key(n) for n in current.namespaces}
    return (
        narrowed(current, cur_others - compared, key),
        narrowed(desired, declared - compared, key),
    )


def not_declared(current: Schema, desired: Schema, key: Callable[[str], str] = str) -> tuple[str, ...]:
    """The other schemas of ``current`` holding objects that main does not declare: what a comparison
    leaves out, for the report to say (never "in sync" about them)."""
    declared = {key(n) for n in desired.namespaces} | ({key(current.name)} if current.name else set())
    others = {key(n): n for n in current.namespaces if key(n) not in declared}
    if not others:
        return ()
    names = [
        *(t.name for t in current.tables),
        *(v.name for v in current.views),
        *(f.name for f in current.functions),
        *(s.name for s in current.sequences),
        *(e.name for e in current.enums),
        *(d.name for d in current.domains),
        *(c.name for c in current.composites),
    ]
    held = {k for k in (_namespace_of(n, set(others), key) for n in names) if k is not None}
    return tuple(sorted(others[k] for k in held))
