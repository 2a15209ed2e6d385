"""Model coverage: every column of the desired schema has a field in each class that models its
table, and no such class has a field for a column the schema lacks. Pure: (schema, models) → gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from parity.model.schema import Column, Schema
from parity.store.models import (
    ModelClass,
    ModelField,
    ModelKind,
    class_variants,
    matches_table,
    resolve_ref,
    table_variants,
)


@dataclass(frozen=True, slots=True)
class MissingField:
    """``model`` has no field for ``column`` of ``table``."""

    model: ModelClass
    table: str
    column: Column


@dataclass(frozen=True, slots=True)
class ExtraField:
    """``model`` has a field the desired ``table`` has no column for."""

    model: ModelClass
    table: str
    field: ModelField


@dataclass(frozen=True, slots=True)
class Coverage:
    matched: dict[str, tuple[ModelClass, ...]] = field(default_factory=dict)
    missing: tuple[MissingField, ...] = ()
    extra: tuple[ExtraField, ...] = ()
    unmodelled: tuple[str, ...] = ()  # tables no class models
    orphans: tuple[ModelClass, ...] = ()  # SQLAlchemy models of a table the schema lacks
    unknown_refs: tuple[tuple[str, str], ...] = ()  # (table, ref) from config that matched nothing


def check_coverage(
    schema: Schema, models: list[ModelClass], root: Path, configured: dict[str, list[str]] | None = None
) -> Coverage:
    configured = configured or {}
    by_variant: dict[str, list[ModelClass]] = {}
    for m in models:
        keys = {(m.tablename or "").lower()} if m.kind is ModelKind.SQLALCHEMY else class_variants(m.name)
        for k in keys:
            by_variant.setdefault(k, []).append(m)

    def candidates(table: str) -> list[ModelClass]:
        # A dict lookup per variant instead of matching every class against every table.
        seen: dict[int, ModelClass] = {}
        for k in {table.lower(), *table_variants(table)}:
            for m in by_variant.get(k, []):
                seen.setdefault(id(m), m)
        return sorted(seen.values(), key=lambda m: (str(m.file), m.line))

    matched: dict[str, tuple[ModelClass, ...]] = {}
    missing: list[MissingField] = []
    extra: list[ExtraField] = []
    unmodelled: list[str] = []
    unknown: list[tuple[str, str]] = []
    for table in schema.tables:
        if table.name in configured:
            found: list[ModelClass] = []
            for ref in configured[table.name]:
                hits = resolve_ref(ref, models, root)
                if not hits:
                    unknown.append((table.name, ref))
                found.extend(hits)
        else:
            found = [m for m in candidates(table.name) if matches_table(m, table.name)]
        if not found:
            unmodelled.append(table.name)
            continue
        matched[table.name] = tuple(found)
        columns = {c.name.lower() for c in table.columns}
        for model in found:
            for column in table.columns:
                if model.field_for(column.name) is None:
                    missing.append(MissingField(model, table.name, column))
            for f in model.fields:
                if f.column.lower() not in columns:
                    extra.append(ExtraField(model, table.name, f))
    known = {t.name.lower() for t in schema.tables} | {v.name.lower() for v in schema.views}
    used = {id(m) for ms in matched.values() for m in ms}
    orphans = [
        m
        for m in models
        if m.kind is ModelKind.SQLALCHEMY
        and m.tablename
        and m.tablename.lower() not in known
        and id(m) not in used
    ]
    return Coverage(matched, tuple(missing), tuple(extra), tuple(unmodelled), tuple(orphans), tuple(unknown))
