"""The neutral schema model: one set of frozen dataclasses for every dialect.

Inspectors (``parity.dialects.<name>.inspect``) build these values from a live database;
:func:`parity.diff.compare` compares two of them. Names are kept as the database spells
them; whether they match case-insensitively is the dialect's business (see
``Dialect.compare_options``).

Two spellings are kept for types and defaults: ``type``/``default`` are normalised by the
dialect (aliases folded, casts of literals removed) so that comparing them never reports
noise, and ``raw_type``/``raw_default`` are what the catalog said, for display and SQL.

Collections are tuples sorted by name so two inspections of the same database are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Column:
    """One column.

    ``generated`` is the expression of a generated (computed) column, ``generated_stored``
    says whether it is stored (PostgreSQL has only stored ones; SQLite and MySQL both kinds).
    ``identity`` is ``"always"``/``"by default"`` for SQL identity columns and ``"auto"``
    for MySQL ``AUTO_INCREMENT`` / SQLite ``AUTOINCREMENT``.
    ``on_update`` is the MySQL ``ON UPDATE`` expression (``CURRENT_TIMESTAMP``,
    ``CURRENT_TIMESTAMP(3)``), None elsewhere. ``comment`` is the column's comment, kept only
    so SQL that restates a whole column (MySQL ``MODIFY COLUMN``) does not lose it; it is left
    out of equality, and :func:`parity.diff.compare` ignores it.
    """

    name: str
    type: str
    raw_type: str = ""
    nullable: bool = True
    default: str | None = None
    raw_default: str | None = None
    generated: str | None = None
    generated_stored: bool = False
    collation: str | None = None
    identity: str | None = None
    on_update: str | None = None
    comment: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.raw_type:
            object.__setattr__(self, "raw_type", self.type)
        if self.raw_default is None and self.default is not None:
            object.__setattr__(self, "raw_default", self.default)


_COLUMN_SETTERS = tuple(
    getattr(Column, f).__set__
    for f in (
        "name",
        "type",
        "raw_type",
        "nullable",
        "default",
        "raw_default",
        "generated",
        "generated_stored",
        "collation",
        "identity",
        "on_update",
        "comment",
    )
)


def fast_column(
    name: str,
    type: str,
    raw_type: str,
    nullable: bool,
    default: str | None,
    raw_default: str | None,
    generated: str | None,
    generated_stored: bool,
    collation: str | None,
    identity: str | None,
    on_update: str | None = None,
    comment: str | None = None,
) -> Column:
    """``Column(...)`` with every field given, about 3× faster.

    A frozen dataclass sets each field through ``object.__setattr__``; inspectors build tens
    of thousands of columns, so they fill the slots directly. The result is an ordinary,
    immutable :class:`Column` (equal and hashable like one built the usual way).
    """
    col = object.__new__(Column)
    s = _COLUMN_SETTERS
    s[0](col, name)
    s[1](col, type)
    s[2](col, raw_type or type)
    s[3](col, nullable)
    s[4](col, default)
    s[5](col, raw_default if raw_default is not None or default is None else default)
    s[6](col, generated)
    s[7](col, generated_stored)
    s[8](col, collation)
    s[9](col, identity)
    s[10](col, on_update)
    s[11](col, comment)
    return col


#: ``deferrable`` on keys and foreign keys: None (checked at once, the default everywhere),
#: ``"DEFERRABLE"`` or ``"DEFERRABLE INITIALLY DEFERRED"`` (PostgreSQL), the clause as SQL spells it.


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    columns: tuple[str, ...]
    name: str | None = None
    deferrable: str | None = None


@dataclass(frozen=True, slots=True)
class IndexPart:
    """One key part of an index: a column, or an expression (``lower(email)``).

    ``length`` is a prefix length (MySQL ``KEY ix (name(10))``: only the first 10 characters
    are indexed); None indexes the whole value. ``opclass`` (``text_pattern_ops``,
    ``extensions.gin_trgm_ops``) and ``collation`` (``"C"``) are PostgreSQL's, as SQL spells them,
    None when they are the default for the part.
    """

    column: str | None = None
    expression: str | None = None
    descending: bool = False
    length: int | None = None
    opclass: str | None = None
    collation: str | None = None

    @property
    def text(self) -> str:
        base = self.column if self.column is not None else f"({self.expression})"
        if self.length is not None:
            base += f"({self.length})"
        return base + (" DESC" if self.descending else "")


@dataclass(frozen=True, slots=True)
class Index:
    """An index. ``where`` is the predicate of a partial index; ``method`` e.g. ``btree``/``gin``
    (None when the dialect has one kind only or it is the default)."""

    name: str
    parts: tuple[IndexPart, ...]
    unique: bool = False
    where: str | None = None
    method: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The plain column names among the parts (expression parts left out)."""
        return tuple(p.column for p in self.parts if p.column is not None)

    @staticmethod
    def on(name: str, *columns: str, unique: bool = False, where: str | None = None) -> Index:
        """Shorthand: ``Index.on("idx_orders_status", "status")``."""
        return Index(name, tuple(IndexPart(c) for c in columns), unique=unique, where=where)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``columns`` reference ``ref_table(ref_columns)``. Actions are upper-case SQL
    (``CASCADE``, ``SET NULL``, ``NO ACTION`` …); ``NO ACTION`` is the default everywhere.
    ``ref_schema``: set only when the referenced table is in another schema than the table
    (PostgreSQL), so the usual same-schema reference reads the same on every database."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    ref_schema: str | None = None
    deferrable: str | None = None

    @property
    def ref_label(self) -> str:
        return f"{self.ref_schema}.{self.ref_table}" if self.ref_schema else self.ref_table


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    columns: tuple[str, ...]
    name: str | None = None
    deferrable: str | None = None


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    expression: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ExcludeConstraint:
    """A PostgreSQL ``EXCLUDE`` constraint; ``definition`` as ``pg_get_constraintdef`` prints it
    (``EXCLUDE USING gist (room WITH =, during WITH &&)``), compared as text."""

    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    without_rowid: bool = False  # SQLite only
    strict: bool = False  # SQLite STRICT: column types enforced
    excludes: tuple[ExcludeConstraint, ...] = ()  # PostgreSQL, sorted by name
    row_security: bool = False  # PostgreSQL ENABLE ROW LEVEL SECURITY
    force_row_security: bool = False  # PostgreSQL FORCE ROW LEVEL SECURITY (the owner too)
    partition_by: str | None = None  # PostgreSQL partition key as pg_get_partkeydef prints it: RANGE (at)

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def index(self, name: str) -> Index | None:
        for i in self.indexes:
            if i.name == name:
                return i
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True)
class View:
    name: str
    definition: str  # the SELECT, normalised by the dialect (whitespace collapsed)
    materialized: bool = False
    # PostgreSQL's WITH (…) options as the catalog keeps them, sorted: ``check_option=cascaded``,
    # ``security_barrier=true``, ``security_invoker=true`` (whose rights and row-level security
    # apply), a materialized view's storage parameters. Not in the definition the server prints.
    options: tuple[str, ...] = ()
    # A materialized view's own indexes (PostgreSQL), by name; a plain view has none.
    indexes: tuple[Index, ...] = ()
    # Who owns it (PostgreSQL): not compared (owners differ between environments), kept so a view
    # dropped and made again around a change gets its owner back rather than the migration's role.
    owner: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class EnumType:
    """A PostgreSQL ``CREATE TYPE … AS ENUM``; labels in their declared order."""

    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sequence:
    """A standalone or owned sequence (PostgreSQL). ``owned_by`` is ``table.column``."""

    name: str
    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    owned_by: str | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger, listed with its full definition as the database prints it."""

    name: str
    table: str
    definition: str


@dataclass(frozen=True, slots=True)
class Comment:
    """``COMMENT ON TABLE`` / ``COMMENT ON COLUMN`` (PostgreSQL): ``column`` None for the table's own."""

    table: str
    column: str | None
    text: str

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass(frozen=True, slots=True)
class Domain:
    """A PostgreSQL ``CREATE DOMAIN``: a base type with its own NOT NULL, default and CHECKs
    (``VALUE > 0``), which every column of the domain obeys. ``base_type`` and ``raw_default`` as the
    catalog prints them, ``default`` normalised like a column's; checks sorted by expression."""

    name: str
    base_type: str
    nullable: bool = True
    default: str | None = None
    raw_default: str | None = None
    checks: tuple[CheckConstraint, ...] = ()
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeType:
    """A PostgreSQL ``CREATE TYPE … AS (…)``: its attributes in order, each as a :class:`Column`
    (name, type normalised and as printed, collation when not the default; nothing else applies)."""

    name: str
    attributes: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Function:
    """A PostgreSQL function or procedure, known by its signature: ``name(arguments)``, the argument
    types only, as overloads are told apart. ``definition`` is the whole ``CREATE OR REPLACE …`` as
    ``pg_get_functiondef`` prints it, the schema qualifier taken off the name; ``result`` and
    ``parameters`` (names, modes, defaults) are what ``CREATE OR REPLACE`` may not change."""

    name: str
    arguments: str
    definition: str
    result: str = ""
    parameters: str = ""
    procedure: bool = False

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"

    @property
    def body_key(self) -> str:
        """The definition with whitespace runs folded: reindenting a body changes nothing."""
        return " ".join(self.definition.split())


@dataclass(frozen=True, slots=True)
class Partition:
    """A PostgreSQL partition of ``parent``: ``bound`` as the server prints it (``FOR VALUES FROM
    ('2026-01-01') TO ('2027-01-01')``, ``DEFAULT``), ``partition_by`` when it is partitioned in turn.
    Its columns, keys and indexes come from the parent, so they are not modelled again."""

    name: str
    parent: str
    bound: str
    partition_by: str | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """Privileges a role (``public`` for everyone) holds on a table, view or sequence of the schema
    (PostgreSQL), the owner's own left out: owners differ between environments. ``privileges`` are
    the catalog's words (``SELECT``, ``INSERT``, ``USAGE``), and a column's own as GRANT spells it
    (``UPDATE (name)``), sorted; ``on`` is ``TABLE`` or ``SEQUENCE``, the word GRANT needs."""

    object: str
    grantee: str
    privileges: tuple[str, ...]
    on: str = "TABLE"


@dataclass(frozen=True, slots=True)
class Policy:
    """A PostgreSQL row-level security policy. ``command`` is ``ALL``/``SELECT``/``INSERT``/``UPDATE``/
    ``DELETE``; ``roles`` as the catalog lists them (``public`` for everyone); ``using`` and
    ``check`` the ``USING`` and ``WITH CHECK`` expressions as the server prints them."""

    name: str
    table: str
    command: str = "ALL"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    check: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """A PostgreSQL extension (``CREATE EXTENSION``), database-wide. ``schema`` is where its objects
    live when that is not the schema inspected (Supabase's ``extensions``), else None. The version is
    left out: upgrading an extension is the server administrator's business, not a schema change."""

    name: str
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class Dependency:
    """``kind name`` cannot exist without ``ref_kind ref_name``, as PostgreSQL records it (``pg_depend``):
    a view on what it selects from, a SQL-standard function body on what it names, a table on the
    functions its defaults, CHECKs and index expressions call, a trigger or policy on the columns of
    its own table it reads. Kinds are ``table``, ``view`` (plain or materialized), ``function`` (named
    by its signature), ``trigger`` and ``policy`` (by name; ``ref_name`` is their table). A function
    body given as a string (any plpgsql body, a quoted SQL body) records nothing: the server reads it
    only when it runs."""

    kind: str
    name: str
    ref_kind: str
    ref_name: str
    ref_column: str | None = None  # this column of ``ref_name`` is read (one row per column)


@dataclass(frozen=True, slots=True)
class Schema:
    """A whole database schema (one PostgreSQL schema, one MySQL database, one SQLite file)."""

    dialect: str
    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    enums: tuple[EnumType, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    name: str | None = None  # the PostgreSQL schema / MySQL database name
    comments: tuple[Comment, ...] = ()  # PostgreSQL tables' and columns', sorted by target
    extensions: tuple[Extension, ...] = ()  # PostgreSQL, by name
    domains: tuple[Domain, ...] = ()  # PostgreSQL, by name
    functions: tuple[Function, ...] = ()  # PostgreSQL functions and procedures, by signature
    composites: tuple[CompositeType, ...] = ()  # PostgreSQL composite types, by name
    # PostgreSQL: the database's other schemas by name (not public, the system's or an extension's).
    # Their objects are in the collections above, named ``schema.name``; a comparison covers the
    # ones main declares (parity.diff.scope).
    namespaces: tuple[str, ...] = ()
    policies: tuple[Policy, ...] = ()  # PostgreSQL, by table then name
    partitions: tuple[Partition, ...] = ()  # PostgreSQL, by name
    grants: tuple[Grant, ...] = ()  # PostgreSQL, by object then grantee
    # PostgreSQL: what needs what, among the schema's own objects (sorted). None where the dialect
    # records no dependencies (SQLite, MySQL): the diff then reads them from the definitions' text.
    # Derived from the objects, so not part of equality.
    dependencies: tuple[Dependency, ...] | None = field(default=None, compare=False, hash=False)
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def table(self, name: str) -> Table | None:
        for t in self.tables:
            if t.name == name:
                return t
        return None

    def view(self, name: str) -> View | None:
        for v in self.views:
            if v.name == name:
                return v
        return None

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)
