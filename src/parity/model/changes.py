"""Schema changes: one small frozen dataclass per kind, each able to give its reverse.

:func:`parity.diff.compare` returns a list of these; a dialect's ``render`` turns one into
SQL (dispatching on the class); the migration planner turns them into safe steps.

A compare never produces a drop of a table or column: what only production has is a
:class:`ProductionOnly` (drift, reported and kept). Drop classes exist because they are the
reverses of the add classes (a rollback of an added column drops it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import ClassVar

from parity.model.schema import (
    CheckConstraint,
    Column,
    Comment,
    CompositeType,
    Domain,
    EnumType,
    ExcludeConstraint,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Partition,
    Policy,
    PrimaryKey,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)


class Safety(StrEnum):
    """How dangerous applying a change is on a live database, worst last."""

    SAFE = "safe"  # metadata only, no long lock, no data at risk
    NEEDS_CARE = "needs care"  # rewrites or locks a table, or may fail on existing rows
    UNSAFE = "unsafe"  # may lose or corrupt data
    FORBIDDEN = "forbidden"  # parity never does it (dropping a table or column)

    @property
    def rank(self) -> int:
        return list(Safety).index(self)


@dataclass(frozen=True, slots=True)
class Impact:
    """What a change costs on one dialect: does it rewrite the table, what lock it takes."""

    safety: Safety
    rewrites_table: bool = False
    lock: str | None = None  # e.g. "ACCESS EXCLUSIVE (brief)", None = no blocking lock
    note: str = ""


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """How :func:`parity.diff.compare` matches names on a dialect.

    ``fold_case``: identifiers match case-insensitively (SQLite always; MySQL columns and
    indexes). PostgreSQL folds unquoted identifiers at parse time, so the catalog already
    holds the canonical spelling and an exact match is right there.
    """

    fold_case: bool = False


class Change:
    """Base of every change. ``kind`` is a stable snake_case id used in JSON output."""

    __slots__ = ()
    kind: ClassVar[str] = "change"

    @property
    def table_name(self) -> str | None:
        """The table the change is about (None for schema-level objects)."""
        return getattr(self, "table", None) if isinstance(getattr(self, "table", None), str) else None

    @property
    def object_name(self) -> str:
        """A short name of what changes, e.g. ``orders.status`` or ``idx_orders_status``."""
        return self.table_name or ""

    def reverse(self) -> Change | None:
        """The change that undoes this one, or None when it cannot be undone by a change."""
        return None


# --- tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddTable(Change):
    kind: ClassVar[str] = "add_table"
    definition: Table

    @property
    def table_name(self) -> str:
        return self.definition.name

    @property
    def object_name(self) -> str:
        return self.definition.name

    def reverse(self) -> Change:
        return DropTable(self.definition)


@dataclass(frozen=True, slots=True)
class DropTable(Change):
    kind: ClassVar[str] = "drop_table"
    definition: Table

    @property
    def table_name(self) -> str:
        return self.definition.name

    @property
    def object_name(self) -> str:
        return self.definition.name

    def reverse(self) -> Change:
        return AddTable(self.definition)


#: The table-level options :func:`table_options` reports (SQLite's ``WITHOUT ROWID``, ``STRICT``).
TABLE_OPTIONS = frozenset({"without_rowid", "strict"})


def table_options(table: Table) -> frozenset[str]:
    """The table-level options in force on ``table``, as names from :data:`TABLE_OPTIONS`."""
    return frozenset(o for o, on in (("without_rowid", table.without_rowid), ("strict", table.strict)) if on)


@dataclass(frozen=True, slots=True)
class AlterTableOptions(Change):
    """Table-level options differ, e.g. SQLite ``WITHOUT ROWID`` added or removed.

    ``current`` and ``desired`` are the options in force (:func:`table_options`); SQLite
    can only change them by rebuilding the table.
    """

    kind: ClassVar[str] = "alter_table_options"
    table: str
    current: frozenset[str]
    desired: frozenset[str]

    @property
    def changes(self) -> frozenset[str]:
        """The options added or removed."""
        return self.current ^ self.desired

    def apply(self, table: Table) -> Table:
        """``table`` with the desired options (what ``apply_change`` does to the model)."""
        return replace(table, without_rowid="without_rowid" in self.desired, strict="strict" in self.desired)

    def reverse(self) -> Change:
        return AlterTableOptions(self.table, self.desired, self.current)


# --- columns ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddColumn(Change):
    kind: ClassVar[str] = "add_column"
    table: str
    column: Column

    @property
    def object_name(self) -> str:
        return f"{self.table}.{self.column.name}"

    def reverse(self) -> Change:
        return DropColumn(self.table, self.column)


@dataclass(frozen=True, slots=True)
class DropColumn(Change):
    kind: ClassVar[str] = "drop_column"
    table: str
    column: Column

    @property
    def object_name(self) -> str:
        return f"{self.table}.{self.column.name}"

    def reverse(self) -> Change:
        return AddColumn(self.table, self.column)


ALTER_ATTRIBUTES = frozenset(
    {"type", "nullable", "default", "collation", "generated", "identity", "on_update"}
)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What a change drops before it and makes again after it, because PostgreSQL will not change an
    object while others depend on it (a view selecting from a view, or a column whose type changes).

    ``views`` in the order they are created (dropped in the reverse one), with the definitions
    they get; ``triggers`` and ``grants`` are those on the dropped views (INSTEAD OF triggers,
    privileges), which a dropped view takes with it."""

    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    grants: tuple[Grant, ...] = ()
    # The same views as the database has them, when they are made again with main's definitions:
    # what the reverse change makes again.
    was: tuple[View, ...] = ()
    # On the table itself: the triggers (WHEN, UPDATE OF) and policies that read a column whose type
    # changes ("cannot alter type of a column used in a trigger definition"), dropped explicitly.
    table_triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    # The comments on the dropped views and their columns, set again as they were (a dropped view
    # takes them with it); a materialized view's indexes and every view's owner come with the views.
    comments: tuple[Comment, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.views
            or self.triggers
            or self.grants
            or self.table_triggers
            or self.policies
            or self.comments
        )

    def reversed(self) -> Rebuilt:
        return replace(self, views=self.was, was=self.views) if self.was else self


@dataclass(frozen=True, slots=True)
class AlterColumn(Change):
    """Column ``current.name`` of ``table`` becomes ``desired``; ``changes`` ⊆ :data:`ALTER_ATTRIBUTES`.
    ``again``: the views reading the column when its type changes (PostgreSQL: "cannot alter type of a
    column used by a view"), dropped first and made again as they were."""

    kind: ClassVar[str] = "alter_column"
    table: str
    current: Column
    desired: Column
    changes: frozenset[str]
    again: Rebuilt = Rebuilt()

    @property
    def object_name(self) -> str:
        return f"{self.table}.{self.desired.name}"

    def reverse(self) -> Change:
        return AlterColumn(self.table, self.desired, self.current, self.changes, self.again)


@dataclass(frozen=True, slots=True)
class RenameColumn(Change):
    kind: ClassVar[str] = "rename_column"
    table: str
    old: str
    new: str

    @property
    def object_name(self) -> str:
        return f"{self.table}.{self.old}"

    def reverse(self) -> Change:
        return RenameColumn(self.table, self.new, self.old)


@dataclass(frozen=True, slots=True)
class PossibleRename(Change):
    """A production-only column and a new column of the same type in the same table.

    Reported so a human decides; compare never turns it into a rename on its own. The
    matching :class:`AddColumn` and :class:`ProductionOnly` are *not* emitted separately.
    """

    kind: ClassVar[str] = "possible_rename"
    table: str
    old: Column
    new: Column

    @property
    def object_name(self) -> str:
        return f"{self.table}.{self.old.name} → {self.new.name}"

    def as_rename(self) -> RenameColumn:
        return RenameColumn(self.table, self.old.name, self.new.name)

    def as_add(self) -> AddColumn:
        """What applying the declared schema literally does: add the new column, keep the old one."""
        return AddColumn(self.table, self.new)


# --- keys, indexes and constraints ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlterPrimaryKey(Change):
    kind: ClassVar[str] = "alter_primary_key"
    table: str
    current: PrimaryKey | None
    desired: PrimaryKey | None

    def reverse(self) -> Change:
        return AlterPrimaryKey(self.table, self.desired, self.current)


@dataclass(frozen=True, slots=True)
class AddIndex(Change):
    kind: ClassVar[str] = "add_index"
    table: str
    index: Index

    @property
    def object_name(self) -> str:
        return self.index.name

    def reverse(self) -> Change:
        return DropIndex(self.table, self.index)


@dataclass(frozen=True, slots=True)
class DropIndex(Change):
    kind: ClassVar[str] = "drop_index"
    table: str
    index: Index

    @property
    def object_name(self) -> str:
        return self.index.name

    def reverse(self) -> Change:
        return AddIndex(self.table, self.index)


@dataclass(frozen=True, slots=True)
class AddForeignKey(Change):
    kind: ClassVar[str] = "add_foreign_key"
    table: str
    foreign_key: ForeignKey

    @property
    def object_name(self) -> str:
        fk = self.foreign_key
        return fk.name or f"{self.table}({', '.join(fk.columns)}) → {fk.ref_label}"

    def reverse(self) -> Change:
        return DropForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True, slots=True)
class DropForeignKey(Change):
    kind: ClassVar[str] = "drop_foreign_key"
    table: str
    foreign_key: ForeignKey

    @property
    def object_name(self) -> str:
        fk = self.foreign_key
        return fk.name or f"{self.table}({', '.join(fk.columns)}) → {fk.ref_label}"

    def reverse(self) -> Change:
        return AddForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True, slots=True)
class AddUnique(Change):
    kind: ClassVar[str] = "add_unique"
    table: str
    unique: UniqueConstraint

    @property
    def object_name(self) -> str:
        return self.unique.name or f"{self.table}({', '.join(self.unique.columns)})"

    def reverse(self) -> Change:
        return DropUnique(self.table, self.unique)


@dataclass(frozen=True, slots=True)
class DropUnique(Change):
    kind: ClassVar[str] = "drop_unique"
    table: str
    unique: UniqueConstraint

    @property
    def object_name(self) -> str:
        return self.unique.name or f"{self.table}({', '.join(self.unique.columns)})"

    def reverse(self) -> Change:
        return AddUnique(self.table, self.unique)


@dataclass(frozen=True, slots=True)
class AddCheck(Change):
    kind: ClassVar[str] = "add_check"
    table: str
    check: CheckConstraint

    @property
    def object_name(self) -> str:
        return self.check.name or f"{self.table} CHECK ({self.check.expression})"

    def reverse(self) -> Change:
        return DropCheck(self.table, self.check)


@dataclass(frozen=True, slots=True)
class DropCheck(Change):
    kind: ClassVar[str] = "drop_check"
    table: str
    check: CheckConstraint

    @property
    def object_name(self) -> str:
        return self.check.name or f"{self.table} CHECK ({self.check.expression})"

    def reverse(self) -> Change:
        return AddCheck(self.table, self.check)


@dataclass(frozen=True, slots=True)
class AddExclude(Change):
    kind: ClassVar[str] = "add_exclude"
    table: str
    exclude: ExcludeConstraint

    @property
    def object_name(self) -> str:
        return self.exclude.name

    def reverse(self) -> Change:
        return DropExclude(self.table, self.exclude)


@dataclass(frozen=True, slots=True)
class DropExclude(Change):
    """Only the first half of replacing an EXCLUDE main redefines under its name (no data is lost)."""

    kind: ClassVar[str] = "drop_exclude"
    table: str
    exclude: ExcludeConstraint

    @property
    def object_name(self) -> str:
        return self.exclude.name

    def reverse(self) -> Change:
        return AddExclude(self.table, self.exclude)


# --- schema-level objects ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddView(Change):
    kind: ClassVar[str] = "add_view"
    view: View

    @property
    def object_name(self) -> str:
        return self.view.name

    def reverse(self) -> Change:
        return DropView(self.view)


@dataclass(frozen=True, slots=True)
class DropView(Change):
    kind: ClassVar[str] = "drop_view"
    view: View

    @property
    def object_name(self) -> str:
        return self.view.name

    def reverse(self) -> Change:
        return AddView(self.view)


@dataclass(frozen=True, slots=True)
class AlterView(Change):
    """A view whose definition differs: rendered as a replace (views hold no data).

    ``again``: the views that select from it (PostgreSQL refuses to drop it under them), and what
    goes with it and with them, made again after it."""

    kind: ClassVar[str] = "alter_view"
    current: View
    desired: View
    again: Rebuilt = Rebuilt()

    @property
    def object_name(self) -> str:
        return self.desired.name

    def reverse(self) -> Change:
        return AlterView(self.desired, self.current, self.again.reversed())


@dataclass(frozen=True, slots=True)
class AddNamespace(Change):
    """A schema main creates besides the one compared (``CREATE SCHEMA audit``), made if missing."""

    kind: ClassVar[str] = "add_schema"
    name: str

    @property
    def object_name(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class AddExtension(Change):
    """An extension main uses (its types, functions, operator classes) created if missing."""

    kind: ClassVar[str] = "add_extension"
    extension: Extension

    @property
    def object_name(self) -> str:
        return self.extension.name


@dataclass(frozen=True, slots=True)
class AddDomain(Change):
    kind: ClassVar[str] = "add_domain"
    domain: Domain

    @property
    def object_name(self) -> str:
        return self.domain.name


@dataclass(frozen=True, slots=True)
class AlterDomain(Change):
    """A domain main redefines. ``changes`` names what differs: ``default``, ``nullable``,
    ``checks`` (ALTER DOMAIN can change these in place) and ``type``, ``collation`` (it cannot: the
    dialect refuses those, since the domain would have to be dropped). A CHECK only production has is
    kept; one main redefines under the same name is dropped and added."""

    kind: ClassVar[str] = "alter_domain"
    current: Domain
    desired: Domain
    changes: frozenset[str]

    @property
    def object_name(self) -> str:
        return self.desired.name

    def reverse(self) -> Change:
        return AlterDomain(self.desired, self.current, self.changes)


@dataclass(frozen=True, slots=True)
class AddCompositeType(Change):
    kind: ClassVar[str] = "add_composite_type"
    composite: CompositeType

    @property
    def object_name(self) -> str:
        return self.composite.name


@dataclass(frozen=True, slots=True)
class AlterCompositeType(Change):
    """A composite type main redefines: ``added`` attributes (ALTER TYPE … ADD ATTRIBUTE, at the end;
    values already stored get NULL) and ``retyped`` ones (ALTER ATTRIBUTE … TYPE, which the server
    refuses while a table column uses the type). An attribute only production has is kept."""

    kind: ClassVar[str] = "alter_composite_type"
    current: CompositeType
    desired: CompositeType
    added: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()

    @property
    def object_name(self) -> str:
        return self.desired.name


@dataclass(frozen=True, slots=True)
class AddFunction(Change):
    kind: ClassVar[str] = "add_function"
    function: Function

    @property
    def object_name(self) -> str:
        return self.function.signature


@dataclass(frozen=True, slots=True)
class AlterFunction(Change):
    """A function main redefines under the same signature: ``CREATE OR REPLACE``, which the server
    allows only while the result type and the parameters' names and defaults stay (else refused)."""

    kind: ClassVar[str] = "alter_function"
    current: Function
    desired: Function

    @property
    def object_name(self) -> str:
        return self.desired.signature

    @property
    def replaceable(self) -> bool:
        return (self.current.result, self.current.parameters, self.current.procedure) == (
            self.desired.result,
            self.desired.parameters,
            self.desired.procedure,
        )

    def reverse(self) -> Change:
        return AlterFunction(self.desired, self.current)


@dataclass(frozen=True, slots=True)
class AddEnum(Change):
    kind: ClassVar[str] = "add_enum"
    enum: EnumType

    @property
    def object_name(self) -> str:
        return self.enum.name


@dataclass(frozen=True, slots=True)
class AddEnumValue(Change):
    """A label added to an existing enum type; ``before`` is the label it precedes (None = last).

    PostgreSQL cannot remove an enum label, so there is no reverse.
    """

    kind: ClassVar[str] = "add_enum_value"
    enum: str
    value: str
    before: str | None = None

    @property
    def object_name(self) -> str:
        return f"{self.enum}.{self.value}"


@dataclass(frozen=True, slots=True)
class AddSequence(Change):
    kind: ClassVar[str] = "add_sequence"
    sequence: Sequence

    @property
    def object_name(self) -> str:
        return self.sequence.name


@dataclass(frozen=True, slots=True)
class AddTrigger(Change):
    kind: ClassVar[str] = "add_trigger"
    trigger: Trigger

    @property
    def table_name(self) -> str:
        return self.trigger.table

    @property
    def object_name(self) -> str:
        return self.trigger.name


@dataclass(frozen=True, slots=True)
class AlterTrigger(Change):
    """A trigger main redefines under the same name: dropped and created again (no data touched)."""

    kind: ClassVar[str] = "alter_trigger"
    current: Trigger
    desired: Trigger

    @property
    def table_name(self) -> str:
        return self.desired.table

    @property
    def object_name(self) -> str:
        return self.desired.name

    def reverse(self) -> Change | None:
        return AlterTrigger(self.desired, self.current)


@dataclass(frozen=True, slots=True)
class AddPartition(Change):
    kind: ClassVar[str] = "add_partition"
    partition: Partition

    @property
    def table_name(self) -> str:
        return self.partition.name

    @property
    def object_name(self) -> str:
        return self.partition.name


@dataclass(frozen=True, slots=True)
class AlterPartitioning(Change):
    """A table whose partitioning main changes (a key, a partition's bounds or parent, or a plain
    table made partitioned). The server cannot do it in place: it takes a new table and moving the
    rows, or a DETACH and ATTACH, so the dialect refuses it with the reason. ``object_kind`` is
    ``table`` or ``partition``; ``current``/``desired`` the key or bound on each side."""

    kind: ClassVar[str] = "alter_partitioning"
    table: str
    object_kind: str
    current: str | None
    desired: str | None

    @property
    def object_name(self) -> str:
        return self.table


@dataclass(frozen=True, slots=True)
class EnableRowSecurity(Change):
    """Row-level security main turns on for a table (``force``: for its owner too). Turning it off
    is never planned: what only production has is kept."""

    kind: ClassVar[str] = "enable_row_security"
    table: str
    enable: bool = True
    force: bool = False

    @property
    def object_name(self) -> str:
        return self.table


@dataclass(frozen=True, slots=True)
class AddPolicy(Change):
    kind: ClassVar[str] = "add_policy"
    policy: Policy

    @property
    def table_name(self) -> str:
        return self.policy.table

    @property
    def object_name(self) -> str:
        return f"{self.policy.table}.{self.policy.name}"


@dataclass(frozen=True, slots=True)
class AlterPolicy(Change):
    """A policy main redefines: ALTER POLICY for its roles and expressions; a changed command or
    PERMISSIVE/RESTRICTIVE (which ALTER POLICY cannot change) drops and creates it in the migration's
    transaction, so no statement runs between with the policy missing."""

    kind: ClassVar[str] = "alter_policy"
    current: Policy
    desired: Policy

    @property
    def table_name(self) -> str:
        return self.desired.table

    @property
    def object_name(self) -> str:
        return f"{self.desired.table}.{self.desired.name}"

    def reverse(self) -> Change:
        return AlterPolicy(self.desired, self.current)


@dataclass(frozen=True, slots=True)
class AddGrant(Change):
    """Privileges main grants that the database lacks (``grant.privileges`` holds only the missing
    ones). One only production has is kept: parity never revokes."""

    kind: ClassVar[str] = "add_grant"
    grant: Grant

    @property
    def object_name(self) -> str:
        return f"{self.grant.object} to {self.grant.grantee}"


@dataclass(frozen=True, slots=True)
class SetComment(Change):
    """A table's or column's comment set (or changed) to main's text; only metadata changes."""

    kind: ClassVar[str] = "set_comment"
    comment: Comment
    previous: str | None = None

    @property
    def table_name(self) -> str:
        return self.comment.table

    @property
    def object_name(self) -> str:
        return self.comment.target

    def reverse(self) -> Change | None:
        if self.previous is None:
            return None
        return SetComment(replace(self.comment, text=self.previous), self.comment.text)


@dataclass(frozen=True, slots=True)
class ProductionOnly(Change):
    """An object the live database has and the declared schema lacks: drift, kept, never dropped.

    ``object_kind`` is one of ``table column index foreign_key unique check exclude view enum
    sequence trigger comment extension domain domain_check function policy row_security partition grant``; ``table`` is the owning table (None for schema-level objects) and
    ``name`` the object's own name.
    """

    kind: ClassVar[str] = "production_only"
    object_kind: str
    table: str | None
    name: str
    detail: str = ""

    @property
    def object_name(self) -> str:
        if self.object_kind == "column" and self.table:
            return f"{self.table}.{self.name}"
        return self.name


CHANGE_TYPES: tuple[type[Change], ...] = (
    AddTable,
    DropTable,
    AlterTableOptions,
    AddColumn,
    DropColumn,
    AlterColumn,
    RenameColumn,
    PossibleRename,
    AlterPrimaryKey,
    AddIndex,
    DropIndex,
    AddForeignKey,
    DropForeignKey,
    AddUnique,
    DropUnique,
    AddCheck,
    DropCheck,
    AddExclude,
    DropExclude,
    AddView,
    DropView,
    AlterView,
    AddNamespace,
    AddExtension,
    AddDomain,
    AlterDomain,
    AddCompositeType,
    AlterCompositeType,
    AddFunction,
    AlterFunction,
    AddEnum,
    AddEnumValue,
    AddSequence,
    AddTrigger,
    AlterTrigger,
    AddPartition,
    AlterPartitioning,
    EnableRowSecurity,
    AddPolicy,
    AlterPolicy,
    AddGrant,
    SetComment,
    ProductionOnly,
)


def describe(change: Change) -> str:
    """A one-line human description, e.g. ``add column orders.status``."""
    label = change.kind.replace("_", " ")
    if isinstance(change, AlterColumn):
        label += " (" + ", ".join(sorted(change.changes)) + ")"
    if isinstance(change, AlterTableOptions):
        label += (
            " ("
            + ", ".join(
                ("add " if o in change.desired else "remove ") + o.replace("_", " ")
                for o in sorted(change.changes)
            )
            + ")"
        )
    if isinstance(change, ProductionOnly):
        label = f"production-only {change.object_kind.replace('_', ' ')}"
    return f"{label} {change.object_name}".strip()
