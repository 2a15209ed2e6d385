"""Changes → a safe plan. Pure: no I/O; the caller passes row counts it measured.

Safety rules (issue 4):

* never drop a table or column: drops are refused (PLN002); production-only objects are kept
  and reported (PLN003);
* a NOT NULL column without a default on a table with rows is planned as expand steps (add
  nullable, backfill with ``--backfill TABLE.COL=EXPR``, enforce NOT NULL) or refused with the
  exact command to run (PLN001) — never a statement that fails halfway on production data;
* a possible rename is applied as the declared schema says (add the new column, keep the old
  one) and reported (PLN004);
* unsafe steps (type changes that rewrite, volatile defaults) are marked (PLN005);
* a type change that existing rows would make fail (the caller pre-checked them) is refused
  with the count and a few keys of those rows (PLN006), never attempted;
* dialect-specific online DDL comes from ``parity.dialects.<name>.safe.safe_steps``
  (PostgreSQL ``CONCURRENTLY``/``NOT VALID``, MySQL ``ALGORITHM``), the rest from the
  dialect's renderer;
* every generated migration is linted (MIG codes), like hand-written ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING

from parity.model.changes import (
    AddColumn,
    AddFunction,
    AddGrant,
    AddView,
    AlterColumn,
    AlterCompositeType,
    AlterDomain,
    AlterFunction,
    AlterPartitioning,
    AlterPrimaryKey,
    AlterView,
    Change,
    DropColumn,
    DropTable,
    PossibleRename,
    ProductionOnly,
    RenameColumn,
    Safety,
    describe,
)
from parity.model.findings import Finding, Severity
from parity.model.schema import Column, Schema
from parity.plan.model import Plan, Step

if TYPE_CHECKING:
    from parity.dialects.base import Dialect
    from parity.migrate.convert import Precheck

AREA = "migrate"


def safe_module(dialect_name: str) -> ModuleType:
    """``parity.dialects.<name>.safe``: the dialect's runtime and online-DDL rules."""
    return importlib.import_module(f"parity.dialects.{dialect_name}.safe")


def parse_backfills(items: Sequence[str]) -> dict[str, str]:
    """``["orders.status='new'", "region=upper(country)"]`` → ``{"orders.status": "'new'", "region": "upper(country)"}``."""
    from parity.errors import ParityError

    out = {}
    for item in items:
        col, sep, expr = item.partition("=")
        if not sep or not col.strip() or not expr.strip():
            raise ParityError(f"--backfill expects COL=EXPR or TABLE.COL=EXPR, got '{item}'")
        out[col.strip()] = expr.strip()
    return out


def _backfill_for(backfills: Mapping[str, str], table: str, column: str) -> str | None:
    return backfills.get(f"{table}.{column}") or backfills.get(column)


def _diag(
    code: str, severity: Severity, message: str, fix: str | None = None, table: str | None = None
) -> Finding:
    return Finding(code, severity, AREA, message, key=table, fix=fix)


class _Builder:
    """Walks the changes, keeping the schema as it stands after each step (renderers need it)."""

    def __init__(self, current: Schema, dialect: Dialect, safe: ModuleType) -> None:
        self.schema = current
        self.dialect = dialect
        self.safe = safe
        self.steps: list[Step] = []
        self.diags: list[Finding] = []
        self.kept: list[Change] = []

    def render(self, change: Change, context: Schema | None) -> list[str]:
        return self.dialect.render(change, context)

    def emit(self, change: Change, comment: str | None = None) -> None:
        from parity.diff.apply import apply_change

        impact = self.dialect.impact(change, self.schema)
        after = apply_change(self.schema, change)
        reverse = change.reverse()
        custom = self.safe.safe_steps(change, self.schema, self.render)
        if custom is None:
            sql = tuple(self.render(change, self.schema))
            back = tuple(self.render(reverse, after)) if reverse is not None else ()
            parts = [(sql, back, True, "")]
        else:
            parts = [(c.sql, c.reverse_sql, c.transactional, c.note) for c in custom]
        text = comment or describe(change)
        for i, (sql, back, tx, note) in enumerate(parts):
            self.steps.append(
                Step(
                    sql=sql,
                    reverse_sql=back,
                    comment=text + (f" ({note})" if note else ""),
                    change=change,
                    transactional=tx,
                    safety=impact.safety,
                    rewrites_table=impact.rewrites_table,
                    lock=impact.lock,
                    reverse_note="" if back or i == 0 else "undone by the reverse of the step before",
                )
            )
        if impact.safety is Safety.UNSAFE:
            self.diags.append(
                _diag(
                    "PLN005",
                    Severity.WARNING,
                    f"unsafe: {describe(change)}: {impact.note}",
                    table=change.table_name,
                )
            )
        self.schema = after

    def data(self, sql: str, comment: str) -> None:
        # Data, not schema: undone by the reverse of the column added just before it.
        self.steps.append(
            Step(
                (sql,),
                (),
                comment,
                None,
                True,
                Safety.NEEDS_CARE,
                reverse_note="undone by dropping the column",
            )
        )

    def add_column(
        self, change: AddColumn, rows: Mapping[str, int], fills: Mapping[str, str], name: str
    ) -> None:
        col = change.column
        table = change.table
        backfill = _backfill_for(fills, table, col.name)
        if backfill is None and (not _needs_expand(col) or rows.get(table, 1) == 0):
            self.emit(change)
            return
        if backfill is None:
            self.diags.append(
                _diag(
                    "PLN001",
                    Severity.ERROR,
                    f"refused: {table}.{col.name} is NOT NULL without a default and {table} has rows; "
                    "adding it would fail on the existing rows",
                    fix=f"parity migrate new {name} --backfill {table}.{col.name}=<SQL expression>",
                    table=table,
                )
            )
            return
        loose = replace(col, nullable=True)
        self.emit(AddColumn(table, loose), f"expand: add {table}.{col.name} as nullable")
        q = self.dialect.quote
        self.data(
            f"UPDATE {q(table)} SET {q(col.name)} = {backfill} WHERE {q(col.name)} IS NULL",
            f"backfill {table}.{col.name} = {backfill}",
        )
        if not col.nullable:
            self.emit(
                AlterColumn(table, loose, col, frozenset({"nullable"})),
                f"contract: enforce NOT NULL on {table}.{col.name}",
            )


def plan(
    current: Schema,
    changes: Sequence[Change],
    dialect: Dialect,
    *,
    row_counts: Mapping[str, int] | None = None,
    backfills: Mapping[str, str] | None = None,
    name: str = "NAME",
    conversions: Mapping[tuple[str, str], Precheck] | None = None,
) -> Plan:
    """Turn ``changes`` (from :func:`parity.diff.compare`) against ``current`` into a :class:`Plan`.

    ``row_counts``: rows per existing table (a table missing from it is assumed non-empty).
    ``backfills``: ``TABLE.COL`` or ``COL`` → SQL expression for expand steps.
    ``name``: the migration name used in the command a refusal suggests.
    ``conversions``: ``(table, column)`` → the pre-check of its type change on the existing rows.

    >>> # plan(current, compare(current, desired), get("sqlite"), row_counts={"orders": 5})
    """
    safe = safe_module(dialect.name)
    rows = row_counts or {}
    fills = backfills or {}
    b = _Builder(current, dialect, safe)
    for change in changes:
        match change:
            case ProductionOnly():
                b.kept.append(change)
                b.diags.append(
                    _diag(
                        "PLN003",
                        Severity.INFO,
                        f"kept {describe(change)} (production has it, the declared schema does not)",
                        fix="keep it, or drop it by hand in a later release once no code uses it",
                        table=change.table_name,
                    )
                )
            case DropTable() | DropColumn() | RenameColumn():
                b.diags.append(
                    _diag(
                        "PLN002",
                        Severity.ERROR,
                        f"refused: {describe(change)} would break running code or lose data",
                        fix="expand/contract: add the new object, migrate the data, keep the old one",
                        table=change.table_name,
                    )
                )
            case PossibleRename():
                b.diags.append(
                    _diag(
                        "PLN004",
                        Severity.WARNING,
                        f"possible rename {change.object_name}: adding {change.new.name} and keeping {change.old.name}",
                        fix=f"copy the data with --backfill {change.table}.{change.new.name}={change.old.name}",
                        table=change.table,
                    )
                )
                b.add_column(change.as_add(), rows, fills, name)
            case AddColumn():
                b.add_column(change, rows, fills, name)
            case (
                AlterColumn()
                | AlterPrimaryKey()
                | AlterDomain()
                | AlterCompositeType()
                | AlterFunction()
                | AlterPartitioning()
                | AddView()
                | AlterView()
                | AddFunction()
                | AddGrant()
            ) if (refusal := dialect.impact(change, b.schema)).safety is Safety.FORBIDDEN:
                # The server cannot make this change in place (a generated expression before
                # PostgreSQL 17): reaching main's schema needs a drop, which parity never does.
                # Or the target server is older than a feature main's schema uses.
                b.diags.append(
                    _diag(
                        "PLN002",
                        Severity.ERROR,
                        f"refused: {describe(change)}: {refusal.note}",
                        fix=(
                            "upgrade the target server, or declare main's schema without that feature"
                            if isinstance(change, AddView | AlterView | AddFunction | AddGrant)
                            or (
                                isinstance(change, AlterFunction)
                                and "needs PostgreSQL" in (refusal.note or "")
                            )
                            else "expand/contract: create a new domain, move the columns to it, keep the old one"
                            if isinstance(change, AlterDomain)
                            else "expand/contract: add an attribute (or a type) of the new type, move the values, keep the old one"
                            if isinstance(change, AlterCompositeType)
                            else "expand/contract: add the function under a new name, switch the callers, keep the old one"
                            if isinstance(change, AlterFunction)
                            else "expand/contract: create the new table or partition beside the old one and move the rows"
                            if isinstance(change, AlterPartitioning)
                            else "expand/contract: add a new generated column, switch the code, keep the old one"
                        ),
                        table=change.table_name,
                    )
                )
            case AlterColumn(table=table, desired=col) if (
                "type" in change.changes
                and (check := (conversions or {}).get((table, col.name))) is not None
                and check.fails
            ):
                from parity.migrate import convert

                b.diags.append(convert.refusal("PLN006", check))
            case _:
                b.emit(change)
    preamble = tuple(getattr(safe, "PREAMBLE", ()))
    no_tx = tuple(getattr(safe, "NO_TX_PREAMBLE", ()))
    draft = Plan(dialect.name, tuple(b.steps), (), (), preamble, no_tx)
    return replace(draft, diagnostics=tuple(b.diags) + lint_plan(draft), kept=tuple(b.kept))


def _needs_expand(col: Column) -> bool:
    return not col.nullable and col.raw_default is None and col.generated is None and col.identity is None


def lint_plan(p: Plan) -> tuple[Finding, ...]:
    """Lint every migration file the plan would write (the same rules as hand-written files)."""
    from parity.plan.lint import lint_sql
    from parity.plan.lint_rules import HYGIENE

    out: list[Finding] = []
    for m in p.migrations():
        found = lint_sql(m.up, p.dialect, file=None, transactional=m.transactional)
        out.extend(f for f in found if f.code not in HYGIENE)
    return tuple(out)
