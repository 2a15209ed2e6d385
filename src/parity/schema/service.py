"""The service behind ``parity schema diff``: live vs declared schema → Schema Impact Analysis.

:func:`diff_schema` returns values (schemas, changes, impact rows); :func:`build_schema_section`
turns them into the report's "Schema Impact Analysis" section. Nothing here writes: the
live database is only inspected (read-only), the declared schema is loaded on scratch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity import dialects
from parity.dialects.base import RowCount
from parity.diff.compare import compare
from parity.diff.scope import not_declared
from parity.errors import redact_url
from parity.model.changes import (
    AddCheck,
    AddColumn,
    AddCompositeType,
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
    AlterCompositeType,
    AlterDomain,
    AlterFunction,
    AlterPartitioning,
    AlterPolicy,
    AlterPrimaryKey,
    AlterTableOptions,
    AlterTrigger,
    AlterView,
    Change,
    DropIndex,
    EnableRowSecurity,
    Impact,
    PossibleRename,
    ProductionOnly,
    Safety,
    describe,
)
from parity.model.findings import Finding, Section, Severity, Table
from parity.model.schema import Schema
from parity.project import Project
from parity.schema.apptool import Revision, find_alembic, is_tool_table
from parity.schema.discover import find_database_url, find_schema_source
from parity.schema.sources import dev_server, load_desired

SECTION_ID = "schema"
SECTION_TITLE = "Schema Impact Analysis"

# Stable finding codes (documented in docs/codes.md by the report owner).
CODES: dict[type[Change], tuple[str, Severity]] = {
    AddTable: ("SCH001", Severity.ERROR),
    AddColumn: ("SCH002", Severity.ERROR),
    AlterColumn: ("SCH003", Severity.ERROR),
    AddIndex: ("SCH004", Severity.WARNING),
    DropIndex: ("SCH004", Severity.WARNING),
    AddForeignKey: ("SCH005", Severity.ERROR),
    AddUnique: ("SCH005", Severity.ERROR),
    AddCheck: ("SCH005", Severity.ERROR),
    AddExclude: ("SCH005", Severity.ERROR),
    AlterPrimaryKey: ("SCH005", Severity.ERROR),
    AlterTableOptions: ("SCH005", Severity.ERROR),
    AddView: ("SCH006", Severity.ERROR),
    AlterView: ("SCH006", Severity.ERROR),
    AddEnum: ("SCH006", Severity.ERROR),
    AddExtension: ("SCH006", Severity.ERROR),
    AddNamespace: ("SCH006", Severity.ERROR),
    EnableRowSecurity: ("SCH006", Severity.ERROR),
    AddPartition: ("SCH001", Severity.ERROR),
    AlterPartitioning: ("SCH005", Severity.ERROR),
    AddPolicy: ("SCH006", Severity.ERROR),
    AddGrant: ("SCH006", Severity.WARNING),
    AlterPolicy: ("SCH006", Severity.ERROR),
    AddDomain: ("SCH006", Severity.ERROR),
    AddCompositeType: ("SCH006", Severity.ERROR),
    AlterCompositeType: ("SCH006", Severity.ERROR),
    AlterDomain: ("SCH006", Severity.ERROR),
    AddFunction: ("SCH006", Severity.ERROR),
    AlterFunction: ("SCH006", Severity.ERROR),
    AddEnumValue: ("SCH006", Severity.ERROR),
    AddSequence: ("SCH006", Severity.ERROR),
    AddTrigger: ("SCH006", Severity.WARNING),
    AlterTrigger: ("SCH006", Severity.WARNING),
    ProductionOnly: ("SCH007", Severity.INFO),
    PossibleRename: ("SCH008", Severity.WARNING),
}
CODE_DOCS = {
    "SCH001": "a table or partition main declares is missing in the database",
    "SCH002": "a column main declares is missing in the database",
    "SCH003": "a column differs (type, nullability, default, collation, generated, identity, MySQL ON UPDATE)",
    "SCH004": "an index is missing or differs",
    "SCH005": "a key, constraint or table option (primary, foreign, unique, check, exclude; partitioning; SQLite WITHOUT ROWID) is missing or differs",
    "SCH006": "a view, enum, domain, composite type, sequence, function or procedure, trigger, extension, schema, row-level security, policy or grant is missing or differs",
    "SCH007": "an object only the database has (drift; kept, never dropped)",
    "SCH008": "a column looks renamed (one gone, one of the same type added)",
    "SCH009": "the application's own migration tool (Alembic, Flask-Migrate, Django, Rails, Prisma, Flyway, Liquibase, golang-migrate, goose, dbmate, Knex, Sequelize, TypeORM) has migrations the database has not run "
    "(error, listed by id and message), or no history in the database (warning)",
}


@dataclass(frozen=True, slots=True)
class ImpactRow:
    change: Change
    impact: Impact
    sql: tuple[str, ...]
    rows: RowCount | None = None


@dataclass(frozen=True, slots=True)
class ToolStatus:
    """Where the database stands in the application's own migration history.

    ``applied`` is None when the database has no history table of the tool."""

    tool: str
    script_dir: str
    heads: tuple[str, ...]
    applied: tuple[str, ...] | None
    pending: tuple[Revision, ...]
    unknown: tuple[str, ...]  # applied revisions the checkout does not have
    command: str
    history_table: str = "alembic_version"
    listed: bool = False  # a list of applied ids (Django, Rails, Prisma…), not a revision graph
    total: int = 0  # migrations main holds (listed tools)


def _history_rows(dialect_name: str, url: str, query: str) -> list[tuple[object, ...]]:
    """A migration tool's history rows, read in a read-only session like the rest of the inspection."""
    if dialect_name == "sqlite":
        from parity.dialects.sqlite.inspect import connect_readonly

        conn = connect_readonly(url)
        try:
            return [tuple(r) for r in conn.execute(query).fetchall()]
        finally:
            conn.close()
    if dialect_name == "postgres":
        from parity.dialects.postgres.inspect import connect

        pg = connect(url)
        try:
            with pg.transaction():
                return [tuple(r) for r in pg.execute(query).fetchall()]
        finally:
            pg.close()
    from parity.dialects.mysql.inspect import connect as my_connect

    my = my_connect(url, read_only=True)
    try:
        with my.cursor() as cur:
            cur.execute(query)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        my.close()


def _alembic_applied(dialect_name: str, url: str) -> tuple[str, ...]:
    return tuple(
        str(r[0]) for r in _history_rows(dialect_name, url, "SELECT version_num FROM alembic_version")
    )


def _listed_status(project: Project, dialect_name: str, url: str, current: Schema) -> ToolStatus | None:
    """Django, Rails, Prisma, Flyway, Liquibase, golang-migrate, goose, dbmate, Knex, Sequelize or TypeORM:
    the ids the database has run against the migrations the checkout holds."""
    from parity.schema.listed_tools import find_listed_tool

    found = find_listed_tool(project.root)
    if found is None:
        return None
    tool = found.for_dialect(dialect_name)
    applied: tuple[str, ...] | None = None
    table = next((t.name for t in current.tables if t.name.lower() == tool.history_table), None)
    if table is not None:
        # ``{table}``: the history table as the database spells it (Sequelize's ``SequelizeMeta``),
        # quoted for the dialect; the name comes from the catalog, never from the repository.
        quoted = f"`{table}`" if dialect_name == "mysql" else '"' + table.replace('"', '""') + '"'
        query = tool.query.replace("{table}", quoted)
        try:
            applied = tuple(sorted(tool.applied_ids(_history_rows(dialect_name, url, query), tool)))
        except Exception:  # any driver error: the history is unknown, never fatal
            applied = None
    last = tool.migrations[-1].id if tool.migrations else "none"
    return ToolStatus(
        tool.tool,
        project.rel(tool.folder),
        (last,),
        applied,
        tuple(tool.pending(set(applied))) if applied is not None else (),
        (),  # ids of installed packages (Django's contrib apps) are not the checkout's to know
        tool.command,
        tool.history_table,
        listed=True,
        total=len(tool.migrations),
    )


def tool_status(project: Project, dialect_name: str, url: str, current: Schema) -> ToolStatus | None:
    """The Alembic history of the project against the database, when the project uses Alembic."""
    alembic = find_alembic(project.root)
    if alembic is None:
        return _listed_status(project, dialect_name, url, current)
    applied: tuple[str, ...] | None = None
    if current.table("alembic_version") is not None:
        try:
            applied = _alembic_applied(dialect_name, url)
        except Exception:  # any driver error: the history is unknown, never fatal
            applied = None
    known = set(alembic.revisions)
    return ToolStatus(
        "Flask-Migrate" if alembic.flask else "Alembic",
        project.rel(alembic.script_dir),
        tuple(alembic.heads),
        applied,
        tuple(alembic.pending(set(applied))) if applied is not None else (),
        tuple(a for a in applied or () if a not in known),
        alembic.upgrade_command,
    )


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """Everything ``schema diff`` found. ``url`` is redacted; ``source`` as given or discovered."""

    dialect: str
    url: str
    source: str
    current: Schema
    desired: Schema
    changes: tuple[Change, ...]
    rows: tuple[ImpactRow, ...]
    service: str | None = None
    source_lines: dict[str, int] = field(default_factory=dict)
    tool: ToolStatus | None = None

    @property
    def pending(self) -> tuple[Change, ...]:
        """Changes that would be applied (reports of production-only objects left out)."""
        return tuple(c for c in self.changes if not isinstance(c, ProductionOnly))

    def sql(self) -> list[str]:
        return [s for r in self.rows for s in r.sql]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "database": self.url,
            "source": self.source,
            "service": self.service,
            "changes": [_row_dict(r) for r in self.rows],
        }


def _row_dict(r: ImpactRow) -> dict[str, Any]:
    c = r.change
    out: dict[str, Any] = {
        "kind": c.kind,
        "object": c.object_name,
        "table": c.table_name,
        "description": describe(c),
        "rows": r.rows.rows if r.rows else None,
        "rows_estimated": r.rows.estimated if r.rows else None,
        "rewrites_table": r.impact.rewrites_table,
        "lock": r.impact.lock,
        "safety": r.impact.safety.value,
        "note": r.impact.note,
        "sql": list(r.sql),
    }
    if isinstance(c, AlterColumn):
        out["changed"] = sorted(c.changes)
    if isinstance(c, ProductionOnly):
        out["object_kind"] = c.object_kind
    return out


def diff_schema(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
    count_rows: bool = True,
) -> SchemaDiff:
    """Inspect the target database read-only, load the declared schema on scratch, compare.

    ``db`` overrides the discovered URL, ``schema`` the discovered source (a .sql file, a
    folder of them, or ``module:Base``), ``dev_url`` names the server for scratch databases.
    """
    location = find_database_url(project, environment, db)
    dialect = dialects.get(location.url)
    source = find_schema_source(project, schema)
    current = dialect.inspect(location.url)
    # The declared schema never loads beside the target: on the dev server the user names, else
    # where parity keeps its own scratch databases (memory, a throwaway server).
    scratch_server = dev_server(location.url, dev_url, project.config.schema_.dev_url, project.config_file)
    desired = load_desired(source, dialect, project.root, scratch_server, target=location.url)
    # A migration tool's history table is the tool's, not a table only production has.
    changes = [
        c
        for c in compare(current, desired, dialect.compare_options)
        if not (
            isinstance(c, ProductionOnly) and c.object_kind == "table" and is_tool_table(c.object_name or "")
        )
    ]
    tool = tool_status(project, dialect.name, location.url, current)
    tables = sorted({t for c in changes if (t := c.table_name) and current.table(t) is not None})
    counts = dialect.row_counts(location.url, tables) if count_rows and tables else {}
    rows = tuple(
        ImpactRow(c, impact, tuple(sql), counts.get(c.table_name or ""))
        for c, impact, sql in dialect.iter_impacts(current, changes)
    )
    return SchemaDiff(
        dialect.name,
        redact_url(location.url),
        source,
        current,
        desired,
        tuple(changes),
        rows,
        location.service,
        _source_lines(project.root, source, changes),
        tool,
    )


def _source_lines(root: Path, source: str, changes: list[Change]) -> dict[str, int]:
    """Best-effort line of each changed object's declaration in a single .sql source."""
    path = Path(source) if Path(source).is_absolute() else root / source
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, int] = {}
    table_line: dict[str, int] = {}
    create = re.compile(
        r"create\s+(?:unique\s+)?(table|index|view|type|sequence|trigger)\s+(?:if\s+not\s+exists\s+)?[\"`\[]?(\w+)",
        re.I,
    )
    current_table: str | None = None
    for number, text in enumerate(lines, start=1):
        m = create.search(text)
        if m:
            kind, name = m.group(1).lower(), m.group(2).lower()
            out.setdefault(name, number)
            if kind == "table":
                current_table = name
                table_line[name] = number
            else:
                current_table = None
            continue
        if current_table:
            col = re.match(r"\s*[\"`\[]?(\w+)", text)
            if col:
                out.setdefault(f"{current_table}.{col.group(1).lower()}", number)
            if text.strip().startswith(")"):
                current_table = None
    return out


def _message(c: Change, r: ImpactRow) -> str:
    text = describe(c)
    bits = [r.impact.safety.value]
    if r.rows is not None:
        bits.append(f"{'~' if r.rows.estimated else ''}{r.rows.rows} rows")
    if r.impact.rewrites_table:
        bits.append("rewrites the table")
    return f"{text} ({', '.join(bits)})"


def _fix(c: Change, r: ImpactRow) -> str:
    if isinstance(c, ProductionOnly):
        return "kept; if it is really unused, drop it by hand after a backup, or declare it in the schema"
    if isinstance(c, PossibleRename):
        return (
            f"if this is a rename, write it as one: ALTER TABLE … RENAME COLUMN {c.old.name} TO {c.new.name}"
        )
    if r.sql:
        return (
            "plan a migration: "
            + r.sql[0].splitlines()[0]
            + (" …" if len(r.sql) > 1 or "\n" in r.sql[0] else "")
        )
    return "plan a migration for it"


def _first_line(sql: str) -> str:
    first = sql.strip().splitlines()[0] if sql.strip() else ""
    return first + (" …" if "\n" in sql.strip() else "")


def _shown_url(url: str, project: Project) -> str:
    """A SQLite file inside the project as its path from the project root: reports read the same on every machine."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :].split("?", 1)[0])
        if path.is_absolute() and path.is_relative_to(project.root):
            return project.rel(path)
    return url


def section_from_diff(result: SchemaDiff, project: Project, environment: str) -> Section:
    """The "Schema Impact Analysis" section for a computed :class:`SchemaDiff`."""
    source_file = result.source if not Path(result.source).is_absolute() else project.rel(Path(result.source))
    findings: list[Finding] = []
    table_rows: list[tuple[str, ...]] = []
    for r in result.rows:
        c = r.change
        code, severity = CODES.get(type(c), ("SCH006", Severity.WARNING))
        if isinstance(c, AlterColumn) and not r.sql and r.impact.safety is Safety.SAFE:
            # Nothing to run (SQLite: a type spelled differently that stores alike): a note.
            severity = Severity.INFO
        line = None
        if not isinstance(c, ProductionOnly):
            key = c.object_name.lower() if c.object_name else ""
            line = result.source_lines.get(key) or result.source_lines.get((c.table_name or "").lower())
        findings.append(
            Finding(
                code=code,
                severity=severity,
                area="schema",
                message=_message(c, r),
                service=result.service,
                environment=environment,
                file=source_file if line else None,
                line=line,
                key=c.object_name or None,
                fix=_fix(c, r),
            )
        )
        table_rows.append(
            (
                describe(c),
                c.table_name or "",
                "" if r.rows is None else f"{'~' if r.rows.estimated else ''}{r.rows.rows}",
                "yes" if r.impact.rewrites_table else "no",
                r.impact.lock or "",
                r.impact.safety.value,
                # The table gives the first line of each statement; the full SQL follows it.
                "; ".join(_first_line(s) for s in r.sql) or "-- kept",
            )
        )
    tool_tables: list[Table] = []
    if result.tool is not None:
        tool_findings, tool_table = _tool_findings(result.tool, result.service, environment)
        findings.extend(tool_findings)
        tool_tables.extend(tool_table)
    notes = [f"{result.dialect} database {_shown_url(result.url, project)} vs declared schema {source_file}"]
    if (
        result.tool is not None
        and result.tool.applied
        and not result.tool.pending
        and not result.tool.unknown
    ):
        notes.append(
            f"{result.tool.tool} ({result.tool.script_dir}): the database is at head {', '.join(result.tool.heads)}"
        )
    # Kinds of objects parity does not model: "in sync" must not claim them.
    skipped = [
        f"{side} has {text}"
        for side, text in (
            ("the database", result.current.meta.get("not_compared", "")),
            ("the declared schema", result.desired.meta.get("not_compared", "")),
        )
        if text
    ]
    undeclared = not_declared(result.current, result.desired)
    if undeclared:
        skipped.append(
            f"the database has schemas the declared one does not, left out: {', '.join(undeclared)}"
        )
    if skipped:
        notes.append("not compared: " + "; ".join(skipped))
    if not result.changes:
        notes.append(
            "no differences in what parity compares: tables, columns, keys, indexes, views, enums, domains, sequences, functions, triggers, extensions, policies, grants"
            if skipped
            else "no differences: the database matches the declared schema"
        )
    worst = max(
        (r.impact.safety for r in result.rows if not isinstance(r.change, ProductionOnly)),
        key=lambda s: s.rank,
        default=None,
    )
    if worst is not None:
        notes.append(f"worst safety class: {worst.value}")
    blocks = (("sql", ";\n".join(result.sql()) + ";\n"),) if result.sql() else ()
    return Section(
        SECTION_ID,
        SECTION_TITLE,
        tuple(findings),
        (
            *tool_tables,
            *(
                (
                    Table(
                        "Changes",
                        ("change", "table", "rows", "rewrite", "lock", "safety", "sql"),
                        tuple(table_rows),
                    ),
                )
                if table_rows
                else ()
            ),
        ),
        tuple(notes),
        blocks,
    )


def _tool_findings(
    tool: ToolStatus, service: str | None, environment: str
) -> tuple[list[Finding], list[Table]]:
    """The app's own migration history as findings: pending revisions are the real gap."""
    out: list[Finding] = []
    if tool.applied is None:
        out.append(
            Finding(
                "SCH009",
                Severity.WARNING,
                "schema",
                f"{tool.tool} manages this schema ({tool.script_dir}) but the database has no {tool.history_table} "
                "table: the tool has never run here, or the database was built another way",
                service=service,
                environment=environment,
                fix=(
                    f"run `{tool.command}` (on a database built another way, first record what it already has in "
                    f"{tool.history_table})"
                    if tool.listed
                    else f"once the schema matches revision R, record it with `alembic stamp R`; then `{tool.command}`"
                ),
            )
        )
        return out, []
    if tool.unknown:
        out.append(
            Finding(
                "SCH009",
                Severity.WARNING,
                "schema",
                f"the database is at {tool.tool} revision {', '.join(tool.unknown)}, which {tool.script_dir} "
                "does not have (a newer deploy, or a branch main never merged)",
                service=service,
                environment=environment,
                key=tool.unknown[0],
            )
        )
    if tool.pending:
        shown = "; ".join(
            f"{r.id} ({r.message})" if r.message and not tool.listed else r.id for r in tool.pending[:5]
        )
        where = (
            f"{tool.total - len(tool.pending)} of main's {tool.total} applied"
            if tool.listed
            else f"the database is at {', '.join(tool.applied or ()) or 'none'}, main's head is {', '.join(tool.heads)}"
        )
        more = f"; and {len(tool.pending) - 5} more" if len(tool.pending) > 5 else ""
        first = tool.pending[0]
        out.append(
            Finding(
                "SCH009",
                Severity.ERROR,
                "schema",
                f"{len(tool.pending)} {tool.tool} {'migration' if tool.listed else 'revision'}"
                f"{'s' if len(tool.pending) != 1 else ''} pending in {environment} ({where}): {shown}{more}",
                service=service,
                environment=environment,
                file=None,
                key=first.id,
                fix=f"run the app's own migrations: `{tool.command}` (the model differences below are what they do)",
            )
        )
    if tool.tool == "Django":
        # Django names a migration by app label and name; "after" is its declared dependencies.
        django_rows = tuple(
            (*r.id.split(".", 1), ", ".join(r.down) or "-", r.file.name) for r in tool.pending
        )
        return out, (
            [Table("Pending Django migrations", ("app", "migration", "after", "file"), django_rows)]
            if django_rows
            else []
        )
    if tool.tool == "Liquibase":
        from parity.schema.liquibase import split_key

        # A changeset is known by id, author and the changelog path Liquibase records.
        lb_rows = tuple((*split_key(r.id)[1:], split_key(r.id)[0], r.message) for r in tool.pending)
        return out, (
            [Table("Pending Liquibase changesets", ("id", "author", "changelog", "comment"), lb_rows)]
            if lb_rows
            else []
        )
    rows = tuple((r.id, r.message, ", ".join(r.down) or "-", r.file.name) for r in tool.pending)
    kind = "migrations" if tool.listed else "revisions"
    return out, (
        [Table(f"Pending {tool.tool} {kind}", ("revision", "message", "after", "file"), rows)] if rows else []
    )


def tool_only_section(project: Project, environment: str, reason: str) -> Section | None:
    """With no declared schema to compare, the app's own migration history still tells whether the
    database is behind main: its pending migrations. None when the project has no such tool."""
    from parity.errors import DatabaseUnreachable, ParityError

    try:
        location = find_database_url(project, environment, None)
        dialect = dialects.get(location.url)
        current = dialect.inspect(location.url)
        tool = tool_status(project, dialect.name, location.url, current)
    except DatabaseUnreachable as exc:
        # No verdict on the schema: say so, and let the rest of the report stand.
        return Section("schema", "Schema Impact Analysis", notes=(f"schema not checked: {exc.one_line()}",))
    except ParityError:
        return None
    if tool is None:
        return None
    findings, tables = _tool_findings(tool, None, environment)
    notes = [
        f"{dialect.name} database {_shown_url(redact_url(location.url), project)}: {tool.tool} history only "
        f"(model not compared: {reason})"
    ]
    if tool.applied is not None and not tool.pending:
        notes.append(f"{tool.tool} ({tool.script_dir}): every migration of main is applied")
    return Section(SECTION_ID, SECTION_TITLE, tuple(findings), tuple(tables), tuple(notes))


def build_schema_section(
    project: Project,
    environment: str,
    *,
    db: str | None = None,
    schema: str | None = None,
    dev_url: str | None = None,
) -> Section:
    """The "Schema Impact Analysis" for ``environment`` (errors: :class:`ParityError` subclasses)."""
    return section_from_diff(
        diff_schema(project, environment, db=db, schema=schema, dev_url=dev_url), project, environment
    )


__all__ = [
    "CODES",
    "CODE_DOCS",
    "ImpactRow",
    "Safety",
    "SchemaDiff",
    "build_schema_section",
    "diff_schema",
    "section_from_diff",
]
