"""The migration lint rules: a stable id, a name, a default severity, the one line
``parity lint --rules`` prints and the fix. Shared by the per-dialect checkers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parity.model.findings import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    doc: str
    fix: str
    dialects: tuple[str, ...] = ()  # empty: every dialect


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "MIG000",
            "syntax-error",
            _E,
            "The file does not parse; nothing else can be checked.",
            "fix the SQL syntax",
        ),
        Rule(
            "MIG001",
            "drop-table",
            _E,
            "Dropping a table loses its data and breaks code still reading it.",
            "keep the table (expand/contract: stop using it first, drop it in a later, separate release)",
        ),
        Rule(
            "MIG002",
            "drop-column",
            _E,
            "Dropping a column loses its data and breaks running code that still selects it.",
            "keep the column; stop reading it in code first and drop it in a later release",
        ),
        Rule(
            "MIG003",
            "not-null-without-default",
            _E,
            "ADD COLUMN … NOT NULL without a DEFAULT fails on a table that has rows.",
            "add it nullable, backfill (`parity migrate new NAME --backfill TABLE.COL=EXPR`), then set NOT NULL",
        ),
        Rule(
            "MIG004",
            "index-without-concurrently",
            _W,
            "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds.",
            "use CREATE INDEX CONCURRENTLY in a `-- parity:no-transaction` migration",
        ),
        Rule(
            "MIG005",
            "constraint-without-not-valid",
            _W,
            "ADD FOREIGN KEY / CHECK validates every row under a lock that blocks writes.",
            "add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction (a later migration)",
        ),
        Rule(
            "MIG006",
            "column-type-change",
            _W,
            "Changing a column's type (or redefining it with MODIFY/CHANGE) may rewrite the table under a lock.",
            "add a new column, backfill, switch the code, keep the old column",
        ),
        Rule(
            "MIG007",
            "rename",
            _W,
            "Renaming a column or table breaks every running instance still using the old name.",
            "add the new name, write to both, switch readers, keep the old one (expand/contract)",
        ),
        Rule(
            "MIG008",
            "volatile-default",
            _W,
            "A volatile DEFAULT (random(), clock_timestamp(), gen_random_uuid()) rewrites the table.",
            "add the column without default, backfill in batches, then set the default",
        ),
        Rule(
            "MIG009",
            "missing-lock-timeout",
            _W,
            "A statement that takes a lock, run without `SET lock_timeout`, can queue behind a long query and block all traffic.",
            "start the migration with SET lock_timeout = '3s'",
        ),
        Rule(
            "MIG010",
            "transaction-incompatible",
            _E,
            "CONCURRENTLY (and VACUUM) cannot run inside a transaction; parity runs a file in one.",
            "put the statement in its own migration starting with `-- parity:no-transaction`",
        ),
        Rule(
            "MIG011",
            "set-not-null",
            _W,
            "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.",
            "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL ≥ 12 skips the scan)",
        ),
        Rule(
            "MIG012",
            "add-unique-constraint",
            _W,
            "ADD UNIQUE / PRIMARY KEY builds an index while blocking writes.",
            "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX",
            ("postgres", "mysql"),
        ),
        Rule(
            "MIG013",
            "truncate",
            _E,
            "TRUNCATE … CASCADE empties every table that references this one too (a plain TRUNCATE is a note).",
            "do not delete production data in a schema migration; name each table, without CASCADE",
        ),
        Rule(
            "MIG014",
            "explicit-transaction",
            _W,
            "BEGIN/COMMIT inside a migration breaks parity's own per-migration transaction.",
            "remove them; parity runs each migration in a transaction (or none with `-- parity:no-transaction`)",
        ),
        Rule(
            "MIG015",
            "mysql-online-ddl",
            _I,
            "ALTER TABLE without ALGORITHM=INSTANT/INPLACE, LOCK=NONE may copy the table and block writes.",
            "add `, ALGORITHM=INSTANT` (or `ALGORITHM=INPLACE, LOCK=NONE`) so the server refuses a blocking plan",
            ("mysql",),
        ),
        Rule(
            "MIG016",
            "sqlite-add-column-refused",
            _E,
            "SQLite refuses ADD COLUMN with PRIMARY KEY/UNIQUE, NOT NULL without default, a CURRENT_* or expression default, a STORED generated column, or REFERENCES with a non-NULL default.",
            "use the 12-step table rebuild (parity's planner writes it)",
            ("sqlite",),
        ),
        Rule(
            "MIG017",
            "missing-statement-timeout",
            _W,
            "A statement that takes a lock, run without `SET statement_timeout`, can hold it for as long as it runs.",
            "start the migration with SET statement_timeout = '60s' (longer for a big CONCURRENTLY build)",
            ("postgres",),
        ),
        Rule(
            "MIG018",
            "drop-index-without-concurrently",
            _W,
            "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table.",
            "use DROP INDEX CONCURRENTLY in a `-- parity:no-transaction` migration",
            ("postgres",),
        ),
        Rule(
            "MIG019",
            "reindex-without-concurrently",
            _W,
            "REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index) while it runs.",
            "use REINDEX … CONCURRENTLY (PostgreSQL ≥ 12) in a `-- parity:no-transaction` migration",
            ("postgres",),
        ),
        Rule(
            "MIG020",
            "detach-partition-without-concurrently",
            _W,
            "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the parent table.",
            "use DETACH PARTITION … CONCURRENTLY (PostgreSQL ≥ 14) in a `-- parity:no-transaction` migration",
            ("postgres",),
        ),
        Rule(
            "MIG021",
            "table-rewrite-lock",
            _W,
            "VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock: reads and writes wait.",
            "use plain VACUUM (or pg_repack) outside the migration",
            ("postgres",),
        ),
        Rule(
            "MIG022",
            "domain-constraint",
            _W,
            "A domain CHECK is validated against every column of that domain under a lock when it is added (CREATE DOMAIN, or ALTER DOMAIN … ADD CONSTRAINT without NOT VALID).",
            "add it with ALTER DOMAIN … ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT; or put the CHECK on the table columns",
            ("postgres",),
        ),
        Rule(
            "MIG023",
            "drop-database",
            _E,
            "DROP DATABASE destroys every table in it.",
            "never drop a database from a migration",
        ),
        Rule(
            "MIG024",
            "drop-not-null",
            _W,
            "DROP NOT NULL lets new rows leave the column empty, which code still deployed may not expect.",
            "make every reader cope with NULL first, then drop the constraint in a later release",
        ),
        Rule(
            "MIG025",
            "transaction-nesting",
            _W,
            "BEGIN while a transaction is open, COMMIT without one, or a BEGIN never committed: the file does not run as written.",
            "pair each BEGIN with one COMMIT, or leave transactions to parity",
        ),
        Rule(
            "MIG026",
            "validate-in-same-transaction",
            _W,
            "VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the ADD's lock until the scan ends.",
            "validate in a separate transaction: a later migration, or after COMMIT in a `-- parity:no-transaction` file",
            ("postgres",),
        ),
        Rule(
            "MIG027",
            "column-fills-every-row",
            _W,
            "ADD COLUMN … GENERATED … STORED or GENERATED … AS IDENTITY computes a value for every row: the table is rewritten under a lock.",
            "add a plain nullable column, backfill it in batches, then attach the default or identity",
            ("postgres",),
        ),
        Rule(
            "MIG028",
            "default-rewrites-before-11",
            _W,
            "Before PostgreSQL 11, ADD COLUMN with any DEFAULT rewrites the table under a lock.",
            "add the column without a default, set the default, then backfill in batches",
            ("postgres",),
        ),
        Rule(
            "MIG029",
            "duplicate-assignment",
            _E,
            "An UPDATE that assigns the same column twice fails on PostgreSQL (multiple assignments to same column).",
            "assign each column once",
            ("postgres",),
        ),
        Rule(
            "MIG030",
            "prefer-text",
            _I,
            "varchar(n) needs an ACCESS EXCLUSIVE lock (and may rewrite) to change n later; text with a CHECK on length does not.",
            "use text (with CHECK (length(col) <= n) NOT VALID if the limit matters)",
            ("postgres",),
        ),
        Rule(
            "MIG031",
            "prefer-timestamptz",
            _I,
            "timestamp without time zone stores wall-clock time: values shift meaning when a server or session time zone changes.",
            "use timestamptz",
            ("postgres",),
        ),
        Rule(
            "MIG032",
            "prefer-bigint-key",
            _I,
            "An int or smallint key (id, *_id, primary or foreign key) runs out at 2^31 (2^15) rows, and widening it later rewrites the table.",
            "use bigint for keys",
            ("postgres",),
        ),
        Rule(
            "MIG033",
            "prefer-identity",
            _I,
            "serial makes a sequence with its own owner and grants; an identity column is the SQL-standard, self-contained form.",
            "use bigint GENERATED BY DEFAULT AS IDENTITY",
            ("postgres",),
        ),
        Rule(
            "MIG034",
            "ban-char",
            _I,
            "char(n) pads values with spaces and is no faster than text.",
            "use text (or varchar)",
            ("postgres",),
        ),
        Rule(
            "MIG035",
            "prefer-robust-statements",
            _I,
            "Outside a transaction, a statement without IF [NOT] EXISTS fails on a re-run after a partial run.",
            "write CREATE … IF NOT EXISTS / DROP … IF EXISTS / ADD COLUMN IF NOT EXISTS in no-transaction migrations",
            ("postgres",),
        ),
        Rule(
            "MIG036",
            "identifier-too-long",
            _I,
            "PostgreSQL cuts identifiers to 63 bytes without an error: two long names can become one.",
            "keep names within 63 bytes",
            ("postgres",),
        ),
        Rule(
            "MIG037",
            "enum-value-order",
            _I,
            "ADD VALUE … BEFORE/AFTER changes the sort order of the enum: ORDER BY and comparisons on its columns change.",
            "append new values at the end unless the new order is intended",
            ("postgres",),
        ),
        Rule(
            "MIG038",
            "unqualified-table",
            _I,
            "The file names some tables with a schema and others without: those follow search_path, which differs between sessions.",
            "qualify every table with its schema",
            ("postgres",),
        ),
        Rule(
            "MIG039",
            "mysql-blocking-alter",
            _W,
            "An ALTER that MySQL/MariaDB runs only by copying the table or under a lock that blocks writes (ADD FOREIGN KEY while foreign_key_checks is on, ADD CHECK, FULLTEXT/SPATIAL index, STORED column, DROP PRIMARY KEY alone, CONVERT TO CHARACTER SET) without ALGORITHM=INSTANT or LOCK=NONE.",
            "use an online schema-change tool (gh-ost, pt-online-schema-change) or expand/contract; "
            "with `, ALGORITHM=INPLACE, LOCK=NONE` the server refuses instead of blocking writes",
            ("mysql",),
        ),
        Rule(
            "MIG040",
            "sqlite-needs-rebuild",
            _E,
            "SQLite has no ALTER COLUMN, ADD/DROP CONSTRAINT or MODIFY, and refuses DROP COLUMN of a column the schema uses (a key, UNIQUE, indexed, in a FOREIGN KEY, a CHECK, a generated column, a view or a trigger; the folder's earlier files count): the statement fails.",
            "rebuild the table (create the new one, copy the rows, drop the old, rename); parity's planner writes the 12 steps",
            ("sqlite",),
        ),
        Rule(
            "MIG041",
            "mysql-add-column-position",
            _I,
            "ADD COLUMN … FIRST/AFTER is instant only from MySQL 8.0.29 and MariaDB 10.4: MySQL 8.0.12–8.0.28 and MariaDB 10.3 add a column instantly only as the last one and rebuild the table to place it anywhere else.",
            "add the column last (no FIRST/AFTER) unless every server runs MySQL 8.0.29+ or MariaDB 10.4+; "
            "with `, ALGORITHM=INSTANT` an older server refuses instead of rebuilding",
            ("mysql",),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that fired at ``offset`` (a character offset of the statement's first keyword).
    ``severity`` replaces the rule's own where one rule covers a milder form (plain TRUNCATE)."""

    rule: str
    message: str
    offset: int
    severity: Severity | None = None


VOLATILE = re.compile(
    r"\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v[14]|nextval|uuid|rand|sys_guid)\s*\(",
    re.I,
)

#: Rules about how a schema is written (types, names), not about how a change runs: the planner's
#: own migrations follow main's schema, so their plans leave these to `parity lint` on main's files.
HYGIENE = frozenset({"MIG030", "MIG031", "MIG032", "MIG033", "MIG034", "MIG036", "MIG038"})
